"""FX node fixes more than one backend registers (each in its own exporter's Stage section)."""

from __future__ import annotations

from typing import Any

import torch

aten = torch.ops.aten


def _statically_contiguous(value: Any) -> bool:
    # is_contiguous() itself guards on the sizes, which fails outright on data-dependent ones (the
    # packed vision encoders' position ids: "Could not guard on data-dependent expression
    # Eq(u5*u6, 0)"); unknown then means "not known contiguous", which only adds a copy
    from torch._prims_common import is_contiguous_or_false

    return isinstance(value, torch.Tensor) and is_contiguous_or_false(value)


def fix_contiguous_before_view(gm: torch.fx.GraphModule, node: torch.fx.Node) -> bool:
    """Make the copy before a reshape explicit (``contiguous()`` -> ``clone(contiguous_format)``, and
    a clone before ``reshape`` of a tensor not known to be contiguous).

    A backend's decomposition may decide a copy is a no-op that the runtime layout needs:
    torch.onnx decomposes with ``backed_size_oblivious=True``, under which ``contiguous()`` of a
    transposed tensor with a dynamic dim is taken to be one (a size-1 dim would make it so), and
    the following ``view`` fails: "Cannot view a tensor with shape [s0, s1, 4, 8] and strides
    (32*s1, 8, 8*s1, 1)" (every T5 attention block with dynamic shapes). An explicit clone
    survives every decomposition and costs nothing in ONNX or after memory planning."""
    if node.target is aten.contiguous.default:
        node.target = aten.clone.default
        node.args = node.args[:1]
        node.kwargs = {"memory_format": torch.contiguous_format}
        return True
    if node.target is not aten.reshape.default or not isinstance(node.args[0], torch.fx.Node):
        return False
    source = node.args[0]
    if _statically_contiguous(source.meta.get("val")) or source.target is aten.clone.default:
        return False
    with gm.graph.inserting_before(node):
        copy = gm.graph.call_function(aten.clone.default, (source,), {"memory_format": torch.contiguous_format})
    copy.meta.update({key: value for key, value in source.meta.items() if key != "val"})
    node.replace_input_with(source, copy)
    return True
