"""The model-side patches of the dynamo stage 2, each with the upstream failure it works around
reproduced on a real transformers model: the unpatched export fails, ours matches eager."""

import pytest
import torch
import transformers

from hf_exporters import DynamoExporter, OnnxExporter
from hf_exporters.utils import get_leaf_tensors


class UnpatchedDynamoExporter(DynamoExporter):
    """torch.export as upstream runs it: our exporter without any registered patch."""

    patch_backends = ()


class UnpatchedModelOnnxExporter(OnnxExporter):
    """Our ONNX exporter without the model-side (dynamo) patches."""

    patch_backends = ("onnx",)


def tiny_bamba() -> torch.nn.Module:
    # one Mamba2 mixer layer and one attention layer; a chunk longer than every sequence below, so
    # only the conv branch depends on the length
    torch.manual_seed(0)
    config = transformers.AutoConfig.for_model(
        "bamba", vocab_size=64, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, mamba_n_heads=4, mamba_d_head=16, mamba_n_groups=1, mamba_d_state=8, mamba_d_conv=4,
        mamba_chunk_size=64, attn_layer_indices=[1], max_position_embeddings=64)
    return transformers.BambaModel(config).eval()


def token_inputs(batch: int, seq: int) -> dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(seq)
    return {"input_ids": torch.randint(0, 64, (batch, seq), generator=generator), "attention_mask": torch.ones(batch, seq, dtype=torch.long)}


@pytest.fixture(scope="module")
def bamba() -> torch.nn.Module:
    return tiny_bamba()


def test_unpatched_conv_state_prefill_guards_the_sequence_to_the_kernel_size(bamba) -> None:
    program = UnpatchedDynamoExporter().export(bamba, token_inputs(2, 7), {"dynamic": True})
    with pytest.raises(AssertionError, match=r"Guard failed: .*size\(\)\[1\] >= 4"):
        program.module()(**token_inputs(1, 1))


@pytest.mark.parametrize("seq", [1, 3, 4, 9])
def test_conv_state_prefill_matches_eager_below_and_above_the_kernel_size(bamba, seq: int) -> None:
    program = DynamoExporter().export(bamba, token_inputs(2, 7), {"dynamic": True})
    inputs = token_inputs(1, seq)
    with torch.no_grad():
        expected = get_leaf_tensors(bamba(**inputs))
    got = get_leaf_tensors(program.module()(**inputs))
    assert list(got) == list(expected)
    for name in expected:
        torch.testing.assert_close(got[name], expected[name], msg=name)


def test_onnx_conv_states_have_the_kernel_length_at_sequence_one(bamba) -> None:
    inputs = token_inputs(1, 1)
    with torch.no_grad():
        expected = get_leaf_tensors(bamba(**inputs))
    # unpatched, the ONNX file drops the guard and returns conv states of the prompt's length (1, not 4)
    unpatched = dict(zip(expected, UnpatchedModelOnnxExporter().export(bamba, token_inputs(2, 7), {"dynamic": True})(**inputs)))
    assert tuple(unpatched["past_key_values.0.conv_states.0"].shape) == (1, 80, 1)
    onnx_program = OnnxExporter().export(bamba, token_inputs(2, 7), {"dynamic": True})
    got = dict(zip(expected, onnx_program(**inputs)))
    conv = [name for name in expected if "conv" in name]
    assert conv, list(expected)
    for name in expected:
        assert tuple(got[name].shape) == tuple(expected[name].shape), name
        torch.testing.assert_close(torch.as_tensor(got[name]), expected[name], msg=name, atol=1e-4, rtol=1e-4)


def tiny_rwkv() -> torch.nn.Module:
    torch.manual_seed(0)
    config = transformers.RwkvConfig(vocab_size=64, hidden_size=32, attention_hidden_size=32, intermediate_size=64,
                                     num_hidden_layers=2, context_length=128)
    return transformers.RwkvModel(config).eval()


@pytest.fixture(scope="module")
def rwkv() -> torch.nn.Module:
    return tiny_rwkv()


def test_unpatched_rwkv_unrolls_its_time_mixing_loop_for_the_traced_length(rwkv) -> None:
    program = UnpatchedDynamoExporter().export(rwkv, token_inputs(2, 7), {"dynamic": True})
    with pytest.raises(AssertionError, match=r"Guard failed: .*size\(\)\[1\] == 7"):
        program.module()(**token_inputs(2, 9))


@pytest.mark.parametrize(("batch", "seq"), [(1, 1), (2, 2), (3, 9), (2, 40)])
def test_rwkv_closed_form_matches_eager_at_every_length(rwkv, batch: int, seq: int) -> None:
    # state included: the closed form's final num/den/max are the loop's, not only its outputs
    program = DynamoExporter().export(rwkv, token_inputs(2, 7), {"dynamic": True})
    inputs = token_inputs(batch, seq)
    with torch.no_grad():
        expected = get_leaf_tensors(rwkv(**inputs))
    got = get_leaf_tensors(program.module()(**inputs))
    assert list(got) == list(expected)
    for name in expected:
        torch.testing.assert_close(got[name], expected[name], msg=name, atol=1e-4, rtol=1e-4)


