"""Naming exported outputs by the same dotted leaf paths as eager outputs."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import torch

from .utils import duplicate_leaf_tensors, get_leaf_tensors
from .utils.forward_swap import replace_forward


class _OutputRecord:
    names: list[str]

    def __init__(self) -> None:
        self.names = []


@contextlib.contextmanager
def patch_model_outputs(model: torch.nn.Module) -> Iterator[_OutputRecord]:
    """Make forward return ``{leaf path: tensor}`` for the trace, so exported outputs are named by the
    same flattening as eager outputs; repeated tensors are cloned so each output is its own value."""
    record = _OutputRecord()
    original = model.forward

    def forward(*args: Any, **kwargs: Any) -> dict[str, torch.Tensor]:
        leaves = get_leaf_tensors(duplicate_leaf_tensors(original(*args, **kwargs)))
        record.names = list(leaves)
        return leaves

    with replace_forward(model, forward):
        yield record
