"""Tensors across the worker boundary as safetensors files."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

import torch
from safetensors import safe_open
from safetensors.torch import save_file

from hf_exporters.utils import get_leaf_tensors
from .protocol import InputError

# safetensors sorts its header; the order of inputs is the exported signature's order, so it travels
# as a JSON list in the metadata (harness/tensors/safetensors.ts does the same).
ORDER_KEY = "order"

# Time spent moving tensors through files, which the worker reports with every reply: the harness
# measures what the TypeScript/Python boundary costs a job (BENCHMARKS.md, "boundary cost").
IO_MS = [0.0]


def _timed_io(fn: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(fn)
    def timed(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            IO_MS[0] += (time.perf_counter() - start) * 1000

    return timed


@_timed_io
def write_tensors(obj: Any, path: str | Path) -> dict[str, dict[str, Any]]:
    """Flatten ``obj`` with ``get_leaf_tensors`` and write it; returns ``{name: {dtype, shape}}``."""
    # safetensors refuses shared storage and non-contiguous views: give each leaf its own memory.
    leaves = {name: tensor.detach().to("cpu").contiguous().clone() for name, tensor in get_leaf_tensors(obj).items()}
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    save_file(leaves, str(path), metadata={ORDER_KEY: json.dumps(list(leaves))})
    return {name: {"dtype": str(t.dtype).removeprefix("torch."), "shape": list(t.shape)} for name, t in leaves.items()}


@_timed_io
def read_tensors(path: str | Path) -> dict[str, torch.Tensor]:
    if not Path(path).is_file():
        raise InputError(f"tensor file '{path}' does not exist; write the inputs there (safetensors) before this request.")
    try:
        with safe_open(str(path), framework="pt") as handle:
            names = list(handle.keys())
            order = json.loads((handle.metadata() or {}).get(ORDER_KEY, "[]"))
            return {name: handle.get_tensor(name) for name in (order if sorted(order) == sorted(names) else names)}
    except Exception as err:  # safetensors raises its own error types for every malformed header
        raise InputError(f"tensor file '{path}' is not a valid safetensors file ({err}); rewrite it.") from err
