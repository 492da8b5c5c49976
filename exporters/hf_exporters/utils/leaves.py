"""Walking nested model inputs and outputs down to their tensors.

``get_leaf_tensors`` is the one flattening used everywhere a structure becomes named tensors: output
comparison in tests, ONNX input/output names, tensors sent across the worker boundary. Keeping one
scheme means a consumer can match an exported output to its eager twin by name alone.
"""

from __future__ import annotations

import copy
import enum
from collections.abc import Callable, Iterator
from typing import Any

import torch

# A cache layer stores "keys"/"values"; the flat names say "key"/"value" per layer, the scheme ONNX
# consumers of a KV cache expect (past_key_values.0.key).
_CACHE_LEAF_NAMES = {"keys": "key", "values": "value"}

# Values that hold no tensor and are never walked into or copied. Symbolic sizes above all: a cache
# field such as a sliding-window layer's ``cumulative_length`` is a SymInt during a dynamic trace,
# and walking it reaches its ShapeEnv, whose sympy expressions cannot be rebuilt empty ("Mod takes
# exactly 2 arguments (0 given)", Gemma 3 under torch 2.15).
_ATOMS = (str, bytes, int, float, bool, type, enum.Enum, torch.SymInt, torch.SymFloat, torch.SymBool, torch.dtype, torch.device)


def _is_cache(obj: Any) -> bool:
    try:
        from transformers.cache_utils import Cache
    except ImportError:  # transformers without cache_utils: nothing is a Cache
        return False
    return isinstance(obj, Cache)


def _is_model_output(obj: Any) -> bool:
    try:
        from transformers.utils import ModelOutput
    except ImportError:
        return False
    return isinstance(obj, ModelOutput)


def _iter_leaf_tensors(obj: Any, prefix: str, seen: set[int]) -> Iterator[tuple[str, torch.Tensor]]:
    def join(name: Any) -> str:
        return f"{prefix}.{name}" if prefix else str(name)

    if isinstance(obj, torch.Tensor):
        yield prefix or "output", obj
    elif obj is None or isinstance(obj, _ATOMS):
        return
    elif isinstance(obj, dict):  # ModelOutput is a dict too; its None fields are not items
        for key, value in obj.items():
            yield from _iter_leaf_tensors(value, join(key), seen)
    elif isinstance(obj, (list, tuple, set, frozenset)):
        items = sorted(obj, key=repr) if isinstance(obj, (set, frozenset)) else obj
        for index, value in enumerate(items):
            yield from _iter_leaf_tensors(value, join(index), seen)
    elif hasattr(obj, "__dict__"):
        if id(obj) in seen:  # objects may point back at their owner (a cache layer at its cache)
            return
        seen = seen | {id(obj)}
        if _is_cache(obj) and isinstance(getattr(obj, "layers", None), list):
            for index, layer in enumerate(obj.layers):
                for attr, value in vars(layer).items():
                    if not attr.startswith("_"):
                        yield from _iter_leaf_tensors(value, join(f"{index}.{_CACHE_LEAF_NAMES.get(attr, attr)}"), seen)
            return
        for attr, value in vars(obj).items():
            if not attr.startswith("_"):
                yield from _iter_leaf_tensors(value, join(attr), seen)


def get_leaf_tensors(obj: Any) -> dict[str, torch.Tensor]:
    """Recursively retrieve all leaf tensors of a nested structure, keyed by dotted path.

    Dicts (and ``ModelOutput``) contribute their keys, sequences their indices, objects their public
    attributes; a cache's layers become ``<index>.key`` / ``<index>.value``. A bare tensor is
    ``"output"``. Empty tensors are kept: an empty cache is still part of the signature.
    """
    return dict(_iter_leaf_tensors(obj, "", set()))


def map_leaf_tensors(obj: Any, fn: Callable[[torch.Tensor], torch.Tensor]) -> Any:
    """Return ``obj`` with every tensor replaced by ``fn(tensor)``, containers rebuilt, objects copied.

    Objects may refer to each other in cycles (a sliding-window cache layer and its cache); each is
    copied once and every reference points at that copy."""
    return _map(obj, fn, {})


def _map(obj: Any, fn: Callable[[torch.Tensor], torch.Tensor], copies: dict[int, Any]) -> Any:
    if isinstance(obj, torch.Tensor):
        return fn(obj)
    if obj is None or isinstance(obj, _ATOMS):
        return obj
    if id(obj) in copies:
        return copies[id(obj)]
    if isinstance(obj, dict):
        rebuilt = {key: _map(value, fn, copies) for key, value in obj.items()}
        if type(obj) is dict:
            return rebuilt
        if _is_model_output(obj):
            # ModelOutput keeps fields as attributes and items at once; its constructor keeps them in step
            return type(obj)(**rebuilt)
        clone = copy.copy(obj)  # other dict subclasses (defaultdict, OrderedDict) keep their extras
        clone.clear()
        clone.update(rebuilt)
        return clone
    if isinstance(obj, (list, tuple)):
        items = [_map(value, fn, copies) for value in obj]
        # namedtuples take fields as arguments; torch.return_types structseqs, like tuple, one sequence
        return type(obj)(*items) if hasattr(obj, "_fields") else type(obj)(items)
    if hasattr(obj, "__dict__") and not isinstance(obj, (type, torch.nn.Module, enum.Enum)) and not callable(obj):
        clone = obj.__class__.__new__(obj.__class__)
        copies[id(obj)] = clone
        clone.__dict__.update({key: _map(value, fn, copies) for key, value in vars(obj).items()})
        return clone
    return obj


def cast_leaf_tensors(obj: Any, dtype: torch.dtype | None = None, device: torch.device | str | None = None) -> Any:
    """Move every tensor to ``device`` and cast floating ones to ``dtype``; integer tensors keep theirs."""

    def cast(tensor: torch.Tensor) -> torch.Tensor:
        target = dtype if dtype is not None and tensor.is_floating_point() else None
        return tensor.to(device=device, dtype=target)

    return map_leaf_tensors(obj, cast)


def duplicate_leaf_tensors(obj: Any) -> Any:
    """Clone tensors that appear more than once, so no two outputs share storage identity."""
    seen: set[int] = set()

    def clone_repeat(tensor: torch.Tensor) -> torch.Tensor:
        if id(tensor) in seen:
            return tensor.clone()
        seen.add(id(tensor))
        return tensor

    return map_leaf_tensors(obj, clone_repeat)
