"""Tensors across the worker boundary as safetensors files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

from ..utils import get_leaf_tensors
from .protocol import InputError


def write_tensors(obj: Any, path: str | Path) -> dict[str, dict[str, Any]]:
    """Flatten ``obj`` with ``get_leaf_tensors`` and write it; returns ``{name: {dtype, shape}}``."""
    # safetensors refuses shared storage and non-contiguous views: give each leaf its own memory.
    leaves = {name: tensor.detach().to("cpu").contiguous().clone() for name, tensor in get_leaf_tensors(obj).items()}
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    save_file(leaves, str(path))
    return {name: {"dtype": str(t.dtype).removeprefix("torch."), "shape": list(t.shape)} for name, t in leaves.items()}


def read_tensors(path: str | Path) -> dict[str, torch.Tensor]:
    if not Path(path).is_file():
        raise InputError(f"tensor file '{path}' does not exist; write the inputs there (safetensors) before this request.")
    try:
        return load_file(str(path))
    except Exception as err:  # safetensors raises its own error types for every malformed header
        raise InputError(f"tensor file '{path}' is not a valid safetensors file ({err}); rewrite it.") from err
