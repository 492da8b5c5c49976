"""A ``.pt2`` that loads again: grad-mode regions that compute nothing are dropped from the program.

torch.export keeps each ``with torch.no_grad():`` / ``enable_grad()`` block of a forward as a
``wrap_with_set_grad_enabled`` call. A block whose values are all unused (Reformer's layer wraps its
attention in ``no_grad`` and the values it keeps leave through a nested block) becomes a call with no
outputs, ``meta["val"] == ()``. ``torch.export.save`` writes it with an empty output list and
``torch.export.load`` restores it without ``val``, which the program's own verifier then refuses:
"SpecViolationError: Node.meta wrap_with_set_grad_enabled_1 is missing val field" (torch 2.12). Such
a call has no effect on the outputs unless its body mutates state, so it is erased. A body that
mutates is left alone: erasing it would lose the update (``program.run_decompositions({})`` inlines
such a block and records the update as an output, for a caller who needs the file).
"""

from __future__ import annotations

import torch
from torch.export import ExportedProgram

from .utils import register_fx_program_fix

_SET_GRAD = torch.ops.higher_order.wrap_with_set_grad_enabled


def _empty_regions(program: ExportedProgram) -> list[torch.fx.Node]:
    return [
        node for node in program.graph_module.graph.nodes
        if node.op == "call_function" and node.target is _SET_GRAD and not node.users and node.meta.get("val", None) == ()
    ]


def _mutates(module: torch.nn.Module, body: torch.fx.Node) -> bool:
    graph = getattr(module, body.target).graph
    return any(node.op not in ("placeholder", "output") and node.is_impure() for node in graph.nodes)


@register_fx_program_fix("dynamo")
def _drop_empty_grad_mode_regions(program: ExportedProgram) -> None:
    module = program.graph_module
    dropped = [node for node in _empty_regions(program) if not _mutates(module, node.args[1])]
    for node in dropped:
        body = node.args[1]
        module.graph.erase_node(node)
        if not body.users:
            module.graph.erase_node(body)
            if not any(other.op == "get_attr" and other.target == body.target for other in module.graph.nodes):
                delattr(module, body.target)
    if dropped:
        module.graph.lint()
        module.recompile()
