"""Export configurations: one dataclass per backend, all accepting a plain dict too."""

from __future__ import annotations

import copy
import os
import dataclasses
import enum
from collections.abc import Iterator, Mapping
from typing import Any


class ExportFormat(enum.Enum):
    DYNAMO = "dynamo"
    ONNX = "onnx"
    EXECUTORCH = "executorch"


_BUILT_IN_FORMATS = {fmt.value: fmt for fmt in ExportFormat}


def format_name(export_format: ExportFormat | str) -> str:
    """The format's registry name; a third-party backend registered with the auto classes names its
    format with a plain string, as the enum holds only the built-in ones."""
    return export_format.value if isinstance(export_format, ExportFormat) else str(export_format)


@dataclasses.dataclass
class ExportConfigMixin:
    export_format: ExportFormat | str

    @classmethod
    def from_dict(cls, config_dict: Mapping[str, Any]) -> "ExportConfigMixin":
        fields = {field.name for field in dataclasses.fields(cls)}
        unknown = sorted(set(config_dict) - fields)
        if unknown:
            raise TypeError(
                f"{cls.__name__} has no field(s) {unknown}; valid fields are {sorted(fields)}. "
                "Remove or rename them."
            )
        values = dict(config_dict)
        if isinstance(values.get("export_format"), str):
            values["export_format"] = _BUILT_IN_FORMATS.get(values["export_format"], values["export_format"])
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        values = copy.deepcopy(self.__dict__)
        values["export_format"] = format_name(self.export_format)
        return values

    def __iter__(self) -> Iterator[tuple[str, Any]]:
        yield from self.__dict__.items()


@dataclasses.dataclass
class DynamoConfig(ExportConfigMixin):
    """Configuration for exporting models via torch.export.

    Args:
        dynamic: export with symbolic shapes; when ``dynamic_shapes`` is unset every tensor dimension
            becomes ``Dim.AUTO``.
        strict: run torch.export in strict mode (full TorchDynamo trace).
        dynamic_shapes: explicit per-input specification passed to torch.export; takes precedence
            over ``dynamic``.
        prefer_deferred_runtime_asserts_over_guards: emit data-dependent shape guards as runtime
            asserts instead of failing when a guard would not hold across user-stated ``Dim`` bounds.
    """

    export_format: ExportFormat = ExportFormat.DYNAMO
    dynamic: bool = False
    strict: bool = False
    dynamic_shapes: dict[str, Any] | None = None
    prefer_deferred_runtime_asserts_over_guards: bool = False


@dataclasses.dataclass
class OnnxConfig(DynamoConfig):
    """Configuration for exporting models to ONNX via ``torch.onnx.export``.

    Args:
        output_path: where to write the ``.onnx``; ``None`` keeps the program in memory.
        opset_version: ONNX opset to target; ``None`` is the newest the installed onnxscript supports.
        external_data: store weights in a ``<file>.onnx_data`` sidecar (needed past 2 GB).
        optimize: run the onnxscript optimiser (constant folding, dead-code elimination, ...).
        export_params: embed the weights; ``False`` writes a weight-free graph.
        keep_initializers_as_inputs: also list the weights as graph inputs (old runtimes, opset < 9).
        upstream_io_names: name a cache that goes in and out as transformers.exporters does
            (``input.past_key_values.N.key`` in, ``output.past_key_values.N.key`` out) instead of ours
            (``past_key_values.N.key`` in, ``present.N.key`` out); see ``disambiguate_io_names``.
    """

    export_format: ExportFormat = ExportFormat.ONNX
    output_path: str | os.PathLike | None = None
    opset_version: int | None = None
    external_data: bool = True
    optimize: bool = True
    export_params: bool = True
    keep_initializers_as_inputs: bool = False
    upstream_io_names: bool = False


@dataclasses.dataclass
class ExecutorchConfig(DynamoConfig):
    """Configuration for exporting models to ExecuTorch.

    Args:
        backend: ``"xnnpack"`` (CPU, fp32) or ``"cuda"`` (CUDA GPU, bf16).
        alloc_graph_input: the memory plan reserves arena memory for the graph's inputs; ``False``
            makes the runtime use the caller's input buffers, so an in-place input mutation (a
            ``StaticCache`` write) lands in the caller's tensor.
        alloc_graph_output: the plan reserves memory for outputs; ``False`` leaves binding output
            buffers to the caller (``Method::set_output_data_ptr``).
        alloc_mutable_buffers: the plan reserves memory for mutable buffers (model-resident state).
    """

    export_format: ExportFormat = ExportFormat.EXECUTORCH
    backend: str = "xnnpack"
    alloc_graph_input: bool = True
    alloc_graph_output: bool = True
    alloc_mutable_buffers: bool = True


def coerce_config(config: Any, config_class: type[ExportConfigMixin]) -> ExportConfigMixin:
    """Accept a ``config_class`` instance or a dict of its fields; anything else is a TypeError."""
    if isinstance(config, config_class):
        return config
    if isinstance(config, Mapping):
        return config_class.from_dict(config)
    raise TypeError(
        f"Expected config to be a {config_class.__name__} or dict, got {type(config).__name__}. "
        f"Pass {config_class.__name__}(...) or a dict of its fields."
    )
