"""``HfExporter``: the interface every exporter implements, and its environment checks."""

from __future__ import annotations

import abc
import logging
from collections.abc import MutableMapping
from typing import Any, ClassVar

from packaging.version import Version

from .pins import base_version, installed_version, version_drift

logger = logging.getLogger("hf_exporters")

_WARNED_DRIFT: set[type] = set()


class HfExporter(abc.ABC):
    """Base exporter: ``export(model, sample_inputs, config)`` returns the backend's artifact."""

    required_packages: ClassVar[list[str]] = []
    min_versions: ClassVar[dict[str, str]] = {}
    tested_versions: ClassVar[dict[str, str]] = {}

    def __init__(self) -> None:
        self.validate_environment()

    def validate_environment(self, *args: Any, **kwargs: Any) -> None:
        """Raise ``ImportError`` for missing or too old packages; warn once on drift from the pin set.

        Arguments are accepted and ignored, as upstream's signature does, so a subclass may take some."""
        cls = type(self)
        missing = [pkg for pkg in self.required_packages if installed_version(pkg) is None]
        if missing:
            hints = ", ".join(f"{pkg}=={self.tested_versions[pkg]}" if pkg in self.tested_versions else pkg
                              for pkg in missing)
            raise ImportError(f"To use {cls.__name__}, please install the following dependencies: {hints}")
        too_old = []
        for pkg, minimum in self.min_versions.items():
            have = installed_version(pkg)
            if have is not None and Version(base_version(have)) < Version(minimum):
                too_old.append(f"{pkg}>={minimum} (found {have})")
        if too_old:
            raise ImportError(f"{cls.__name__} requires newer versions of: {', '.join(too_old)}")
        if cls in _WARNED_DRIFT:
            return
        drift = version_drift(self.required_packages, self.tested_versions)
        if drift:
            _WARNED_DRIFT.add(cls)
            listed = ", ".join(f"{pkg}: installed {have}, tested {want}" for pkg, (have, want) in drift.items())
            logger.warning(
                "%s is experimental and patches many backend internals; behaviour may differ from what was "
                "validated. Version drift detected - %s. If you hit issues, try the tested versions.",
                cls.__name__, listed,
            )

    def export_for_generation(
        self, model: Any, sample_inputs: MutableMapping[str, Any], config: Any,
        generation_config: Any = None, multi_token_decode: bool = False,
    ) -> dict[str, Any]:
        """Decompose ``model`` for generation (``decompose_for_generation`` on ``generate`` inputs) and
        export each component: ``{component: artifact}``. ``config`` is one config for all components or
        a dict keyed by component name. The cache crosses each boundary as flat named tensors
        (``past_key_values.N.key`` in, ``present.N.key`` out); see ``hf_exporters.generation``. A failing
        component raises ``GenerationExportError`` naming it, its cause chained. ``generation_config`` is
        what the capturing generate() runs with (default: the model's own); ``multi_token_decode=True``
        is not supported (see ``decompose_prefill_decode``)."""
        from .generation import export_for_generation

        return export_for_generation(self, model, sample_inputs, config, generation_config, multi_token_decode)

    @abc.abstractmethod
    def export(self, model: Any, sample_inputs: MutableMapping[str, Any], config: Any) -> Any:
        """Export ``model`` traced on ``sample_inputs`` (forward kwargs) with ``config``."""
        raise NotImplementedError(
            "HfExporter.export is abstract: use DynamoExporter, OnnxExporter or ExecutorchExporter."
        )
