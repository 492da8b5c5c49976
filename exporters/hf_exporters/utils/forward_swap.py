"""Swapping a module's ``forward`` for the length of a trace."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import torch

_MISSING = object()


@contextlib.contextmanager
def replace_forward(model: torch.nn.Module, forward: Callable[..., Any]) -> Iterator[None]:
    """Set ``model.forward`` (an instance attribute, which ``nn.Module.__call__`` and torch.export
    both read) to ``forward``; on exit restore whatever instance attribute was there, or none."""
    previous = model.__dict__.get("forward", _MISSING)
    model.forward = forward
    try:
        yield
    finally:
        if previous is _MISSING:
            del model.forward
        else:
            model.forward = previous
