"""ExecutorchExporter with XNNPACK: every stage's patch or fix on the smallest module that needs it
(plain torch.export + to_edge fails without it), and the tiny models as real .pte files."""


import os

import pytest
import torch
from torch.export import Dim
from torch.utils._sympy.numbers import int_oo
from executorch.backends.xnnpack.partition.xnnpack_partitioner import XnnpackPartitioner
from executorch.exir import to_edge_transform_and_lower
from executorch.runtime import Runtime

from hf_exporters import DynamoConfig, DynamoExporter, ExecutorchConfig, ExecutorchExporter
from hf_exporters.exporter_executorch import (
    _MAX_DIM_FLOOR,
    _attention_math,
    _fix_missing_placeholder_vals,
    _fix_range_constraints,
    _patch_eval_upper_bound,
    _patch_view_bounds_within_base,
)
from hf_exporters.utils import get_leaf_tensors
from hf_exporters.utils.registries import is_active, patch_attribute

from .tiny_models import build_tiny, text_inputs


def load_pte(manager, tmp_path, name="model.pte"):
    path = tmp_path / name
    with open(path, "wb") as file:
        manager.write_to_file(file)
    return Runtime.get().load_program(str(path)).load_method("forward")


def run_pte(method, manager, inputs):
    outputs = method.execute([inputs[name] for name in manager.hf_input_names])
    return dict(zip(manager.hf_output_names, outputs))


def plain_lowering(module, inputs, config):
    """torch.export and XNNPACK lowering with none of ExecutorchExporter's patches or fixes."""
    program = DynamoExporter().export(module, inputs, config)
    return to_edge_transform_and_lower(program, partitioner=[XnnpackPartitioner()]).to_executorch()


def test_tiny_models_run_as_pte_at_two_sequence_lengths(tiny_model_type, tmp_path) -> None:
    model = build_tiny(tiny_model_type)
    manager = ExecutorchExporter().export(model, text_inputs(model, 2, 7), ExecutorchConfig(dynamic=True))
    assert manager.hf_input_names == list(text_inputs(model, 2, 7))
    method = load_pte(manager, tmp_path)
    for seq in (5, 12):
        inputs = text_inputs(model, 2, seq, seed=seq)
        actual = run_pte(method, manager, inputs)
        with torch.no_grad():
            expected = get_leaf_tensors(model(**inputs))
        assert list(actual) == list(expected)
        for name, tensor in expected.items():
            torch.testing.assert_close(actual[name], tensor, atol=1e-4, rtol=1e-4, msg=name)


def test_sdpa_is_decomposed_at_trace_time(tmp_path) -> None:
    model = build_tiny("gpt2")
    inputs = text_inputs(model, 2, 7)
    with pytest.raises(ValueError, match="Cannot view a tensor"):
        plain_lowering(model, inputs, DynamoConfig())
    manager = ExecutorchExporter().export(model, inputs, ExecutorchConfig())
    actual = run_pte(load_pte(manager, tmp_path), manager, inputs)
    torch.testing.assert_close(actual["logits"], model(**inputs).logits, atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("variant", ["none", "bool", "float", "causal", "gqa"])
def test_attention_math_matches_sdpa(variant) -> None:
    generator = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(2, 4, 5, 8, generator=generator) for _ in range(3))
    kwargs = {}
    if variant == "bool":
        kwargs["attn_mask"] = torch.rand(2, 1, 5, 5, generator=generator) > 0.3
        kwargs["attn_mask"][..., 0] = True  # no fully masked row
    elif variant == "float":
        kwargs["attn_mask"] = torch.randn(2, 1, 5, 5, generator=generator)
    elif variant == "causal":
        kwargs["is_causal"] = True
    elif variant == "gqa":
        k, v = k[:, :2], v[:, :2]
        kwargs["enable_gqa"] = True
    expected = torch.nn.functional.scaled_dot_product_attention(q, k, v, **kwargs)
    torch.testing.assert_close(_attention_math(q, k, v, **kwargs), expected, atol=1e-5, rtol=1e-5)


class Explodes(torch.nn.Module):
    def forward(self, x):
        torch.nn.functional.scaled_dot_product_attention(x, x, x)
        raise RuntimeError("model bug")


def test_patches_are_restored_after_export_and_after_a_failing_export() -> None:
    original = torch.nn.functional.scaled_dot_product_attention
    model = build_tiny("bert")
    ExecutorchExporter().export(model, text_inputs(model, 2, 5), ExecutorchConfig())
    assert torch.nn.functional.scaled_dot_product_attention is original
    with pytest.raises(RuntimeError, match="model bug"):
        ExecutorchExporter().export(Explodes(), {"x": torch.rand(1, 2, 3, 4)}, ExecutorchConfig())
    assert torch.nn.functional.scaled_dot_product_attention is original


