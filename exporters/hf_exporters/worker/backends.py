"""Backends the worker can export to and run, as registry entries with one small interface."""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import torch

from ..executorch_bounds import check_input_bounds
from ..exporter_dynamo import DynamoExporter, register_cache_pytrees
from .dynamic_shapes_json import dynamic_shapes_from_json
from .native_stderr import capture_native_stderr
from .protocol import InputError


@dataclasses.dataclass(frozen=True)
class Backend:
    name: str
    # (model, inputs, config dict, out_dir) -> (artifact path, facts about it for the harness)
    export: Callable[[torch.nn.Module, dict[str, torch.Tensor], dict[str, Any], Path], tuple[Path, dict[str, Any]]]
    # (artifact path, inputs) -> model outputs (any nesting; flattened by the caller)
    run: Callable[[Path, dict[str, torch.Tensor]], Any]


BACKENDS: dict[str, Backend] = {}


def register_backend(backend: Backend) -> Backend:
    BACKENDS[backend.name] = backend
    return backend


def get_backend(name: str) -> Backend:
    if name not in BACKENDS:
        raise InputError(f"unknown backend '{name}'; known backends: {', '.join(sorted(BACKENDS))}.")
    return BACKENDS[name]


def export_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """A JSON config made ready for the exporters: ``dynamic_shapes`` turned into ``Dim`` specs."""
    ready = dict(config)
    if ready.get("dynamic_shapes") is not None:
        ready["dynamic_shapes"] = dynamic_shapes_from_json(ready["dynamic_shapes"])
    return ready


def _export_dynamo(model: torch.nn.Module, inputs: dict[str, torch.Tensor], config: dict[str, Any], out_dir: Path) -> tuple[Path, dict[str, Any]]:
    program = DynamoExporter().export(model, inputs, export_config(config))
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "model.pt2"
    torch.export.save(program, str(path))
    return path, {}


@functools.lru_cache(maxsize=8)
def _load_dynamo(path: str, mtime: float) -> torch.nn.Module:
    return torch.export.load(path).module()


def _run_dynamo(path: Path, inputs: dict[str, torch.Tensor]) -> Any:
    # A saved program whose signature holds a cache can only be loaded once its type is registered.
    register_cache_pytrees()
    module = _load_dynamo(str(path), path.stat().st_mtime)
    with torch.no_grad():
        return module(**inputs)


register_backend(Backend("dynamo", _export_dynamo, _run_dynamo))


def _export_onnx(model: torch.nn.Module, inputs: dict[str, torch.Tensor], config: dict[str, Any], out_dir: Path) -> tuple[Path, dict[str, Any]]:
    from ..exporter_onnx import OnnxExporter

    path = out_dir / "model.onnx"
    program = OnnxExporter().export(model, inputs, {**export_config(config), "output_path": str(path)})
    return path, onnx_io(program.model)


def onnx_io(model: Any) -> dict[str, Any]:
    """Input names, output names and the eager leaf path of each output, from the ONNX model."""
    from ..exporter_onnx import OUTPUT_LEAVES_KEY

    outputs = [value.name for value in model.graph.outputs]
    leaves = json.loads(model.metadata_props.get(OUTPUT_LEAVES_KEY, "null")) or outputs
    return {"inputs": [value.name for value in model.graph.inputs], "outputs": outputs, "leaves": leaves}


@functools.lru_cache(maxsize=8)
def _onnx_session(path: str, mtime: float) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = torch.get_num_threads()
    return ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def _ordered_inputs(path: Path, names: list[str], inputs: dict[str, torch.Tensor]) -> list[torch.Tensor]:
    """The inputs in the artifact's order; a missing one is named with what was given."""
    missing = [name for name in names if name not in inputs]
    if missing:
        raise InputError(f"'{path}' needs inputs {missing}; the given inputs are {list(inputs)}.")
    return [inputs[name] for name in names]


def _run_onnx(path: Path, inputs: dict[str, torch.Tensor]) -> Any:
    """The artifact in Python onnxruntime, outputs renamed to eager's leaf paths."""
    session = _onnx_session(str(path), path.stat().st_mtime)
    metadata = session.get_modelmeta().custom_metadata_map
    from ..exporter_onnx import OUTPUT_LEAVES_KEY

    names = [value.name for value in session.get_inputs()]
    feeds = _ordered_inputs(path, names, inputs)
    outputs = session.run(None, {name: tensor.numpy() for name, tensor in zip(names, feeds)})
    output_names = [value.name for value in session.get_outputs()]
    leaves = json.loads(metadata.get(OUTPUT_LEAVES_KEY, "null")) or output_names
    return {leaf: torch.from_numpy(value) for leaf, value in zip(leaves, outputs)}


register_backend(Backend("onnx", _export_onnx, _run_onnx))


def _export_executorch(model: torch.nn.Module, inputs: dict[str, torch.Tensor], config: dict[str, Any], out_dir: Path) -> tuple[Path, dict[str, Any]]:
    from ..exporter_executorch import ExecutorchExporter

    manager = ExecutorchExporter().export(model, inputs, export_config(config))
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "model.pte"
    with open(path, "wb") as file:
        manager.write_to_file(file)
    # A .pte takes and returns flat tensor lists; the names travel beside it.
    io = {"inputs": manager.hf_input_names, "outputs": manager.hf_output_names, "leaves": manager.hf_output_names}
    # the planned ranges stay beside the .pte, out of the export's reply: a cache has hundreds of inputs
    path.with_suffix(".pte.json").write_text(json.dumps({**io, "bounds": manager.hf_input_bounds}))
    return path, io


def executorch_bounds_of(path: Path) -> dict[str, Any]:
    """The planned input ranges the export wrote beside ``path`` (none for a .pte from elsewhere)."""
    names_file = path.with_suffix(".pte.json")
    if not names_file.is_file():
        return {}
    return json.loads(names_file.read_text()).get("bounds") or {}


@functools.lru_cache(maxsize=8)
def _executorch_method(path: str, mtime: float) -> Any:
    from executorch.runtime import Runtime

    return Runtime.get().load_program(path).load_method("forward")


def _run_executorch(path: Path, inputs: dict[str, torch.Tensor]) -> Any:
    """The .pte in the ExecuTorch runtime of the pinned executorch package."""
    names_file = path.with_suffix(".pte.json")
    if not names_file.is_file():
        raise InputError(f"'{names_file}' is missing; it names the inputs and outputs of '{path.name}'. Export again.")
    io = json.loads(names_file.read_text())
    check_input_bounds(io.get("bounds") or {}, inputs)
    feeds = _ordered_inputs(path, io["inputs"], inputs)
    method = _executorch_method(str(path), path.stat().st_mtime)
    failure: RuntimeError | None = None
    with capture_native_stderr() as log:
        try:
            outputs = method.execute(feeds)
        except RuntimeError as err:
            failure = err
    if failure is not None:
        detail = " ".join(log.lines())
        error = RuntimeError(f"{failure}: {detail}" if detail else str(failure))
        error.native_stderr = log.text  # type: ignore[attr-defined]  # the worker's error reply carries it whole
        raise error from failure
    return {leaf: tensor.clone() for leaf, tensor in zip(io["leaves"], outputs)}  # the runtime reuses its buffers


register_backend(Backend("executorch", _export_executorch, _run_executorch))
