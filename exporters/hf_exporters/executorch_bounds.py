"""The shape range each ``.pte`` input was planned for, and a check that names the input outside it.

ExecuTorch plans every buffer at export for the largest shape each dynamic dim may take. A larger
input fails in the runtime as a bare ``method->set_inputs() failed with error 0x10`` or
``method->execute() failed with error 0x12``, with the reason only in native stderr; checking
against the planned range first names the input, the dim, the bound and the fix.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch

# per input name: one [lowest, highest] size per dim (equal for a static dim)
InputBounds = dict[str, list[list[int]]]
_UNBOUNDED = 2**63 - 1


class ExecutorchInputShapeError(ValueError):
    """An input's shape lies outside the range its ``.pte`` was exported and memory-planned for."""


def _dim_range(size: Any, range_constraints: Mapping[Any, Any]) -> list[int]:
    if not isinstance(size, torch.SymInt):
        return [int(size), int(size)]
    from torch.utils._sympy.value_ranges import bound_sympy

    bounds = bound_sympy(size.node.expr, dict(range_constraints))
    # an unbounded end (none is left once the planner's caps are in) checks nothing on that side
    low = int(bounds.lower) if bounds.lower.is_finite else 0
    high = int(bounds.upper) if bounds.upper.is_finite else _UNBOUNDED
    return [low, high]


def input_bounds(exported_program: Any, input_names: Sequence[str]) -> InputBounds:
    """``{input name: [[low, high] per dim]}`` from the program's user-input placeholders, in the
    order ``input_names`` lists the flattened inputs; read after the range constraints are final."""
    user_inputs = set(exported_program.graph_signature.user_inputs)
    placeholders = [node for node in exported_program.graph.nodes if node.op == "placeholder" and node.name in user_inputs]
    bounds: InputBounds = {}
    for name, node in zip(input_names, placeholders):
        value = node.meta.get("val")
        if isinstance(value, torch.Tensor):
            bounds[name] = [_dim_range(size, exported_program.range_constraints) for size in value.shape]
    return bounds


def _dims_hint(name: str, dim: int, size: int) -> str:
    return f"dynamic_shapes={{'{name}': {{{dim}: Dim('{name.replace('.', '_')}_{dim}', max={size})}}}}"


def check_input_bounds(bounds: Mapping[str, Sequence[Sequence[int]]], feeds: Mapping[str, torch.Tensor]) -> None:
    """Raise ``ExecutorchInputShapeError`` for the first fed input the runtime would refuse: a dim above
    its planned bound, a static dim of another size, another rank."""
    for name, dims in bounds.items():
        tensor = feeds.get(name)
        if tensor is None:
            continue
        if tensor.dim() != len(dims):
            raise ExecutorchInputShapeError(
                f"ExecuTorch input '{name}' has {tensor.dim()} dims, shape {list(tensor.shape)}; the .pte was exported "
                f"with {len(dims)}. Feed a tensor of the exported rank."
            )
        for dim, ((low, high), size) in enumerate(zip(dims, tensor.shape)):
            if (size == low) if low == high else (size <= high):
                continue
            if low == high:
                raise ExecutorchInputShapeError(
                    f"ExecuTorch input '{name}' dim {dim} is {size}, but the .pte was exported with that dim fixed at "
                    f"{low} (static). Export with dynamic=True or name it in {_dims_hint(name, dim, size)}."
                )
            # Below the low end is not checked: torch.export's own floor of 2 (it assumes 0 and 1 are
            # specialised) is no limit of the runtime, which runs batch 1 / length 1 correctly.
            if size > high:
                raise ExecutorchInputShapeError(
                    f"ExecuTorch input '{name}' dim {dim} is {size}, above the bound {high} the .pte's memory was "
                    f"planned for (range {low}..{high}). Export with a larger bound, e.g. ExecutorchConfig("
                    f"{_dims_hint(name, dim, size)}), or feed at most {high}."
                )
