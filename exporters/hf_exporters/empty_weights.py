"""A ``.pt2`` that saves: weights with no elements are given storage of their own.

A zero-element parameter or buffer (GraniteSpeech's projector keeps ``window_size //
downsample_rate`` query vectors, none when the window is smaller than the rate) loaded from a
safetensors file is a view with a null data pointer into a storage whose own pointer is not null.
``torch.export.save`` groups weights by storage pointer, finds no tensor covering that storage
whole, and rebuilds one from ``end - storage pointer`` bytes: ``0 - address`` is negative, and
``set_`` fails with "numel: integer multiplication overflow" (torch 2.12,
``pt2_archive/_package_weights.get_complete_tensor``). A weight with no elements carries no data,
so a fresh empty tensor of the same shape, dtype and gradient flag stands for it exactly.
"""

from __future__ import annotations

import torch
from torch.export import ExportedProgram

from .utils import register_fx_program_fix


def _borrows_storage(tensor: torch.Tensor) -> bool:
    return tensor.numel() == 0 and tensor.untyped_storage().data_ptr() != tensor.data_ptr()


def _fresh_empty(tensor: torch.Tensor) -> torch.Tensor:
    empty = torch.empty(tensor.shape, dtype=tensor.dtype, device=tensor.device)
    if isinstance(tensor, torch.nn.Parameter):
        return torch.nn.Parameter(empty, requires_grad=tensor.requires_grad)
    return empty


@register_fx_program_fix("dynamo")
def _give_empty_weights_their_own_storage(program: ExportedProgram) -> None:
    for table in (program.state_dict, program.constants):
        for name, value in list(table.items()):
            if isinstance(value, torch.Tensor) and not isinstance(value, torch._subclasses.FakeTensor) and _borrows_storage(value):
                table[name] = _fresh_empty(value)
