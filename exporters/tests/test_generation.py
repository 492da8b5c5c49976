"""Generation across the export boundary: decompose keys, flat cache names, export on every backend,
and a greedy loop over the exported components that must give eager ``generate(do_sample=False)``'s
tokens (8 steps, batch 2, left padding), a tie where eager's top-2 logit gap is below 1e-4.

ExecuTorch exports take tens of seconds per component on a small CPU, so those cases are marked
``slow`` (CI runs them; ``-m "not slow"`` leaves them out locally).
"""

from __future__ import annotations

import functools

import pytest
import torch
import transformers

from hf_exporters import (
    DynamoConfig,
    DynamoExporter,
    ExecutorchExporter,
    GenerationExportError,
    OnnxExporter,
    decompose_for_generation,
    decompose_multimodal,
    is_multimodal,
)
from hf_exporters.exporter_executorch import _attention_math
from hf_exporters.image_features import find_feature_rule, rule_from_config, with_feature_rule
from hf_exporters.generation import (
    RUNNER_FACTORIES,
    decoder_start_token,
    eager_generate,
    export_components,
    generation_components,
    get_leaf_tensors,
    greedy_generate,
    load_cache_tensors,
    nest_names,
    prefill_specialises_length,
)

from .generation_oracles import compare_tokens, component_io

STEPS = 8
TIE_THRESHOLD = 1e-4
IMAGE_TOKEN = 127


def _vision_and_text() -> tuple[transformers.CLIPVisionConfig, transformers.LlamaConfig]:
    vision = transformers.CLIPVisionConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                                           image_size=32, patch_size=16, projection_dim=32)
    text = transformers.LlamaConfig(vocab_size=128, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                    num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=128)
    return vision, text


def _llava_config() -> transformers.LlavaConfig:
    vision, text = _vision_and_text()
    return transformers.LlavaConfig(vision_config=vision, text_config=text, image_token_id=IMAGE_TOKEN, projector_hidden_act="gelu")


def _vipllava_config() -> transformers.VipLlavaConfig:
    # two layers joined, the class token dropped in code (VipLLaVA's config names no strategy)
    vision, text = _vision_and_text()
    return transformers.VipLlavaConfig(vision_config=vision, text_config=text, image_token_id=IMAGE_TOKEN, vision_feature_layers=[-2, -1])


# Tiny configs, initialised wide enough that greedy decoding does not repeat one token (a repeated token
# would hide a wrong cache).
TINY_GENERATIVE = {
    "llama": lambda: transformers.LlamaForCausalLM(transformers.LlamaConfig(
        vocab_size=128, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, max_position_embeddings=128)),
    "qwen3": lambda: transformers.Qwen3ForCausalLM(transformers.Qwen3Config(
        vocab_size=128, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, head_dim=8, max_position_embeddings=128, initializer_range=0.5)),
    "gpt2": lambda: transformers.GPT2LMHeadModel(transformers.GPT2Config(
        vocab_size=128, n_embd=32, n_layer=2, n_head=4, n_positions=128, bos_token_id=1, eos_token_id=2, initializer_range=0.5)),
    "t5": lambda: transformers.T5ForConditionalGeneration(transformers.T5Config(
        vocab_size=128, d_model=32, d_kv=8, d_ff=64, num_layers=2, num_decoder_layers=2, num_heads=4,
        decoder_start_token_id=0, eos_token_id=1, pad_token_id=0, initializer_factor=10.0)),
    # the sweep's tiny-gemma3: a sliding window of 4 under the 9-token prompt, so the sliding layer's
    # cache is a slice of a longer tensor when generate hands it to decode
    "gemma3": lambda: transformers.Gemma3ForCausalLM(transformers.Gemma3TextConfig(
        vocab_size=128, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, head_dim=8, max_position_embeddings=128, sliding_window=4,
        layer_types=["sliding_attention", "full_attention"], initializer_range=0.5)),
    "mamba": lambda: transformers.MambaForCausalLM(transformers.MambaConfig(
        vocab_size=128, hidden_size=32, num_hidden_layers=2, state_size=8, expand=2, conv_kernel=4, initializer_range=0.5)),
    "llava": lambda: transformers.LlavaForConditionalGeneration(_llava_config()),
    "vipllava": lambda: transformers.VipLlavaForConditionalGeneration(_vipllava_config()),
}

MULTIMODAL = ("llava", "vipllava")

