import torch
from transformers import DynamicCache
from transformers.modeling_outputs import CausalLMOutputWithPast

from hf_exporters.utils import cast_leaf_tensors, duplicate_leaf_tensors, get_leaf_tensors


def test_bare_tensor_is_output() -> None:
    t = torch.ones(2)
    assert list(get_leaf_tensors(t)) == ["output"]


def test_nested_tuples_and_dicts_use_dotted_paths() -> None:
    a, b, c = torch.zeros(1), torch.ones(1), torch.full((1,), 2.0)
    leaves = get_leaf_tensors({"x": (a, [b, None]), "y": {"z": c}, "skip": 3})
    assert list(leaves) == ["x.0", "x.1.0", "y.z"]
    assert leaves["y.z"] is c


def test_cache_layers_flatten_to_key_and_value() -> None:
    cache = DynamicCache()
    for layer in range(2):
        cache.update(torch.full((1, 2, 3, 4), float(layer)), torch.full((1, 2, 3, 4), layer + 0.5), layer)
    leaves = get_leaf_tensors({"past_key_values": cache})
    assert list(leaves) == ["past_key_values.0.key", "past_key_values.0.value", "past_key_values.1.key", "past_key_values.1.value"]
    assert leaves["past_key_values.1.value"][0, 0, 0, 0].item() == 1.5


def test_model_output_skips_none_fields_and_includes_cache() -> None:
    cache = DynamicCache()
    cache.update(torch.zeros(1, 1, 1, 2), torch.ones(1, 1, 1, 2), 0)
    output = CausalLMOutputWithPast(logits=torch.ones(1, 3), past_key_values=cache)
    # transformers 5.24 renamed the field to cache (past_key_values= still fills it); leaves follow the field
    field = "cache" if "cache" in CausalLMOutputWithPast.__dataclass_fields__ else "past_key_values"
    assert list(get_leaf_tensors(output)) == ["logits", f"{field}.0.key", f"{field}.0.value"]


def test_cast_moves_floats_and_keeps_integer_dtypes() -> None:
    cast = cast_leaf_tensors({"f": torch.ones(2), "i": torch.ones(2, dtype=torch.long)}, dtype=torch.float64)
    assert cast["f"].dtype == torch.float64 and cast["i"].dtype == torch.long


def test_cast_rebuilds_model_outputs() -> None:
    output = CausalLMOutputWithPast(logits=torch.ones(1, 3))
    cast = cast_leaf_tensors(output, dtype=torch.float16)
    assert isinstance(cast, CausalLMOutputWithPast)
    assert cast.logits.dtype == torch.float16 and cast["logits"].dtype == torch.float16


def test_duplicates_get_their_own_tensor() -> None:
    t = torch.ones(2)
    result = duplicate_leaf_tensors((t, t))
    assert result[0] is t and result[1] is not t and torch.equal(result[1], t)


def test_cycles_between_objects_are_copied_once() -> None:
    class Layer:
        pass

    class Owner:
        pass

    owner, layer = Owner(), Layer()
    owner.layers, owner.t = [layer], torch.ones(1)
    layer.owner, layer.t = owner, torch.zeros(1)
    copy = cast_leaf_tensors(owner, dtype=torch.float64)
    assert copy.t.dtype == torch.float64 and copy.layers[0].t.dtype == torch.float64
    assert copy.layers[0].owner is copy and copy is not owner


def test_symbolic_sizes_are_kept_not_copied() -> None:
    """A sliding-window cache layer's cumulative_length is a SymInt while tracing with dynamic shapes;
    copying it walked into its ShapeEnv and failed on a sympy Mod there under torch 2.15."""
    from torch.fx.experimental.symbolic_shapes import ShapeEnv, DimDynamic
    from torch._dynamo.source import ConstantSource

    shape_env = ShapeEnv()
    seq = shape_env.create_symintnode(
        shape_env.create_symbol(7, source=ConstantSource("seq"), dynamic_dim=DimDynamic.DYNAMIC), hint=7
    )
    window = seq % 4  # puts a Mod expression into the ShapeEnv's caches, as the real trace does

    class Layer:
        pass

    layer = Layer()
    layer.keys, layer.cumulative_length, layer.window = torch.ones(1), seq, window
    copy = duplicate_leaf_tensors({"cache": [layer, layer.keys]})
    copied = copy["cache"][0]
    assert copied is not layer and copied.cumulative_length is seq and copied.window is window
    assert copy["cache"][1] is not copied.keys  # the repeated tensor still gets its own copy
