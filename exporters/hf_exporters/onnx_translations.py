"""onnxscript lowerings for aten ops whose default torchlib lowering is missing or wrong.

Each function is traced by torch.onnx's exporter: plain Python over ``ir.Value`` inputs, emitting ONNX
ops through ``op``. Static facts (ranks, expert counts) may steer Python control flow; tensor values
may not. They are collected into ``_ONNX_TRANSLATION_TABLE`` in exporter_onnx.py (Stage 4).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from onnxscript import opset18 as op
from onnxscript.function_libs.torch_lib.ops.core import aten_index_put as _torchlib_index_put

_BOOL = 9  # onnx TensorProto.BOOL
_INT64 = 7  # onnx TensorProto.INT64


def _is_bool(value: Any) -> bool:
    return value is not None and getattr(value.dtype, "value", value.dtype) == _BOOL


def _aten_index_put(self: Any, indices: Sequence[Any], values: Any, accumulate: bool = False) -> Any:
    """``x[mask] = values`` with a boolean mask.

    torchlib lowers it as ``Where(mask, values, x)``, which only holds when ``values`` broadcasts to
    ``x``; with one value per selected element (``x[mask] = v`` where ``v`` has ``mask.sum()`` rows)
    ORT rejects the Where ("Incompatible dimensions"). Here the k-th selected element takes
    ``values[k]``: a running count of the mask picks the row to gather. Integer indices go to
    torchlib's lowering unchanged.
    """
    if len(indices) != 1 or not _is_bool(indices[0]):
        return _torchlib_index_put(self, indices, values, accumulate)
    mask = indices[0]
    mask_rank, self_rank = len(mask.shape), len(self.shape)
    values_rank = len(values.shape)
    self_shape = op.Shape(self)
    # (P, *rest): the masked prefix dims flattened into one
    flat_shape = op.Concat(op.Constant(value_ints=[-1]), op.Shape(self, start=mask_rank), axis=0)
    flat_self = op.Reshape(self, flat_shape)
    flat_mask = op.Reshape(mask, op.Constant(value_ints=[-1]))
    broadcast_mask = op.Reshape(
        flat_mask, op.Concat(op.Constant(value_ints=[-1]), op.Constant(value_ints=[1] * (self_rank - mask_rank)), axis=0)
    )
    if values_rank < 1 + self_rank - mask_rank:
        gathered = op.CastLike(values, self)  # values broadcast over every selected element
    else:
        position = op.Sub(op.CumSum(op.Cast(flat_mask, to=_INT64), op.Constant(value_int=0)), op.Constant(value_int=1))
        position = op.Max(position, op.Constant(value_int=0))  # unselected rows gather row 0, then Where drops them
        gathered = op.Gather(op.CastLike(values, self), position, axis=0)
    update = op.Add(flat_self, gathered) if accumulate else gathered
    result = op.Where(broadcast_mask, update, flat_self)
    return op.Reshape(result, self_shape)


def _aten_sym_numel(self: Any) -> Any:
    """``x.numel()`` of a tensor whose size is only known at run time (``repeat_interleave`` by tensor
    counts, as the packed vision encoders' position helpers use): torchlib has no lowering for
    ``aten.sym_numel`` ("No ONNX function found"), and ONNX's ``Size`` is exactly it."""
    return op.Size(self)


def _aten_masked_scatter(self: Any, mask: Any, source: Any) -> Any:
    """``x.masked_scatter(mask, source)`` with a mask that broadcasts to ``x`` at the same rank.

    torchlib (onnxscript 0.7.0) expands only a mask of lower rank; a ``(B, S, 1)`` mask over
    ``(B, S, H)`` embeddings (how LLaVA-style models place image features on their placeholder
    tokens) stays unexpanded, so ``NonZero`` finds one position per token instead of H and the
    wrong source elements land in the wrong places, silently. Both sides are broadcast to their
    common shape first, as https://github.com/microsoft/onnxscript/pull/2929 does upstream.
    """
    self = op.Expand(self, op.Shape(mask))
    mask = op.Expand(mask, op.Shape(self))
    index = op.Transpose(op.NonZero(mask), perm=[1, 0])
    # ScatterND takes exactly one update per index: the first mask.sum() source elements, flat
    count = op.Gather(op.Shape(index), op.Constant(value_ints=[0]), axis=0)
    flat_source = op.Reshape(op.CastLike(source, self), op.Constant(value_ints=[-1]))
    updates = op.Slice(flat_source, op.Constant(value_ints=[0]), count, op.Constant(value_ints=[0]))
    return op.ScatterND(self, index, updates)


def _aten_bincount(self: Any, weights: Any = None, minlength: int = 0) -> Any:
    """``torch.bincount``: torchlib has no lowering (NotImplementedError). OneHot over
    ``max(max(x) + 1, minlength)`` classes, then a sum over the inputs (weighted when given)."""
    depth = op.Max(op.Add(op.ReduceMax(self, keepdims=0), op.Constant(value_int=1)), op.Constant(value_int=minlength))
    depth = op.Reshape(op.Cast(depth, to=_INT64), op.Constant(value_ints=[1]))
    one_hot = op.OneHot(self, depth, op.Constant(value_ints=[0, 1]), axis=-1)
    if weights is None:
        return op.ReduceSum(op.Cast(one_hot, to=_INT64), op.Constant(value_ints=[0]), keepdims=0)
    weighted = op.Mul(op.CastLike(one_hot, weights), op.Unsqueeze(weights, op.Constant(value_ints=[1])))
    return op.ReduceSum(weighted, op.Constant(value_ints=[0]), keepdims=0)


def _aten_grouped_mm(input: Any, weight: Any, offs: Any = None, *args: Any, **kwargs: Any) -> Any:
    """Grouped matmul of MoE experts (``aten._grouped_mm`` and transformers' ``grouped_mm_fallback``).

    Tokens arrive sorted by expert; ``offs[e]`` ends expert e's rows. ONNX has no grouped matmul,
    so it is unrolled: one Slice + MatMul per expert, concatenated, with zero rows after the last
    offset as the fallback leaves them. Needs a static expert count.
    """
    experts = weight.shape[0]
    if not isinstance(experts, int):
        raise ValueError("grouped_mm lowering needs a static number of experts (weight.shape[0]).")
    ends = op.Cast(offs, to=_INT64)
    zero = op.Constant(value_ints=[0])
    pieces = []
    start = zero
    for expert in range(experts):
        end = op.Slice(ends, op.Constant(value_ints=[expert]), op.Constant(value_ints=[expert + 1]))
        rows = op.Slice(input, start, end, zero)
        expert_weight = op.Squeeze(op.Slice(weight, op.Constant(value_ints=[expert]), op.Constant(value_ints=[expert + 1]), zero), zero)
        pieces.append(op.MatMul(rows, expert_weight))
        start = end
    tail_rows = op.Sub(op.Shape(input, start=0, end=1), start)
    tail = op.Expand(op.CastLike(op.Constant(value_float=0.0), input), op.Concat(tail_rows, op.Shape(weight, start=2, end=3), axis=0))
    return op.Concat(*pieces, tail, axis=0)
