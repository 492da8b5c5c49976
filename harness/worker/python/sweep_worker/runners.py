"""One runner per backend: an exported file opened once and called on feeds by name, returning
outputs by eager's leaf paths. Forward jobs, fuzzed shapes, latency timing and generation loops all
run artifacts through here, whichever implementation exported them."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from hf_exporters.executorch_bounds import check_input_bounds
from hf_exporters.exporter_dynamo import register_cache_pytrees
from hf_exporters.exporter_onnx import OUTPUT_LEAVES_KEY
from hf_exporters.generation import dynamo_runner
from hf_exporters.utils import get_leaf_tensors

from .artifact_files import pte_io
from .native_stderr import capture_native_stderr
from .protocol import InputError

BACKENDS = ("dynamo", "onnx", "executorch")

Runner = Callable[[dict[str, torch.Tensor]], dict[str, torch.Tensor]]


def check_backend(name: str) -> str:
    if name not in BACKENDS:
        raise InputError(f"unknown backend '{name}'; known backends: {', '.join(sorted(BACKENDS))}.")
    return name


def _ordered(path: Path, names: list[str], feeds: dict[str, torch.Tensor]) -> list[torch.Tensor]:
    """The feeds in the artifact's order; a missing one is named with what was given."""
    missing = [name for name in names if name not in feeds]
    if missing:
        raise InputError(f"'{path}' needs inputs {missing}; the given inputs are {list(feeds)}.")
    return [feeds[name].contiguous() for name in names]


def _dynamo(path: Path) -> Runner:
    # A saved program whose signature holds a cache can only be loaded once its type is registered.
    register_cache_pytrees()
    return dynamo_runner(torch.export.load(str(path)))


def _onnx(path: Path) -> Runner:
    """Python onnxruntime, outputs renamed to eager's leaf paths (the exporter's metadata names them)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = torch.get_num_threads()
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    names = [value.name for value in session.get_inputs()]
    output_names = [value.name for value in session.get_outputs()]
    leaves = json.loads(session.get_modelmeta().custom_metadata_map.get(OUTPUT_LEAVES_KEY, "null")) or output_names

    def run(feeds: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        values = session.run(None, {name: tensor.numpy() for name, tensor in zip(names, _ordered(path, names, feeds))})
        return {leaf: torch.from_numpy(value) for leaf, value in zip(leaves, values)}

    return run


def _executorch(path: Path) -> Runner:
    """The .pte in the pinned executorch runtime. A .pte takes and returns flat tensor lists, so the
    names come from the ``.pte.json`` beside it; the runtime's own log is kept with a failure."""
    from executorch.runtime import Runtime

    io = pte_io(path)
    method = Runtime.get().load_program(str(path)).load_method("forward")

    def run(feeds: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        # checked first so an input past the planned ranges is named, not a bare runtime 'error 0x12'
        check_input_bounds(io.get("bounds") or {}, feeds)
        ordered = _ordered(path, io["inputs"], feeds)
        failure: RuntimeError | None = None
        with capture_native_stderr() as log:
            try:
                outputs = method.execute(ordered)
            except RuntimeError as err:
                failure = err
        if failure is not None:
            detail = " ".join(log.lines())
            error = RuntimeError(f"{failure}: {detail}" if detail else str(failure))
            error.native_stderr = log.text  # type: ignore[attr-defined]  # the worker's error reply carries it whole
            raise error from failure
        return {leaf: tensor.clone() for leaf, tensor in zip(io["leaves"], outputs)}  # the runtime reuses its buffers

    return run


_OPENERS: dict[str, Callable[[Path], Runner]] = {"dynamo": _dynamo, "onnx": _onnx, "executorch": _executorch}


@functools.lru_cache(maxsize=8)
def _cached(backend: str, path: str, mtime: float) -> Runner:
    return _OPENERS[backend](Path(path))


def artifact_runner(backend: str, path: Path) -> Runner:
    """``backend``'s runner on the file at ``path``, opened once per file version (sessions are kept,
    so runs after the first are steady state)."""
    check_backend(backend)
    if not path.is_file():
        raise InputError(f"artifact '{path}' does not exist; export it first (op 'export').")
    return _cached(backend, str(path), path.stat().st_mtime)


def run_artifact(backend: str, path: Path, feeds: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """One call of the artifact; feeds with dotted names (a cache's leaves) are nested for torch.export."""
    return get_leaf_tensors(artifact_runner(backend, path)(feeds))
