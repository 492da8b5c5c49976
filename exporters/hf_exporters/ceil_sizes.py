"""A ``.pt2`` that saves: ``math.ceil`` of a size ratio becomes a floor division.

A model that splits a dynamic length into whole blocks (Granite Speech's projector and conformer:
``math.ceil(seq_len / window_size)``) leaves a ``math.ceil`` node in the program. torch.export's
verifier allows it, but the serializer's table of symbolic ops does not list it (torch 2.12
``torch/_export/serde/serialize.py`` ``_SYM_OPS``: ``math.trunc`` was added by pytorch#146715,
``ceil`` never), so ``torch.export.save`` fails with "Failed serializing node ceil ... op <built-in
function ceil> is not in _SYM_OPS". For a size ``a >= 0`` and ``b >= 1``, ``ceil(a / b) == (a + b - 1)
// b``: ``add``, ``sub`` and ``floordiv``, all in that table, and with no negative operand, so the
ONNX translation's truncating integer ``Div`` gives the same number (``-((-a) // b)`` would not: it
truncated towards zero there, and Granite Speech's ONNX reshape failed). A ceil of anything else
is left alone.
"""

from __future__ import annotations

import math
import operator
from typing import Any

import torch
from torch.export import ExportedProgram

from .utils import register_fx_program_fix


def _whole(value: Any) -> bool:
    if isinstance(value, torch.fx.Node):
        value = value.meta.get("val")
    return isinstance(value, (int, torch.SymInt)) and not isinstance(value, bool)


def _value(arg: Any) -> Any:
    return arg.meta["val"] if isinstance(arg, torch.fx.Node) else arg


def _at_least(arg: Any, floor: int) -> bool:
    """Whether ``arg`` is known to be ``>= floor``: a constant, or a symbol whose value range says so."""
    value = _value(arg)
    if isinstance(value, int):
        return value >= floor
    node = value.node
    return bool(node.shape_env.bound_sympy(node.expr).lower >= floor)


def _ratio_of_sizes(node: torch.fx.Node) -> tuple[Any, Any] | None:
    """``(a, b)`` when ``node`` is ``math.ceil(a / b)`` with whole numbers ``a >= 0`` and ``b >= 1``."""
    if node.op != "call_function" or node.target is not math.ceil or len(node.args) != 1:
        return None
    (ratio,) = node.args
    if not isinstance(ratio, torch.fx.Node) or ratio.target is not operator.truediv or len(ratio.args) != 2:
        return None
    a, b = ratio.args
    return (a, b) if _whole(a) and _whole(b) and _at_least(a, 0) and _at_least(b, 1) else None


@register_fx_program_fix("dynamo")
def _ceil_sizes_by_floor_division(program: ExportedProgram) -> None:
    graph = program.graph_module.graph
    changed = False
    for node in list(graph.nodes):
        operands = _ratio_of_sizes(node)
        if operands is None:
            continue
        a, b = operands
        with graph.inserting_before(node):
            if isinstance(b, torch.fx.Node):
                spare = graph.call_function(operator.sub, (b, 1))
                spare.meta["val"] = _value(b) - 1
            else:
                spare = b - 1
            padded = graph.call_function(operator.add, (a, spare))
            padded.meta["val"] = _value(a) + _value(spare)
            ceiled = graph.call_function(operator.floordiv, (padded, b))
            ceiled.meta["val"] = node.meta.get("val", padded.meta["val"] // _value(b))
        ratio = node.args[0]
        node.replace_all_uses_with(ceiled)
        graph.erase_node(node)
        if not ratio.users:
            graph.erase_node(ratio)
        changed = True
    if changed:
        graph.lint()
        program.graph_module.recompile()