def test_a_static_rwkv_export_keeps_the_loop(rwkv) -> None:
    # the closed form costs O(seq^2) memory, so only a symbolic length takes it
    static = DynamoExporter().export(rwkv, token_inputs(2, 7), {"dynamic": False})
    targets = {str(node.target) for node in static.graph.nodes}
    assert not any("where" in target for target in targets), sorted(targets)
    dynamic = DynamoExporter().export(rwkv, token_inputs(2, 7), {"dynamic": True})
    assert any("where" in str(node.target) for node in dynamic.graph.nodes)


def test_rwkv_closed_form_continues_a_carried_state_as_the_loop_does() -> None:
    from transformers.models.rwkv.modeling_rwkv import rwkv_linear_attention_cpu

    from hf_exporters.rwkv_scan import wkv_closed_form

    generator = torch.Generator().manual_seed(0)
    decay, first = torch.randn(16, generator=generator) * 2, torch.randn(16, generator=generator)
    key, value = torch.randn(3, 12, 16, generator=generator) * 3, torch.randn(3, 12, 16, generator=generator)
    _, carried = rwkv_linear_attention_cpu(decay, first, key, value, return_state=True)
    expected = rwkv_linear_attention_cpu(decay, first, key, value, state=[s.clone() for s in carried])
    got = wkv_closed_form(decay, first, key, value, state=[s.clone() for s in carried])
    torch.testing.assert_close(got[0], expected[0])
    for name, want, have in zip(("num", "den", "max"), expected[1], got[1]):
        torch.testing.assert_close(have, want, msg=name)


def tiny_internvl() -> torch.nn.Module:
    # a 32 px image in 8 px patches: a 4 x 4 grid the pixel shuffle halves to 4 image tokens
    torch.manual_seed(0)
    vision = transformers.InternVLVisionConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=2,
                                               image_size=[32, 32], patch_size=[8, 8])
    text = transformers.Qwen2Config(vocab_size=64, hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=2,
                                    num_key_value_heads=1, max_position_embeddings=64)
    config = transformers.InternVLConfig(vision_config=vision, text_config=text, image_token_id=60)
    return transformers.InternVLForConditionalGeneration(config).eval()


def image_and_text(batch: int, seed: int) -> dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    text = torch.randint(0, 59, (batch, 5), generator=generator)
    return {"input_ids": torch.cat([torch.full((batch, 4), 60), text], dim=1), "attention_mask": torch.ones(batch, 9, dtype=torch.long),
            "pixel_values": torch.randn(batch, 3, 32, 32, generator=generator)}


@pytest.fixture(scope="module")
def internvl() -> torch.nn.Module:
    return tiny_internvl()


def test_unpatched_internvl_pixel_shuffle_fails_value_range_analysis(internvl) -> None:
    with pytest.raises(Exception, match=r"Invalid ranges \[0\.5\d*:-0\.5\d*\]"):
        UnpatchedDynamoExporter().export(internvl, image_and_text(2, 0), {"dynamic": True})


def test_internvl_pixel_shuffle_in_whole_numbers_matches_eager_at_another_batch(internvl) -> None:
    program = DynamoExporter().export(internvl, image_and_text(2, 0), {"dynamic": True})
    inputs = image_and_text(3, 1)
    with torch.no_grad():
        expected = internvl(**inputs).logits
    torch.testing.assert_close(program.module()(**inputs).logits, expected)


def tiny_llava() -> torch.nn.Module:
    torch.manual_seed(0)
    vision = transformers.CLIPVisionConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                                           image_size=32, patch_size=16, projection_dim=32)
    text = transformers.LlamaConfig(vocab_size=64, hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=4,
                                    num_key_value_heads=2, max_position_embeddings=64)
    return transformers.LlavaForConditionalGeneration(transformers.LlavaConfig(vision_config=vision, text_config=text, image_token_id=60)).eval()


@pytest.fixture(scope="module")
def llava() -> torch.nn.Module:
    return tiny_llava()


def test_unpatched_llava_specialises_the_image_batch(llava) -> None:
    program = UnpatchedDynamoExporter().export(llava, image_and_text(2, 0), {"dynamic": True})
    with pytest.raises(AssertionError, match=r"Guard failed: pixel_values\.size\(\)\[0\] == 2"):
        program.module()(**image_and_text(1, 1))


@pytest.mark.parametrize("batch", [1, 3])
def test_llava_image_features_without_a_list_match_eager_at_other_batches(llava, batch: int) -> None:
    program = DynamoExporter().export(llava, image_and_text(2, 0), {"dynamic": True})
    inputs = image_and_text(batch, batch)
    with torch.no_grad():
        expected = llava(**inputs).logits
    torch.testing.assert_close(program.module()(**inputs).logits, expected)
