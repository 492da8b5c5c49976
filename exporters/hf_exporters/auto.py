"""Auto classes: the exporter and the config class picked from an export format at runtime.

    config = AutoExportConfig.from_dict({"export_format": "onnx", "dynamic": True})
    exported = AutoHfExporter.from_config(config).export(model, inputs, config=config)

A third party adds a backend by registering both halves under one format name:

    @register_export_config("mybackend")
    @dataclasses.dataclass
    class MyConfig(DynamoConfig):
        export_format: str = "mybackend"

    @register_exporter("mybackend")
    class MyExporter(DynamoExporter): ...
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from .base import HfExporter
from .configs import DynamoConfig, ExportConfigMixin, format_name
from .exporter_dynamo import DynamoExporter
from .configs import ExecutorchConfig, OnnxConfig
from .exporter_executorch import ExecutorchExporter
from .exporter_onnx import OnnxExporter

logger = logging.getLogger("hf_exporters")

AUTO_EXPORTER_MAPPING: dict[str, type[HfExporter]] = {}
AUTO_EXPORT_CONFIG_MAPPING: dict[str, type[ExportConfigMixin]] = {}

_T = TypeVar("_T", bound=type)


def _registrar(mapping: dict[str, Any], base: type, what: str, name: str) -> Callable[[_T], _T]:
    def decorator(cls: _T) -> _T:
        if not (isinstance(cls, type) and issubclass(cls, base)):
            raise TypeError(f"register_{what}('{name}') decorates a subclass of {base.__name__}, got {cls!r}.")
        if name in mapping and mapping[name] is not cls:
            logger.warning("%s '%s' is already registered and will be overwritten.", what.replace("_", " ").capitalize(), name)
        mapping[name] = cls
        return cls

    return decorator


def register_exporter(name: str) -> Callable[[_T], _T]:
    """Class decorator: ``AutoHfExporter`` returns this exporter for configs whose format is ``name``."""
    return _registrar(AUTO_EXPORTER_MAPPING, HfExporter, "exporter", name)


def register_export_config(name: str) -> Callable[[_T], _T]:
    """Class decorator: ``AutoExportConfig`` builds this config class for dicts whose format is ``name``."""
    return _registrar(AUTO_EXPORT_CONFIG_MAPPING, ExportConfigMixin, "export_config", name)


for _name, _exporter, _config in (
    ("dynamo", DynamoExporter, DynamoConfig),
    ("onnx", OnnxExporter, OnnxConfig),
    ("executorch", ExecutorchExporter, ExecutorchConfig),
):
    register_exporter(_name)(_exporter)
    register_export_config(_name)(_config)


def _config_dict(export_config: ExportConfigMixin | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(export_config, ExportConfigMixin):
        return export_config.to_dict()
    if isinstance(export_config, Mapping):
        return dict(export_config)
    raise TypeError(
        f"Expected an export config (DynamoConfig, OnnxConfig, ...) or a dict with 'export_format', "
        f"got {type(export_config).__name__}."
    )


class AutoExportConfig:
    """Builds the config class registered for a dict's ``export_format``."""

    def __init__(self) -> None:
        raise OSError("AutoExportConfig is built with AutoExportConfig.from_dict(config_dict), not instantiated.")

    @classmethod
    def from_dict(cls, export_config_dict: Mapping[str, Any]) -> ExportConfigMixin:
        if "export_format" not in export_config_dict:
            raise ValueError(
                "export_config_dict must contain key 'export_format' set to exporter name "
                f"(one of {sorted(AUTO_EXPORT_CONFIG_MAPPING)})."
            )
        name = format_name(export_config_dict["export_format"])
        if name not in AUTO_EXPORT_CONFIG_MAPPING:
            raise ValueError(
                f"Unknown exporter type, got {name!r} - supported exporters are: {sorted(AUTO_EXPORT_CONFIG_MAPPING)}. "
                "Register a new one with @register_export_config(name)."
            )
        return AUTO_EXPORT_CONFIG_MAPPING[name].from_dict(export_config_dict)


class AutoHfExporter:
    """Instantiates the exporter registered for a config's ``export_format``."""

    def __init__(self) -> None:
        raise OSError("AutoHfExporter is built with AutoHfExporter.from_config(export_config), not instantiated.")

    @staticmethod
    def supports_export_format(export_config_dict: ExportConfigMixin | Mapping[str, Any]) -> bool:
        """True when both an exporter and a config class are registered for the config's format; each
        missing half is logged with the decorator that would add it."""
        values = _config_dict(export_config_dict)
        if "export_format" not in values:
            logger.warning("The export config has no 'export_format'; set it to one of %s.", sorted(AUTO_EXPORTER_MAPPING))
            return False
        name = format_name(values["export_format"])
        missing = [f"@{decorator}({name!r})" for decorator, mapping in
                   (("register_exporter", AUTO_EXPORTER_MAPPING), ("register_export_config", AUTO_EXPORT_CONFIG_MAPPING))
                   if name not in mapping]
        if missing:
            logger.warning("Export format %r is not fully registered: missing %s.", name, " and ".join(missing))
        return not missing

    @classmethod
    def from_config(cls, export_config: ExportConfigMixin | Mapping[str, Any], **kwargs: Any) -> HfExporter:
        """An instance of the exporter for ``export_config`` (the config is not bound to it: pass it to
        ``export``); ``kwargs`` go to the exporter's constructor."""
        if not cls.supports_export_format(export_config):
            raise ValueError(
                f"Unsupported export config: {_config_dict(export_config)}. Registered exporters: {sorted(AUTO_EXPORTER_MAPPING)}."
            )
        return AUTO_EXPORTER_MAPPING[format_name(_config_dict(export_config)["export_format"])](**kwargs)

    @classmethod
    def from_pretrained(cls, *args: Any, **kwargs: Any) -> HfExporter:
        raise NotImplementedError(
            "AutoHfExporter.from_pretrained is not implemented yet (no export recipe is read from the Hub); "
            "call AutoHfExporter.from_config(...) instead."
        )


def get_hf_exporter(export_config: ExportConfigMixin | Mapping[str, Any]) -> HfExporter:
    """The exporter for ``export_config``: ``AutoHfExporter.from_config(export_config)``."""
    return AutoHfExporter.from_config(export_config)