class Scale(torch.nn.Module):
    def forward(self, x):
        return x * 2


def test_unbounded_dims_are_capped_for_memory_planning(tmp_path) -> None:
    inputs = {"x": torch.rand(3, 10)}
    if is_active("executorch", _patch_eval_upper_bound):  # executorch < 1.4.1 refuses unbounded dims
        with pytest.raises(RuntimeError, match="Cannot evaluate the shape upper bound"):
            plain_lowering(Scale(), inputs, DynamoConfig(dynamic=True))
    else:  # later ones fall back to the traced size, so the cap is what lets a larger input run
        plain = plain_lowering(Scale(), inputs, DynamoConfig(dynamic=True))
        (tmp_path / "plain.pte").write_bytes(plain.buffer)
        method = Runtime.get().load_program(str(tmp_path / "plain.pte")).load_method("forward")
        with pytest.raises(RuntimeError, match="set_inputs"):
            method.execute([torch.rand(50, 64)])
    program = DynamoExporter().export(Scale(), inputs, DynamoConfig(dynamic=True))
    _fix_range_constraints(program)
    # max(4 x traced, 64): batch 3 -> 64, sequence 10 -> 64
    assert sorted(int(bounds.upper) for bounds in program.range_constraints.values()) == [64, 64]
    manager = ExecutorchExporter().export(Scale(), inputs, ExecutorchConfig(dynamic=True))
    method = load_pte(manager, tmp_path)
    x = torch.rand(50, 64)  # the bound itself is inside the range
    torch.testing.assert_close(run_pte(method, manager, {"x": x})["output"], x * 2)


class Window(torch.nn.Module):
    """A slice up to a fixed end, as sliding-window attention takes one (Cohere 2): torch.export
    bounds the sliced dim below that end by a guard of its own."""

    def forward(self, x):
        return x[:, :4094] * 2


def test_a_guard_bound_on_an_automatic_dim_is_capped_too(tmp_path) -> None:
    inputs = {"x": torch.rand(3, 10)}
    program = DynamoExporter().export(Window(), inputs, DynamoConfig(dynamic=True))
    # the guard's bound, which memory planning sized every buffer of a tiny Cohere 2 for (19 GB)
    assert max(int(bounds.upper) for bounds in program.range_constraints.values() if bounds.upper is not int_oo) > 4000
    _fix_range_constraints(program)
    assert sorted(int(bounds.upper) for bounds in program.range_constraints.values()) == [_MAX_DIM_FLOOR, _MAX_DIM_FLOOR]
    manager = ExecutorchExporter().export(Window(), inputs, ExecutorchConfig(dynamic=True))
    assert manager.hf_input_bounds["x"][1][1] == _MAX_DIM_FLOOR
    x = torch.rand(50, _MAX_DIM_FLOOR)
    torch.testing.assert_close(run_pte(load_pte(manager, tmp_path), manager, {"x": x})["output"], x * 2)


def test_a_float_range_is_left_alone() -> None:
    import sympy
    from torch.utils._sympy.value_ranges import ValueRanges

    program = DynamoExporter().export(Scale(), {"x": torch.rand(3, 10)}, DynamoConfig(dynamic=True))
    # what an unbacked float of the trace (Funnel's position scales) leaves in the range constraints
    program._range_constraints[sympy.Symbol("zuf0")] = ValueRanges(-sympy.oo, sympy.oo)
    _fix_range_constraints(program)
    assert program.range_constraints[sympy.Symbol("zuf0")] == ValueRanges(-sympy.oo, sympy.oo)
    assert sorted(int(bounds.upper) for bounds in program.range_constraints.values() if bounds.upper.is_Integer) == [64, 64]


def test_explicit_bounds_are_kept() -> None:
    program = DynamoExporter().export(
        Scale(), {"x": torch.rand(3, 10)}, DynamoConfig(dynamic_shapes={"x": {0: Dim("b", max=500), 1: Dim("s", max=9000)}})
    )
    _fix_range_constraints(program)
    assert sorted(int(bounds.upper) for bounds in program.range_constraints.values()) == [500, 9000]
    # a declared bound stays beside an automatic dim, whose guard bound is capped
    program = DynamoExporter().export(
        Window(), {"x": torch.rand(3, 10)}, DynamoConfig(dynamic_shapes={"x": {0: Dim.AUTO, 1: Dim("s", max=3000)}})
    )
    _fix_range_constraints(program)
    assert sorted(int(bounds.upper) for bounds in program.range_constraints.values()) == [_MAX_DIM_FLOOR, 3000]


