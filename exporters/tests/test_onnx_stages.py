"""Each ONNX patch, fix, translation and IR fix on the smallest module that needs it: plain
torch.onnx export fails (or is wrong) without it, OnnxExporter passes with it."""

import onnx_ir as ir
import pytest
import torch
from types import SimpleNamespace

from hf_exporters import OnnxConfig, OnnxExporter
from hf_exporters import onnx_translations
from hf_exporters.exporter_onnx import _fix_ir_topk_sorted, apply_onnx_ir_fixes
from hf_exporters.utils import register_fx_node_fix, unregister
from hf_exporters.utils.registries import is_active


def plain_onnx(module, *args):
    program = torch.onnx.export(torch.export.export(module, args), args, dynamo=True, verbose=False)
    return program(*args)


def ours(module, **inputs):
    return OnnxExporter().export(module, inputs, OnnxConfig())(**inputs)


class BoolMaskAssign(torch.nn.Module):
    def forward(self, x, mask, values):
        y = x.clone()
        y[mask] = values
        return y


class BoolMaskScalar(torch.nn.Module):
    def forward(self, x, mask):
        y = x.clone()
        y[mask] = 0.5
        return y


class RowMaskAccumulate(torch.nn.Module):
    def forward(self, x, rows, values):
        return torch.index_put(x, (rows,), values, accumulate=True)


class Bincount(torch.nn.Module):
    def forward(self, x, weights):
        return torch.bincount(x, minlength=6), torch.bincount(x, weights)


class GroupedExperts(torch.nn.Module):
    def forward(self, tokens, weights, offsets):
        import transformers.integrations.moe  # noqa: F401  registers the custom op

        return torch.ops.transformers.grouped_mm_fallback(tokens, weights, offsets)


class TopKUnsorted(torch.nn.Module):
    def forward(self, x):
        return torch.topk(x, 3, sorted=False).indices


class Cumulative(torch.nn.Module):
    def forward(self, x):
        return torch.cummax(x, 1), x.cummin(0)


class SearchSorted(torch.nn.Module):
    def forward(self, boundaries, values):
        return torch.searchsorted(boundaries, values), torch.searchsorted(boundaries, values, right=True)


class SortStable(torch.nn.Module):
    def forward(self, x):
        return torch.sort(x, stable=True, descending=True)


class Lerp(torch.nn.Module):
    def forward(self, x):
        return torch.lerp(x, x * 2, 0.3)


class FillDiagonal(torch.nn.Module):
    def forward(self, x):
        y = x.clone()
        y.fill_diagonal_(-1.0)
        return y * 2


def test_index_put_bool_mask_with_one_value_per_element() -> None:
    x = torch.rand(4, 6)
    mask = x > 0.5
    values = torch.arange(int(mask.sum()), dtype=torch.float32)
    if is_active("onnx", onnx_translations._aten_index_put):
        with pytest.raises(Exception, match="Where|Incompatible"):
            plain_onnx(BoolMaskAssign(), x, mask, values)
    else:  # gated off where torchlib has the fix, so torchlib's lowering must be right
        torch.testing.assert_close(plain_onnx(BoolMaskAssign(), x, mask, values)[0], BoolMaskAssign()(x, mask, values))
    (out,) = ours(BoolMaskAssign(), x=x, mask=mask, values=values)
    torch.testing.assert_close(out, BoolMaskAssign()(x, mask, values))


def test_index_put_bool_mask_broadcast_scalar_and_row_mask() -> None:
    x = torch.rand(4, 6)
    (out,) = ours(BoolMaskScalar(), x=x, mask=x > 0.3)
    torch.testing.assert_close(out, BoolMaskScalar()(x, x > 0.3))
    rows = torch.tensor([True, False, True, False])
    values = torch.rand(2, 6)
    (out,) = ours(RowMaskAccumulate(), x=x, rows=rows, values=values)
    torch.testing.assert_close(out, RowMaskAccumulate()(x, rows, values))


class MaskedScatter(torch.nn.Module):
    def forward(self, x, mask, source):
        return x.masked_scatter(mask, source)


class PlaceImageFeatures(torch.nn.Module):
    """LLaVA's merge: features replace the embeddings of placeholder tokens, mask (B, S, 1)."""

    def forward(self, embeds, ids, features):
        return embeds.masked_scatter((ids == 5).unsqueeze(-1), features)


def test_masked_scatter_with_a_same_rank_broadcast_mask() -> None:
    embeds, features = torch.rand(2, 6, 4), torch.rand(4, 4)
    ids = torch.tensor([[5, 5, 1, 2, 3, 4], [5, 5, 0, 1, 2, 3]])
    expected = PlaceImageFeatures()(embeds, ids, features)
    (plain,) = plain_onnx(PlaceImageFeatures(), embeds, ids, features)
    # torchlib's lowering is silently wrong here before onnxscript 0.7.1; from then on ours is gated off
    assert torch.allclose(plain, expected) is not is_active("onnx", onnx_translations._aten_masked_scatter)
    (out,) = ours(PlaceImageFeatures(), embeds=embeds, ids=ids, features=features)
    torch.testing.assert_close(out, expected)
    mask, source = torch.rand(2, 6, 4) > 0.5, torch.rand(48)  # a full-shape mask keeps working
    (out,) = ours(MaskedScatter(), x=embeds, mask=mask, source=source)
    torch.testing.assert_close(out, MaskedScatter()(embeds, mask, source))


