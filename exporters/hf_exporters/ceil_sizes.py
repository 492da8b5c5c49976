"""A ``.pt2`` that saves: ``math.ceil`` of a size ratio becomes a floor division.

A model that splits a dynamic length into whole blocks (Granite Speech's projector and conformer:
``math.ceil(seq_len / window_size)``) leaves a ``math.ceil`` node in the program. torch.export's
verifier allows it, but the serializer's table of symbolic ops does not list it (torch 2.12
``torch/_export/serde/serialize.py`` ``_SYM_OPS``: ``math.trunc`` was added by pytorch#146715,
``ceil`` never), so ``torch.export.save`` fails with "Failed serializing node ceil ... op <built-in
function ceil> is not in _SYM_OPS". For whole numbers ``ceil(a / b) == -((-a) // b)``, which uses
only ``neg`` and ``floordiv``, both in that table; a ceil of anything but a ratio of two whole
numbers is left alone.
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


def _ratio_of_whole_numbers(node: torch.fx.Node) -> tuple[Any, Any] | None:
    """``(a, b)`` when ``node`` is ``math.ceil(a / b)`` with both whole numbers."""
    if node.op != "call_function" or node.target is not math.ceil or len(node.args) != 1:
        return None
    (ratio,) = node.args
    if not isinstance(ratio, torch.fx.Node) or ratio.target is not operator.truediv or len(ratio.args) != 2:
        return None
    a, b = ratio.args
    return (a, b) if _whole(a) and _whole(b) else None


@register_fx_program_fix("dynamo")
def _ceil_sizes_by_floor_division(program: ExportedProgram) -> None:
    graph = program.graph_module.graph
    changed = False
    for node in list(graph.nodes):
        operands = _ratio_of_whole_numbers(node)
        if operands is None:
            continue
        a, b = operands
        with graph.inserting_before(node):
            negated = graph.call_function(operator.neg, (a,))
            negated.meta["val"] = -_value(a)
            floored = graph.call_function(operator.floordiv, (negated, b))
            floored.meta["val"] = negated.meta["val"] // _value(b)
            ceiled = graph.call_function(operator.neg, (floored,))
            ceiled.meta["val"] = node.meta.get("val", -floored.meta["val"])
        ratio = node.args[0]
        node.replace_all_uses_with(ceiled)
        graph.erase_node(node)
        if not ratio.users:
            graph.erase_node(ratio)
        changed = True
    if changed:
        graph.lint()
        program.graph_module.recompile()