EXPECTED_KEYS = {
    "llama": ["prefill", "decode"],
    "qwen3": ["prefill", "decode"],
    "gpt2": ["prefill", "decode"],
    "gemma3": ["prefill", "decode"],
    "t5": ["encoder", "prefill", "decode"],
    "mamba": ["prefill", "decode"],
    "llava": ["image_encoder", "multi_modal_projector", "embed_tokens", "language_model", "lm_head", "decode"],
    "vipllava": ["image_encoder", "multi_modal_projector", "embed_tokens", "language_model", "lm_head", "decode"],
}

CACHE_LEAVES = {"llama": ["key", "value"], "qwen3": ["key", "value"], "gpt2": ["key", "value"], "gemma3": ["key", "value"],
                "llava": ["key", "value"], "vipllava": ["key", "value"],
                "t5": ["decoder.key", "decoder.value", "encoder.key", "encoder.value"], "mamba": ["conv", "ssm"]}

EXPORTERS = {"dynamo": DynamoExporter, "onnx": OnnxExporter, "executorch": ExecutorchExporter}


def build(name: str) -> torch.nn.Module:
    torch.manual_seed(0)
    return TINY_GENERATIVE[name]().eval()


def prompt_for(name: str) -> dict[str, torch.Tensor]:
    """Batch 2, 9 tokens, the second row left-padded by 3; LLaVA gets 4 image tokens and a 32 px image."""
    generator = torch.Generator().manual_seed(1)
    ids = torch.randint(3, 120, (2, 9), generator=generator)
    mask = torch.ones(2, 9, dtype=torch.long)
    mask[1, :3], ids[1, :3] = 0, 0
    prompt = {"input_ids": ids, "attention_mask": mask}
    if name in MULTIMODAL:
        ids[0, 2:6], ids[1, 4:8] = IMAGE_TOKEN, IMAGE_TOKEN
        prompt["pixel_values"] = torch.randn(2, 3, 32, 32, generator=generator)
    return prompt


@functools.lru_cache(maxsize=None)
def prepared(name: str):
    """Model, prompt, eager tokens and gaps, components: built once per model for every test."""
    model, prompt = build(name), prompt_for(name)
    tokens, gaps = eager_generate(model, prompt, STEPS)
    return model, prompt, tokens, gaps, generation_components(model, prompt)


@pytest.mark.parametrize("name", sorted(TINY_GENERATIVE))
def test_decompose_keys_and_cache_names(name: str) -> None:
    model, prompt, *_ = prepared(name)
    components = decompose_for_generation(model, prompt)
    assert list(components) == EXPECTED_KEYS[name]
    assert is_multimodal(model) == (name in MULTIMODAL)
    _, _, _, _, wrapped = prepared(name)
    # only the SSM's scan unrolls over the sequence, so only its prefill is one per prompt length
    assert prefill_specialises_length(wrapped) == (name == "mamba")
    decode = wrapped["decode"]
    layers = model.config.get_text_config(decoder=True).num_hidden_layers if name != "t5" else model.config.num_decoder_layers
    expected_past = [f"past_key_values.{layer}.{leaf}" for layer in range(layers) for leaf in CACHE_LEAVES[name]]
    assert [n for n in decode.input_names if n.startswith("past_key_values.")] == expected_past
    with torch.no_grad():
        outputs = get_leaf_tensors(decode(**decode.sample_inputs))
    assert [n for n in outputs if n.startswith("present.")] == [n.replace("past_key_values", "present") for n in expected_past]


def test_decompose_multimodal_refuses_a_text_model() -> None:
    model, prompt, *_ = prepared("llama")
    assert not is_multimodal(model)
    with pytest.raises(ValueError, match="no multimodal submodules on LlamaForCausalLM"):
        decompose_multimodal(model, prompt)


def _run_loop(name: str, backend: str) -> dict:
    model, prompt, eager_tokens, gaps, components = prepared(name)
    timings: dict[str, float] = {}
    artifacts = export_components(EXPORTERS[backend](), components, {"dynamic": True}, timings)
    assert list(artifacts) == EXPECTED_KEYS[name]
    runners = {component: RUNNER_FACTORIES[backend](artifact) for component, artifact in artifacts.items()}

    exported_tokens = greedy_generate(runners, component_io(components), prompt, STEPS, with_feature_rule(model.config, components))
    report = compare_tokens(eager_tokens, exported_tokens, gaps, TIE_THRESHOLD)
    print(f"\n{name}/{backend}: export s {({k: round(v, 1) for k, v in timings.items()})} matched "
          f"{[row['matched_steps'] for row in report['rows']]}/{STEPS} ties {report['ties']}")
    return report