def test_bincount() -> None:
    x = torch.tensor([1, 2, 2, 5, 0])
    weights = torch.rand(5)
    with pytest.raises(Exception, match="bincount"):
        plain_onnx(Bincount(), x, weights)
    counts, weighted = ours(Bincount(), x=x, weights=weights)
    expected_counts, expected_weighted = Bincount()(x, weights)
    torch.testing.assert_close(counts, expected_counts)
    torch.testing.assert_close(weighted, expected_weighted.float())


def test_grouped_mm_of_moe_experts() -> None:
    tokens, weights = torch.rand(7, 8), torch.rand(3, 8, 4)
    offsets = torch.tensor([2, 2, 6], dtype=torch.int32)  # an expert with no tokens, and one unrouted row
    with pytest.raises(Exception, match="grouped_mm"):
        plain_onnx(GroupedExperts(), tokens, weights, offsets)
    (out,) = ours(GroupedExperts(), tokens=tokens, weights=weights, offsets=offsets)
    torch.testing.assert_close(out, GroupedExperts()(tokens, weights, offsets))


def test_cummax_and_cummin_patches() -> None:
    x = torch.tensor([[1.0, 3.0, 2.0, 3.0, 0.5], [0.0, -1.0, 4.0, 4.0, 5.0]])
    with pytest.raises(Exception, match="cummax|cummin"):
        plain_onnx(Cumulative(), x)
    values, indices, min_values, min_indices = ours(Cumulative(), x=x)
    (expected_max, expected_min) = Cumulative()(x)
    torch.testing.assert_close(values, expected_max.values)
    torch.testing.assert_close(indices, expected_max.indices)
    torch.testing.assert_close(min_values, expected_min.values)
    torch.testing.assert_close(min_indices, expected_min.indices)
    assert torch.cummax is not None and torch.cummax(x, 1).indices.tolist() == expected_max.indices.tolist()


def test_searchsorted_patch() -> None:
    boundaries, values = torch.tensor([0.1, 0.5, 0.5, 0.9]), torch.tensor([[0.0, 0.5], [0.7, 1.0]])
    with pytest.raises(Exception, match="searchsorted"):
        plain_onnx(SearchSorted(), boundaries, values)
    left, right = ours(SearchSorted(), boundaries=boundaries, values=values)
    expected_left, expected_right = SearchSorted()(boundaries, values)
    assert left.tolist() == expected_left.tolist() and right.tolist() == expected_right.tolist()


def test_sort_stable_fix() -> None:
    x = torch.rand(3, 5)
    with pytest.raises(Exception, match="sort"):
        plain_onnx(SortStable(), x)
    values, indices = ours(SortStable(), x=x)
    expected = SortStable()(x)
    torch.testing.assert_close(values, expected.values)
    torch.testing.assert_close(indices, expected.indices)


def test_fill_diagonal_inplace_fix() -> None:
    x = torch.rand(4, 4)
    with pytest.raises(Exception, match="as_strided_scatter"):
        plain_onnx(FillDiagonal(), x)
    (out,) = ours(FillDiagonal(), x=x)
    torch.testing.assert_close(out, FillDiagonal()(x))


def test_node_fixes_run_again_after_the_onnx_decompositions() -> None:
    seen: list[set[str]] = []

    @register_fx_node_fix("onnx")
    def _fix_record(gm, node) -> bool:
        if not seen or node is next(n for n in gm.graph.nodes if n.op == "call_function"):
            seen.append(set())
        seen[-1].add(str(node.target))
        return False

    try:
        ours(Lerp(), x=torch.rand(2, 4))
    finally:
        unregister("onnx", _fix_record)
    assert len(seen) == 2  # after torch.export, and again after the ONNX decompositions
    assert "aten.lerp.Scalar" in seen[0]
    assert seen[1] - seen[0], "the second pass must see nodes the decomposition introduced"


def topk_sorted_flags(graph_like) -> list[int]:
    return [n.attributes["sorted"].value for n in ir.traversal.RecursiveGraphIterator(graph_like) if n.op_type == "TopK"]


def test_topk_is_forced_sorted() -> None:
    x = torch.rand(4, 10)
    plain = torch.onnx.export(torch.export.export(TopKUnsorted(), (x,)), (x,), dynamo=True, verbose=False)
    assert topk_sorted_flags(plain.model.graph) == [0]  # unspecified order: runtimes may disagree
    program = OnnxExporter().export(TopKUnsorted(), {"x": x}, OnnxConfig())
    assert topk_sorted_flags(program.model.graph) == [1]
    (indices,) = program(x=x)
    assert indices.tolist() == torch.topk(x, 3, sorted=True).indices.tolist()


def test_ir_fixes_reach_every_function() -> None:
    x = ir.Value(name="x", type=ir.TensorType(ir.DataType.FLOAT), shape=ir.Shape([4]))
    k = ir.Value(name="k", type=ir.TensorType(ir.DataType.INT64), shape=ir.Shape([1]))
    node = ir.Node("", "TopK", [x, k], attributes=[ir.AttrInt64("sorted", 0)], num_outputs=2)
    graph = ir.Graph([x, k], node.outputs, nodes=[node], name="f")
    function = ir.Function("custom", "f", graph=graph, attributes=[])
    model = ir.Model(ir.Graph([], [], nodes=[], name="main", opset_imports={"": 18}), ir_version=10, functions=[function])
    apply_onnx_ir_fixes(SimpleNamespace(model=model))
    assert topk_sorted_flags(function) == [1]
    assert _fix_ir_topk_sorted is not None