def test_missing_placeholder_vals_are_filled_from_the_state_dict() -> None:
    program = DynamoExporter().export(torch.nn.Linear(4, 3), {"input": torch.rand(2, 4)}, DynamoConfig())
    weight = next(n for n in program.graph.nodes if n.op == "placeholder" and "weight" in n.name)
    del weight.meta["val"]
    _fix_missing_placeholder_vals(program)
    assert tuple(weight.meta["val"].shape) == (3, 4)


class SymMax(torch.nn.Module):
    def forward(self, x):
        return x[:, : max(x.shape[1] - 2, 1)] + 1


class SymPow(torch.nn.Module):
    def forward(self, x):
        return x.reshape(-1)[: x.shape[1] ** 2 // x.shape[1]] + 1


@pytest.mark.parametrize(("module", "plain_error"), [(SymMax(), AssertionError), (SymPow(), Exception)])
def test_python_sym_ops_lower_as_executorch_prim(module, plain_error, tmp_path) -> None:
    inputs = {"x": torch.rand(3, 8)}
    with pytest.raises(plain_error):
        plain_lowering(module, inputs, DynamoConfig(dynamic=True))
    manager = ExecutorchExporter().export(module, inputs, ExecutorchConfig(dynamic=True))
    method = load_pte(manager, tmp_path)
    for shape in [(3, 8), (5, 6)]:
        x = torch.rand(*shape)
        torch.testing.assert_close(run_pte(method, manager, {"x": x})["output"], module(x))


class Conv1dFeatures(torch.nn.Module):
    """Wav2Vec2's feature encoder in small: raw audio (batch, samples) through a 1-D convolution."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.conv = torch.nn.Conv1d(1, 4, kernel_size=5, stride=2)

    def forward(self, x):
        return self.conv(x[:, None])


def test_conv1d_with_dynamic_batch_and_length_runs_outside_the_xnnpack_delegate(tmp_path) -> None:
    module, inputs = Conv1dFeatures(), {"x": torch.rand(2, 40)}
    with pytest.raises(Exception, match="XNNPACK reshape only supports 1 dynamic dimension"):
        plain_lowering(module, inputs, DynamoConfig(dynamic=True))
    manager = ExecutorchExporter().export(module, inputs, ExecutorchConfig(dynamic=True))
    method = load_pte(manager, tmp_path)
    for shape in [(2, 40), (3, 57), (1, 9)]:
        x = torch.rand(*shape)
        with torch.no_grad():
            torch.testing.assert_close(run_pte(method, manager, {"x": x})["output"], module(x))
    # one dynamic dim still goes to XNNPACK: the patch narrows the partitioner, nothing else
    static_batch = ExecutorchExporter().export(module, inputs, ExecutorchConfig(dynamic_shapes={"x": {1: Dim.AUTO}}))
    assert [d.id for d in static_batch.executorch_program.execution_plan[0].delegates] == ["XnnpackBackend"]


class TrailingUnsqueeze(torch.nn.Module):
    """The Mamba2 mixer's gating in small: a (batch, seq) tensor unsqueezed on the trailing dim."""

    def forward(self, x):
        return x * torch.sigmoid(x.sum(-1)).unsqueeze(-1)


def test_unsqueeze_with_dynamic_batch_and_length_runs_outside_the_xnnpack_delegate(tmp_path) -> None:
    module, inputs = TrailingUnsqueeze(), {"x": torch.rand(2, 7, 4)}
    with pytest.raises(Exception, match="XNNPACK reshape only supports 1 dynamic dimension"):
        plain_lowering(module, inputs, DynamoConfig(dynamic=True))
    manager = ExecutorchExporter().export(module, inputs, ExecutorchConfig(dynamic=True))
    method = load_pte(manager, tmp_path)
    for shape in [(2, 7, 4), (3, 11, 4), (1, 1, 4)]:
        x = torch.rand(*shape)
        torch.testing.assert_close(run_pte(method, manager, {"x": x})["output"], module(x))


class TimeShift(torch.nn.Module):
    """RWKV's time shift in small: each step sees the one before it, a pad of one in front of the
    sequence and a crop (a negative pad) of one at its end."""

    def __init__(self) -> None:
        super().__init__()
        self.shift = torch.nn.ZeroPad2d((0, 0, 1, -1))

    def forward(self, x):
        return self.shift(x) - x


@pytest.mark.parametrize("dynamic", [False, True])
def test_a_negative_pad_runs_as_a_crop(dynamic, tmp_path) -> None:
    module, inputs = TimeShift(), {"x": torch.rand(2, 7, 4)}
    plain = plain_lowering(module, inputs, DynamoConfig(dynamic_shapes={"x": {0: Dim("batch", max=8), 1: Dim("seq", max=16)}} if dynamic else None))
    with open(tmp_path / "plain.pte", "wb") as file:
        plain.write_to_file(file)
    # the runtime logs "Padding values must be non-negative ... op_constant_pad_nd"; the exception says 0x12
    with pytest.raises(RuntimeError, match="failed with error 0x12"):
        Runtime.get().load_program(str(tmp_path / "plain.pte")).load_method("forward").execute([inputs["x"]])
    manager = ExecutorchExporter().export(module, inputs, ExecutorchConfig(dynamic=dynamic))
    method = load_pte(manager, tmp_path)
    for shape in [(2, 7, 4), (3, 11, 4), (1, 1, 4)] if dynamic else [(2, 7, 4)]:
        x = torch.rand(*shape)
        torch.testing.assert_close(run_pte(method, manager, {"x": x})["output"], module(x))


class SplitThenArange(torch.nn.Module):
    """CodeGen's attention in small: a projection split in two (``aten.split`` returns ``Tensor[]``)
    and a count over the batch (``torch.arange``, as masks index rows by batch)."""

    def forward(self, x):
        a, b = torch.split(x, x.shape[-1] // 2, dim=-1)
        return a * b + torch.arange(x.shape[0])[:, None, None]


def test_a_split_keeps_the_batch_dynamic_through_the_edge_verifier(tmp_path) -> None:
    module, inputs = SplitThenArange(), {"x": torch.rand(2, 7, 8)}
    bounded = {"x": {0: Dim("batch", max=8), 1: Dim("seq", max=16)}}  # plain lowering plans memory for bounded dims only
    plain = plain_lowering(module, inputs, DynamoConfig(dynamic_shapes=bounded))
    with open(tmp_path / "plain.pte", "wb") as file:
        plain.write_to_file(file)
    pinned = Runtime.get().load_program(str(tmp_path / "plain.pte")).load_method("forward")
    # the runtime logs "Attempted to resize a static tensor" from op_arange; the exception says 0x12
    with pytest.raises(RuntimeError, match="failed with error 0x12"):
        pinned.execute([torch.rand(1, 7, 8)])
    manager = ExecutorchExporter().export(module, inputs, ExecutorchConfig(dynamic=True))
    method = load_pte(manager, tmp_path)
    for shape in [(2, 7, 8), (1, 7, 8), (3, 5, 8)]:
        x = torch.rand(*shape)
        torch.testing.assert_close(run_pte(method, manager, {"x": x})["output"], module(x))


class HeadsViewedBack(torch.nn.Module):
    """SEW-D's disentangled attention in small: scores of (batch x heads, t, t) viewed back as
    (-1, heads, t, t), with t a sum ((s + 1) // 2 + 1, as a strided conv's length is). The view's
    -1 dim is a floor division sympy does not simplify, bounded far above the batch."""

    def forward(self, x):
        h = torch.nn.functional.pad(x[:, ::2], (0, 1))
        heads = h.repeat(2, 1)
        scores = heads[:, :, None] * heads[:, None, :]
        return scores.view(-1, 2, h.shape[1], h.shape[1]).sum(1)


def test_a_view_is_planned_within_its_base(tmp_path) -> None:
    from executorch.exir.passes import sym_shape_eval_pass

    module, inputs = HeadsViewedBack(), {"x": torch.rand(2, 9)}
    program = DynamoExporter().export(module, inputs, DynamoConfig(dynamic=True))
    _fix_range_constraints(program)  # bounded dims, as the exporter plans them
    with patch_attribute(sym_shape_eval_pass, "eval_upper_bound", _patch_eval_upper_bound):  # the int_oo fallback alone
        plain = to_edge_transform_and_lower(program, partitioner=[]).to_executorch()
    (tmp_path / "plain.pte").write_bytes(plain.buffer)
    # the runtime logs "offset_bytes (...) + size_bytes (...) >= allocator size (...)"; the exception says 0x21
    with pytest.raises(RuntimeError, match="Failed to load method forward, error: 0x:21"):
        Runtime.get().load_program(str(tmp_path / "plain.pte")).load_method("forward")
    assert is_active("executorch", _patch_view_bounds_within_base)
    manager = ExecutorchExporter().export(module, inputs, ExecutorchConfig(dynamic=True))
    method = load_pte(manager, tmp_path)
    for shape in [(2, 9), (5, 17), (1, 3), (3, 64)]:
        x = torch.rand(*shape)
        torch.testing.assert_close(run_pte(method, manager, {"x": x})["output"], module(x))


class AddsToItsInput(torch.nn.Module):
    """Moonshine Streaming's decoder in small: an input updated in place (``encoder_hidden_states +=
    position_embeddings``) before the output is computed from it."""

    def forward(self, x, memory):
        memory += 1.0
        return {"out": x * memory.sum(-1, keepdim=True)}


def test_an_input_mutated_in_place_is_not_a_pte_output(tmp_path) -> None:
    module, inputs = AddsToItsInput(), {"x": torch.rand(2, 3), "memory": torch.rand(2, 4)}
    expected = module(inputs["x"], inputs["memory"].clone())["out"]
    plain = plain_lowering(module, {name: t.clone() for name, t in inputs.items()}, DynamoConfig())
    (tmp_path / "plain.pte").write_bytes(plain.buffer)
    plain_outputs = Runtime.get().load_program(str(tmp_path / "plain.pte")).load_method("forward").execute(
        [inputs["x"], inputs["memory"].clone()])
    assert [tuple(o.shape) for o in plain_outputs] == [(2, 4), (2, 3)]  # the mutated input first: names shift by one
    manager = ExecutorchExporter().export(module, {name: t.clone() for name, t in inputs.items()}, ExecutorchConfig())
    outputs = load_pte(manager, tmp_path).execute([inputs["x"], inputs["memory"].clone()])
    assert manager.hf_output_names == ["out"] and len(outputs) == 1
    torch.testing.assert_close(outputs[0], expected)


class ReturnsACopyToo(torch.nn.Module):
    """CLVP's conditioning encoder in small: a value returned both as it is and as a copy."""

    def forward(self, x):
        y = x + 1.0
        return {"y": y, "copy": y.clone()}


def test_a_delegate_returning_a_value_and_its_copy_lowers(tmp_path) -> None:
    module, inputs = ReturnsACopyToo(), {"x": torch.rand(2, 5, 8)}
    with pytest.raises(Exception, match="is already in the inputs"):
        plain_lowering(module, inputs, DynamoConfig())
    manager = ExecutorchExporter().export(module, inputs, ExecutorchConfig())
    outputs = run_pte(load_pte(manager, tmp_path), manager, inputs)
    expected = module(**inputs)
    torch.testing.assert_close(outputs["y"], expected["y"])
    torch.testing.assert_close(outputs["copy"], expected["copy"])
    assert [d.id for d in manager.executorch_program.execution_plan[0].delegates] == ["XnnpackBackend"]


def test_unknown_backend_lists_the_valid_ones() -> None:
    with pytest.raises(ValueError, match=r"^Unsupported backend 'tpu' for ExecuTorch export; valid backends: cuda, xnnpack\.$"):
        ExecutorchExporter().export(Scale(), {"x": torch.rand(2, 2)}, {"backend": "tpu"})


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message on a machine without a GPU")
def test_cuda_backend_without_a_gpu_says_what_is_missing() -> None:
    with pytest.raises(RuntimeError, match=r"needs a CUDA GPU; this machine has .*use backend='xnnpack'"):
        ExecutorchExporter().export(Scale(), {"x": torch.rand(2, 2)}, ExecutorchConfig(backend="cuda"))


def test_alloc_flags_reach_the_memory_plan(tmp_path) -> None:
    """alloc_graph_input=False leaves the input unplanned: the runtime reads the caller's buffer."""
    def planned_inputs(manager) -> list[bool]:
        plan = manager.executorch_program.execution_plan[0]
        return [plan.values[i].val.allocation_info is not None for i in plan.inputs]

    x = torch.rand(2, 3)
    default = ExecutorchExporter().export(Scale(), {"x": x}, ExecutorchConfig())
    caller_owned = ExecutorchExporter().export(Scale(), {"x": x}, ExecutorchConfig(alloc_graph_input=False))
    assert planned_inputs(default) == [True] and planned_inputs(caller_owned) == [False]
    method = load_pte(caller_owned, tmp_path)
    torch.testing.assert_close(run_pte(method, caller_owned, {"x": x})["output"], x * 2)


def test_the_bundled_flatc_is_found_off_path(monkeypatch) -> None:
    # a virtual environment used without activation: executorch's console script is off PATH, and
    # executorch is a namespace package (its __file__ is None), so the bundled binary is found by __path__
    from hf_exporters.exporter_executorch import _ensure_flatc

    monkeypatch.delenv("FLATC_EXECUTABLE", raising=False)
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    _ensure_flatc()
    found = os.environ.get("FLATC_EXECUTABLE")
    assert found and os.path.isfile(found) and found.endswith("flatc")