# Gemma 3's ONNX and ExecuTorch loops are the CI sweep's tiny-gemma3 generate jobs (bin/test); here only
# dynamo, the one runtime that enforces the export's guards on input strides
SWEEP_ONLY = {("gemma3", "onnx"), ("gemma3", "executorch")}
FAST_CASES = [(name, backend) for name in sorted(TINY_GENERATIVE) for backend in ("dynamo", "onnx") if (name, backend) not in SWEEP_ONLY]
# ExecuTorch 1.3.1 cannot lower these components yet (XNNPACK); strict, so a fix shows as XPASS. GPT-2's
# decode left this list with executorch:_patch_list_return_validation: the batch the edge verifier pinned
# is what made memory planning refuse a static view of the dynamic past ("_ViewSpec is incompatible").
# LLaVA's image encoder left it with executorch:_patch_xnnpack_keep_output_clones (CLIP's hidden_states
# returned beside their copy: "Output node ... is already in the inputs").
EXECUTORCH_LIMITS: dict[str, str] = {}
SLOW_CASES = [
    pytest.param(name, "executorch", marks=[pytest.mark.slow] + (
        [pytest.mark.xfail(strict=True, raises=GenerationExportError, reason=EXECUTORCH_LIMITS[name])] if name in EXECUTORCH_LIMITS else []))
    for name in sorted(TINY_GENERATIVE) if (name, "executorch") not in SWEEP_ONLY
]


@pytest.mark.parametrize(("name", "backend"), FAST_CASES + SLOW_CASES)
def test_exported_greedy_loop_reproduces_eager_tokens(name: str, backend: str) -> None:
    report = _run_loop(name, backend)
    assert report["ok"], report


@pytest.mark.parametrize("name", sorted(TINY_GENERATIVE))
def test_components_trace_contiguous_inputs(name: str) -> None:
    """torch.export guards on a traced input's strides, and a loop feeds contiguous tensors (present.*,
    prompts read from files), so a captured view traced as is fails at the first decode step: Gemma 3's
    sliding-window cache, 'Guard failed: past_key_values['0']['key'].stride()[1] != ...size()[2] * ...size()[3]'."""
    *_, components = prepared(name)
    for component, module in components.items():
        views = {leaf: tuple(tensor.stride()) for leaf, tensor in get_leaf_tensors(module.sample_inputs).items()
                 if not tensor.is_contiguous()}
        assert not views, f"{name} {component} traces non-contiguous inputs (leaf: strides) {views}"


def eager_runners(components) -> dict:
    return {name: (lambda c: lambda feeds: get_leaf_tensors(c(**nest_names(feeds))))(c) for name, c in components.items()}


def test_eager_components_reproduce_generate() -> None:
    """The loop itself, over the unexported components: what it does is what generate does."""
    model, prompt, eager_tokens, gaps, components = prepared("t5")
    with torch.no_grad():
        tokens = greedy_generate(eager_runners(components), component_io(components), prompt, STEPS, model.config)
    assert torch.equal(tokens, eager_tokens)


@pytest.mark.parametrize(("name", "rule"), [
    ("llava", {"outputs": ["hidden_states.1"], "drop_leading": 1}),  # vision_feature_layer -2 of 3, the "default" strategy
    ("vipllava", {"outputs": ["hidden_states.1", "hidden_states.2"], "drop_leading": 1}),
])
def test_the_image_feature_rule_is_the_one_that_reproduces_the_captured_projector_input(name: str, rule: dict) -> None:
    model, prompt, eager_tokens, _, components = prepared(name)
    assert find_feature_rule(model.config, components) == rule
    with torch.no_grad():
        tokens = greedy_generate(eager_runners(components), component_io(components), prompt, STEPS,
                                 with_feature_rule(model.config, components))
    assert torch.equal(tokens, eager_tokens)


def test_glue_no_rule_reproduces_is_refused_and_a_config_that_does_not_say_it_whole_gives_no_rule() -> None:
    model, prompt, _, _, components = prepared("llava")
    misdescribed = transformers.LlavaConfig(**{**model.config.to_dict(), "vision_feature_layer": 0})  # the embeddings, not layer 1
    with pytest.raises(NotImplementedError, match=r"no feature rule reproduces the input \[2, 4, 32\] .* image_encoder"):
        find_feature_rule(misdescribed, components)
    # VipLLaVA's config names layers but not the class-token drop its code does: the loop does not guess
    vip_model, vip_prompt, *_, vip_components = prepared("vipllava")
    assert rule_from_config(vip_model.config, 3) is None
    with pytest.raises(NotImplementedError, match="no image_feature_rule for model type 'vipllava'"):
        greedy_generate(eager_runners(vip_components), component_io(vip_components), vip_prompt, STEPS, vip_model.config)


def test_an_encoder_decoder_without_a_decoder_start_token_starts_from_bos() -> None:
    """generate falls back to bos_token_id when decoder_start_token_id is unset (Moonshine Streaming's
    config), so the loop does too, and gets generate's tokens."""
    torch.manual_seed(0)
    model = transformers.T5ForConditionalGeneration(transformers.T5Config(
        vocab_size=128, d_model=32, d_kv=8, d_ff=64, num_layers=2, num_decoder_layers=2, num_heads=4,
        decoder_start_token_id=None, bos_token_id=5, eos_token_id=1, pad_token_id=0, initializer_factor=10.0)).eval()
    assert model.config.decoder_start_token_id is None and decoder_start_token(model.config) == 5
    prompt = prompt_for("t5")
    eager_tokens, _ = eager_generate(model, prompt, STEPS)
    components = generation_components(model, prompt)
    with torch.no_grad():
        tokens = greedy_generate(eager_runners(components), component_io(components), prompt, STEPS, model.config)
    assert torch.equal(tokens, eager_tokens)
    del model.config.bos_token_id
    with pytest.raises(ValueError, match="needs config.decoder_start_token_id .or bos_token_id"):
        greedy_generate(eager_runners(components), component_io(components), prompt, STEPS, model.config)


def test_export_for_generation_per_component_config_and_failure_names_component() -> None:
    model, prompt, *_ = prepared("gpt2")
    exporter = DynamoExporter()
    artifacts = exporter.export_for_generation(model, prompt, {"prefill": DynamoConfig(), "decode": {"dynamic": True}})
    assert list(artifacts) == ["prefill", "decode"]
    with pytest.raises(ValueError, match=r"missing \['decode'\]"):
        exporter.export_for_generation(model, prompt, {"prefill": DynamoConfig()})
    with pytest.raises(GenerationExportError, match="component 'decode'") as caught:
        exporter.export_for_generation(model, prompt, {"prefill": {}, "decode": {"dynamic_shapes": {"not_an_input": {}}}})
    assert caught.value.component == "decode"
    assert isinstance(caught.value.__cause__, ValueError)


def test_wrong_cache_layout_is_refused() -> None:
    *_, components = prepared("llama")
    decode = components["decode"]
    cache = decode.cache_skeleton
    with pytest.raises(ValueError, match=r"cache has no slots \['0.k'\]"):
        load_cache_tensors(cache, {"0.k": torch.zeros(1)})


def test_compare_tokens_records_a_tie_not_a_failure() -> None:
    eager = torch.tensor([[1, 2, 3], [4, 5, 6]])
    exported = torch.tensor([[1, 9, 9], [4, 5, 6]])
    near_tie = compare_tokens(eager, exported, torch.tensor([[1.0, 1e-6, 1.0], [1.0, 1.0, 1.0]]))
    assert near_tie["ok"] and near_tie["ties"] == 1 and near_tie["rows"][0]["matched_steps"] == 1
    assert not compare_tokens(eager, exported, torch.ones(2, 3))["ok"]


def test_executorch_attention_gives_zeros_for_fully_masked_rows() -> None:
    """A left-padding query attends to nothing; torch's SDPA returns zeros there, and NaN instead would
    reach every row through the next layer (found by the batch-2 left-padding generation loop)."""
    query = key = value = torch.randn(1, 2, 3, 4)
    mask = torch.ones(1, 1, 3, 3, dtype=torch.bool)
    mask[..., 0, :] = False
    out = _attention_math(query, key, value, attn_mask=mask)
    expected = torch.nn.functional.scaled_dot_product_attention(query, key, value, attn_mask=mask)
    assert not out.isnan().any()
    torch.testing.assert_close(out, expected)


def test_eager_reference_is_greedy_over_raw_logits() -> None:
    """A checkpoint's generation config may force or suppress tokens; the exported graphs give raw
    logits, so the reference must too (and must make every step, end-of-sequence or not)."""
    model, prompt, tokens, _, _ = prepared("llama")
    configured = build("llama")
    configured.generation_config.forced_eos_token_id = 2
    configured.generation_config.suppress_tokens = [int(tokens[0, 0])]
    configured.generation_config.eos_token_id = int(tokens[0, 1])
    again, _ = eager_generate(configured, prompt, STEPS)
    assert torch.equal(again, tokens)
    assert configured.generation_config.forced_eos_token_id == 2  # the model's own config is left as it was
