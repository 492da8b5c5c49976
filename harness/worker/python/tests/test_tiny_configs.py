"""The generic tiny-config rules and the input recipes, on real transformers configs and models."""

import pytest
import torch
import transformers

from sweep_worker.protocol import InputError
from sweep_worker.sample_inputs import build_recipe
from sweep_worker.tiny_config import shrink_config_dict, tiny_config
from sweep_worker.tiny_probe import probe_tiny


def test_sizes_shrink_and_nested_configs_too() -> None:
    config = tiny_config("qwen2_vl")
    assert config.text_config.hidden_size == 32 and config.text_config.num_hidden_layers == 2
    assert config.vision_config.depth <= 32 and config.vision_config.num_heads <= 2


def test_per_layer_lists_follow_the_layer_count_and_keep_every_kind() -> None:
    values = shrink_config_dict({"num_hidden_layers": 6, "layer_types": ["linear"] * 5 + ["full"], "mlp_only_layers": [0, 4]})
    assert values["layer_types"] == ["linear", "full"]  # a hybrid keeps one layer of each kind
    assert values["mlp_only_layers"] == [0]


def test_backbone_stage_names_are_derived_again() -> None:
    config = tiny_config("beit")
    assert config.out_features[-1] in config.stage_names and len(config.stage_names) == config.num_hidden_layers + 1


def test_shallower_stages_keep_the_stages_a_detector_reads() -> None:
    config = tiny_config("d_fine")  # HGNet-V2 backbone, depths shrunk to ones: D-FINE still reads stages 2-4
    assert config.backbone_config.depths == [1, 1, 1, 1] and config.backbone_config.out_indices == [2, 3, 4]


def test_hgnet_stage_channels_narrow_together_and_are_the_reported_widths() -> None:
    config = tiny_config("hgnet_v2")
    assert config.stage_out_channels[-1] == 256 and config.hidden_sizes == config.stage_out_channels
    assert config.stage_in_channels[1:] == config.stage_out_channels[:-1]  # each stage still feeds the next
    assert config.stem_channels[0] == 3 and config.embedding_size == config.stem_channels[-1] == config.stage_in_channels[0]
    model = transformers.HGNetV2ForImageClassification(config).eval()
    with torch.no_grad():
        assert model(pixel_values=torch.randn(1, 3, 32, 32)).logits.shape == (1, config.num_labels)


def test_sub_configs_that_reject_unknown_keys_still_build() -> None:
    config = tiny_config("dbrx")  # DbrxFFNConfig rejects the _name_or_path and output_attentions of its own to_dict()
    assert config.ffn_config.ffn_hidden_size == 64 and config.d_model == config.ffn_config.hidden_size == 32


def test_lists_the_config_derives_follow_the_shrunk_sizes() -> None:
    config = tiny_config("efficientloftr", {"out_features": [16, 16, 32, 32]})  # stage_block_* lists derive from out_features
    assert config.stage_block_out_channels[-1][0] == 32 and config.stage_block_in_channels[1][0] == 16
    assert config.fine_fusion_dims == [32, 32, 16]
    detr = tiny_config("detr")  # but a backbone's out_indices (a property over _out_indices) keeps its stages
    assert detr.backbone_config.out_indices == [1, 2, 3, 4]


def test_depthwise_upsampling_groups_follow_the_hidden_size() -> None:
    config = tiny_config("mimi")  # upsample_groups = hidden_size (512) at the defaults: one group per channel
    assert config.upsample_groups == config.hidden_size == 32


def test_pixel_shuffle_adapter_widths_follow_the_shrunk_hidden_size() -> None:
    config = tiny_config("llama4").vision_config  # pixel shuffle 0.5: the adapter MLP reads hidden_size * 4 channels
    assert config.intermediate_size == config.hidden_size * 4 == 128
    assert config.projector_input_dim == config.projector_output_dim == config.vision_output_dim == 32
    model = transformers.Llama4VisionModel(config).eval()
    with torch.no_grad():
        model(pixel_values=torch.randn(1, 3, config.image_size, config.image_size))


def test_fewer_blocks_per_stage_keep_every_stage_a_neck_takes() -> None:
    # RT-DETR's hybrid encoder takes the ResNet's last three stages: depths [3, 4, 6, 3] -> [1, 1, 1, 1] keeps them
    assert tiny_config("rt_detr").backbone_config.out_features == ["stage2", "stage3", "stage4"]
    assert probe_tiny("RTDetrModel", "rt_detr")["ok"]


def test_hgnet_stage_widths_follow_the_declared_hidden_sizes() -> None:
    # necks read hidden_sizes; HGNetV2's layers are sized by stem/stage channels, which must agree
    hgnet = tiny_config("hgnet_v2")
    assert hgnet.stage_out_channels == hgnet.hidden_sizes
    assert hgnet.stage_in_channels == [hgnet.stem_channels[-1], *hgnet.hidden_sizes[:-1]]
    assert probe_tiny("DFineModel", "d_fine")["ok"]  # its input projections take the declared widths


def test_decoder_inputs_follow_the_shrunk_encoder_width() -> None:
    detr = tiny_config("rt_detr")
    assert detr.encoder_hidden_dim == 32 and detr.decoder_in_channels == [32, 32, 32]


def test_rope_sections_sum_to_half_the_new_head_dim() -> None:
    values = shrink_config_dict({"hidden_size": 4096, "num_attention_heads": 32, "head_dim": 128,
                                 "rope_parameters": {"mrope_section": [24, 20, 20]}})
    assert sum(values["rope_parameters"]["mrope_section"]) == values["head_dim"] // 2 == 8


def test_special_token_ids_stay_inside_the_vocabulary() -> None:
    values = shrink_config_dict({"vocab_size": 151936, "eos_token_id": 151645, "bos_token_id": 151643, "pad_token_id": None})
    assert values["vocab_size"] == 512
    assert {values["eos_token_id"], values["bos_token_id"]} == {510, 511}
    assert values["pad_token_id"] == 0


@pytest.mark.parametrize("class_name, model_type", [
    ("LlamaForCausalLM", "llama"), ("ViTForImageClassification", "vit"), ("WhisperForConditionalGeneration", "whisper"),
    ("Wav2Vec2ForCTC", "wav2vec2"), ("BertForMultipleChoice", "bert"), ("LayoutLMForTokenClassification", "layoutlm"),
    ("GPTJForCausalLM", "gptj"), ("SwinForImageClassification", "swin"), ("MistralForCausalLM", "mistral"),
    ("JambaForCausalLM", "jamba"), ("SqueezeBertForMaskedLM", "squeezebert"),
    # recipes: contrastive pairs, video frames, time-major mel features, codec waveforms, forecaster histories
    ("CLIPModel", "clip"), ("TimesformerModel", "timesformer"), ("ParakeetEncoder", "parakeet_encoder"),
    ("DacModel", "dac"), ("PatchTSTModel", "patchtst"), ("TimesFmModel", "timesfm"),
])
def test_probe_runs_one_forward_across_modalities(class_name: str, model_type: str) -> None:
    result = probe_tiny(class_name, model_type)
    assert result["ok"], result



@pytest.mark.parametrize("class_name, model_type", [
    ("MobileViTForImageClassification", "mobilevit"), ("MobileViTV2ForImageClassification", "mobilevitv2"),
    ("EfficientNetModel", "efficientnet"),
])
def test_a_model_whose_outputs_are_all_constant_does_not_count_as_covered(class_name: str, model_type: str) -> None:
    # at transformers' initializer_range (0.02) their BatchNorm weights make the activations vanish and
    # the outputs are all exactly 0, which any export would match; the rows' ranges keep them alive
    row = _row_tiny_config(model_type)
    collapsed = probe_tiny(class_name, model_type, {**row, "initializer_range": 0.02})
    assert not collapsed["ok"] and collapsed["stage"] == "outputs" and ": all 0" in collapsed["error"], collapsed
    assert probe_tiny(class_name, model_type, row)["ok"]

def test_padding_recipes_and_dynamic_ranges() -> None:
    model = transformers.LlamaForCausalLM(tiny_config("llama")).eval()
    inputs, dynamic = build_recipe(model, batch=3, seq=6, padding="left")
    mask = inputs["attention_mask"]
    assert mask[:-1].all() and mask[-1, 0] == 0 and mask[-1, -1] == 1
    right, _ = build_recipe(model, batch=3, seq=6, padding="right")
    assert right["attention_mask"][-1, 0] == 1 and right["attention_mask"][-1, -1] == 0
    assert dynamic["input_ids"] == {0: ["batch", 1, 8], 1: ["sequence", 1, 64]}
    assert int(inputs["input_ids"].max()) < model.config.vocab_size


def test_a_required_input_without_a_recipe_is_named() -> None:
    class Odd(torch.nn.Module):
        config = transformers.LlamaConfig()

        def forward(self, input_ids, magic_tensor):
            return input_ids

    with pytest.raises(InputError, match=r"no sample-input recipe for required input\(s\) \['magic_tensor'\] of Odd"):
        build_recipe(Odd())


def test_perceiver_latents_shrink_too() -> None:
    result = probe_tiny("PerceiverForSequenceClassification", "perceiver")
    assert result["ok"] and result["parameters"] < 1_000_000  # 270M before the latent array was shrunk


def test_layer_schedules_and_per_layer_dicts_follow_the_layer_count() -> None:
    values = shrink_config_dict({"num_hidden_layers": 32, "attn_layer_period": 8, "attn_layer_offset": 4,
                                 "per_layer_config": {"5": {"x": 1}, "1": {"x": 2}}, "attn_layer_indices": [9, 17]})
    assert (values["attn_layer_period"], values["attn_layer_offset"]) == (2, 1)
    assert values["per_layer_config"] == {"1": {"x": 2}}
    assert values["attn_layer_indices"] == [1]  # never none left


def test_a_dual_encoder_gets_both_modalities() -> None:
    # CLIPModel marks input_ids and pixel_values optional, yet fails with only one of them
    model = transformers.CLIPModel(tiny_config("clip")).eval()
    inputs, dynamic = build_recipe(model, batch=2, seq=5)
    assert set(inputs) == {"input_ids", "pixel_values", "attention_mask"}
    assert dynamic["pixel_values"] == {0: ["batch", 1, 8]}
    model(**inputs)


def test_a_composites_own_token_ids_move_inside_its_text_vocabulary_clear_of_the_text_ids() -> None:
    values = shrink_config_dict({
        "model_type": "qwen2_vl", "image_token_id": 151655, "video_token_id": 151656,
        "text_config": {"model_type": "qwen2_vl_text", "vocab_size": 152064, "bos_token_id": 151643, "eos_token_id": 151645},
    })
    text_ids = {values["text_config"]["bos_token_id"], values["text_config"]["eos_token_id"]}
    own_ids = {values["image_token_id"], values["video_token_id"]}
    assert len(own_ids) == 2 and max(own_ids) < 512 and not own_ids & text_ids
    assert tiny_config("llava").image_token_id < tiny_config("llava").text_config.vocab_size


@pytest.mark.parametrize("class_name, model_type", [
    ("LlavaForConditionalGeneration", "llava"),  # its image_token_index (32000) was past the tiny vocabulary
    ("VipLlavaForConditionalGeneration", "vipllava"),  # its vision_feature_layers went past the 2-layer tower
    ("Llama4ForConditionalGeneration", "llama4"),  # get_image_features takes a required strategy; no pooler_output
    ("Gemma3ForConditionalGeneration", "gemma3"),  # its row: mm_tokens_per_image pools the tiny patch grid
])
def test_vision_language_models_shrunk_by_the_generic_rules_get_their_image(class_name: str, model_type: str) -> None:
    cls = getattr(transformers, class_name)
    model = cls(tiny_config(model_type, _row_tiny_config(model_type))).eval()
    inputs, _ = build_recipe(model, batch=2, seq=5)
    assert "pixel_values" in inputs, sorted(inputs)
    placeholders = (inputs["input_ids"] == model.config.image_token_id).sum(1).tolist()
    assert placeholders[0] > 0 and placeholders == [placeholders[0]] * 2
    with torch.no_grad():
        model(**inputs)  # the model checks its placeholders against the image features it computes


def test_vision_feature_layers_clamp_to_the_shrunk_tower_and_keep_their_count() -> None:
    config = tiny_config("vipllava")
    layers = config.vision_config.num_hidden_layers
    assert len(config.vision_feature_layers) == 5
    assert all(-(layers + 1) <= index <= layers for index in config.vision_feature_layers)


def test_a_vision_language_model_gets_one_placeholder_per_image_feature() -> None:
    config = tiny_config("llava", {"image_token_id": 500})
    model = transformers.LlavaForConditionalGeneration(config).eval()
    inputs, dynamic = build_recipe(model, batch=2, seq=5)
    count = int((inputs["input_ids"][0] == config.image_token_id).sum())
    features = model.get_image_features(pixel_values=inputs["pixel_values"]).pooler_output
    assert count == features[0].shape[0] and (inputs["input_ids"] == config.image_token_id).sum(1).tolist() == [count] * 2
    assert inputs["input_ids"].shape == inputs["attention_mask"].shape == (2, count + 5)
    assert dynamic["input_ids"][1] == dynamic["attention_mask"][1] == ["sequence", count + 1, count + 64]
    assert "image_hidden_states" in model(**inputs)  # the image went through the vision tower


def test_a_vision_language_model_whose_encoder_needs_more_stays_text_only() -> None:
    # LLaVA-NeXT's image encoder also needs image_sizes, which no recipe builds
    model = transformers.LlavaNextForConditionalGeneration(tiny_config("llava_next")).eval()
    inputs, dynamic = build_recipe(model, batch=2, seq=5)
    assert set(inputs) == {"input_ids", "attention_mask"} and set(dynamic) == set(inputs)
    model(**inputs)


def test_an_image_placeholder_outside_the_vocabulary_leaves_the_inputs_text_only() -> None:
    config = tiny_config("llava", {"image_token_id": 32000})  # the vocabulary shrank to 512
    inputs, _ = build_recipe(transformers.LlavaForConditionalGeneration(config).eval(), batch=2, seq=5)
    assert set(inputs) == {"input_ids", "attention_mask"}


@pytest.mark.parametrize("class_name, model_type, data", [
    ("Qwen2AudioForConditionalGeneration", "qwen2_audio", "input_features"),  # no get_audio_features: its tower's lengths count
    ("AudioFlamingo3ForConditionalGeneration", "audioflamingo3", "input_features"),  # with input_features_mask
    ("GraniteSpeechForConditionalGeneration", "granite_speech", "input_features"),  # (batch, frames, input_dim)
    ("Qwen3ASRForConditionalGeneration", "qwen3_asr", "input_features"),  # windowed clips; output_dim at the text width
    ("VoxtralForConditionalGeneration", "voxtral", "input_features"),  # its row gives it an audio token
    ("Qwen2_5OmniThinkerForConditionalGeneration", "qwen2_5_omni_thinker", "input_features"),  # its row: vision_start_token_id
])
def test_audio_language_models_get_their_audio(class_name: str, model_type: str, data: str) -> None:
    cls = getattr(transformers, class_name)
    model = cls(tiny_config(model_type, _row_tiny_config(model_type))).eval()
    inputs, dynamic = build_recipe(model, batch=2, seq=5)
    assert data in inputs, sorted(inputs)
    token = model.config.audio_token_id
    placeholders = (inputs["input_ids"] == token).sum(1).tolist()
    assert placeholders[0] > 0 and placeholders == [placeholders[0]] * 2
    assert dynamic["input_ids"][1] == ["sequence", placeholders[0] + 1, placeholders[0] + 64]
    with torch.no_grad():
        model(**inputs)  # the model checks its placeholders against the audio features it computes


def test_an_audio_language_model_gets_one_placeholder_per_audio_feature_and_a_frame_mask() -> None:
    model = transformers.AudioFlamingo3ForConditionalGeneration(tiny_config("audioflamingo3")).eval()
    inputs, dynamic = build_recipe(model, batch=2, seq=5)
    mask = inputs["input_features_mask"]
    assert mask.shape == (2, inputs["input_features"].shape[-1]) and bool(mask.all())  # whole clips
    features = model.get_audio_features(inputs["input_features"][:1], mask[:1]).pooler_output
    count = int((inputs["input_ids"][0] == model.config.audio_token_id).sum())
    assert count == features.shape[0] and inputs["input_ids"].shape == inputs["attention_mask"].shape == (2, count + 5)
    assert dynamic["input_features"] == dynamic["input_features_mask"] == {0: ["batch", 1, 8]}


def test_an_audio_encoders_output_width_is_the_text_models_hidden_size() -> None:
    config = tiny_config("qwen3_asr")  # defaults: 3584 against a 2048-wide language model
    assert config.audio_config.output_dim == config.text_config.hidden_size == 32


def test_sizes_the_config_derives_are_derived_again_from_the_shrunk_ones() -> None:
    assert tiny_config("rwkv").attention_hidden_size == 32  # written down as 4096 by the defaults' to_dict()
    deepseek = tiny_config("deepseek_v3")
    assert deepseek.head_dim == deepseek.qk_rope_head_dim and deepseek.num_key_value_heads == deepseek.num_attention_heads
    assert tiny_config("inkling_mm_model").vision_config.n_layers == 2  # derived larger than shrunk: the shrunk one stays


@pytest.mark.parametrize("class_name, model_type", [
    ("NemotronHModel", "nemotron_h"), ("FalconH1Model", "falcon_h1"), ("BambaModel", "bamba"), ("Zamba2Model", "zamba2"),
    ("GraniteMoeHybridModel", "granitemoehybrid"), ("Mamba2Model", "mamba2"), ("JambaModel", "jamba"),
])
def test_hybrid_ssm_models_shrink_their_ssm_too(class_name: str, model_type: str) -> None:
    # NemotronH once kept its 128 SSM heads of 64 and a 128 state: a 10240-channel conv that made its
    # two ONNX jobs take 19 min of the 46 min of job time of the catalog sample's part 1 (BENCHMARKS.md, section 8)
    model = getattr(transformers, class_name)(tiny_config(model_type))
    assert sum(p.numel() for p in model.parameters()) < 400_000


@pytest.mark.parametrize("class_name, model_type, named", [
    ("DetrForObjectDetection", "detr", "resnet50"), ("TimmWrapperForImageClassification", "timm_wrapper", "resnet50"),
    ("TimmBackbone", "timm_backbone", None),
])
def test_a_timm_model_is_swapped_for_timms_own_test_model(class_name: str, model_type: str, named: str | None) -> None:
    # DETR's default timm resnet50 made its "tiny" model 23.5M parameters; TimmBackbone names none at all
    config = tiny_config(model_type)
    timm_config = config.backbone_config if model_type == "detr" else config
    defaults = transformers.AutoConfig.for_model(model_type)
    assert getattr(defaults.backbone_config if model_type == "detr" else defaults, "architecture" if model_type == "timm_wrapper" else "backbone") == named
    assert getattr(timm_config, "architecture" if model_type == "timm_wrapper" else "backbone") == "test_resnet"
    model = getattr(transformers, class_name)(config)
    assert sum(p.numel() for p in model.parameters()) < 500_000
    assert probe_tiny(class_name, model_type)["ok"]


def test_multimodal_rope_gets_sections_when_the_defaults_have_none() -> None:
    glm = tiny_config("glm4v_moe").text_config  # partial rotary: sections cover half of the rotary half of the head
    head_dim = glm.hidden_size // glm.num_attention_heads
    assert sum(glm.rope_parameters["mrope_section"]) == int(head_dim * glm.rope_parameters["partial_rotary_factor"]) // 2


def test_composites_and_their_parts() -> None:
    parts = {"encoder": {"model_type": "bert"}, "decoder": {"model_type": "bert", "is_decoder": True, "add_cross_attention": True}}
    assert tiny_config("encoder-decoder", parts).encoder.hidden_size == 32
    assert probe_tiny("MusicgenForCausalLM", "musicgen")["ok"]  # built from musicgen_decoder, its config_class; ids per codebook


def test_a_part_of_a_composite_keeps_the_overrides_written_for_that_part() -> None:
    # Qwen4ExpForCausalLM (type qwen4_exp) takes the composite's text_config, with the row's indexer sizes
    from sweep_worker.model_folder import resolve_model_class
    from sweep_worker.tiny_config import tiny_config_for_class

    sizes = {"indexer_n_heads": 2, "indexer_kv_heads": 1, "indexer_head_dim": 16, "indexer_budget": 4, "indexer_compress_ratio": 2}
    config = tiny_config_for_class(resolve_model_class("Qwen4ExpForCausalLM"), "qwen4_exp", {"text_config": sizes})
    assert config.model_type == "qwen4_exp_text" and config.indexer_budget == 4
    assert probe_tiny("Qwen4ExpForCausalLM", "qwen4_exp", {"text_config": sizes})["ok"]


def test_a_causal_lm_head_of_an_encoder_family_is_built_as_a_decoder() -> None:
    # Reformer's LM head refuses is_decoder=False; its masked-LM head refuses True, so the rule is the
    # class's, not the model type's
    reformer = {"axial_pos_embds_dim": [16, 16]}  # as its row's tinyConfig
    assert probe_tiny("ReformerModelWithLMHead", "reformer", reformer)["ok"]
    assert probe_tiny("ReformerForMaskedLM", "reformer", reformer)["ok"]
    from sweep_worker.model_folder import resolve_model_class
    from sweep_worker.tiny_config import tiny_config_for_class

    assert tiny_config_for_class(resolve_model_class("BertLMHeadModel"), "bert").is_decoder is True
    assert tiny_config_for_class(resolve_model_class("BertForMaskedLM"), "bert").is_decoder is False


def test_padded_positions_hold_the_pad_token() -> None:
    # a random id under the mask can win CLIP's pooling by argmax id and make the model read padding
    model = transformers.CLIPModel(tiny_config("clip")).eval()
    inputs, _ = build_recipe(model, batch=2, seq=5, padding="left", seed=3)
    pad = getattr(model.config, "pad_token_id", None)
    expected = pad if isinstance(pad, int) and 0 <= pad < model.config.text_config.vocab_size else 0
    masked = inputs["attention_mask"] == 0
    assert masked.any() and (inputs["input_ids"][masked] == expected).all()


def test_an_architecture_row_overrides_the_generic_image_recipe() -> None:
    # harness/architectures/architectures.json: efficientloftr's inputs.imageFrames 2 (image pairs for
    # its backbone model too), perceiver's null (plain images although its config names num_frames)
    loftr = transformers.EfficientLoFTRModel(tiny_config("efficientloftr", {"out_features": [16, 16, 32, 32]})).eval()
    assert build_recipe(loftr)[0]["pixel_values"].shape == (2, 2, 3, 32, 32)
    perceiver = transformers.PerceiverForImageClassificationLearned(tiny_config("perceiver")).eval()
    assert perceiver.config.num_frames and build_recipe(perceiver)[0]["pixel_values"].shape == (2, 3, 32, 32)


def test_an_architecture_row_sets_the_processor_image_size() -> None:
    # harness/architectures/architectures.json: pp_ocrv6_tiny_rec's inputs.imageSize [48, 320]: its image
    # processor feeds 48x320 text lines; the generic 32x32 square is pooled to nothing by its head
    model = transformers.PPOCRV6TinyRecModel(tiny_config("pp_ocrv6_tiny_rec")).eval()
    inputs = build_recipe(model)[0]
    assert inputs["pixel_values"].shape[-2:] == (48, 320)
    with torch.no_grad():
        model(**inputs)


def test_an_architecture_row_feeds_every_modality_at_the_batch_eager_handles() -> None:
    # harness/architectures/architectures.json: tvp's inputs.everyModality (its forward reads the
    # optional video frames) and maxBatch 1 (eager fails above it); the batch stays static
    model = transformers.TvpModel(tiny_config("tvp", _row_tiny_config("tvp"))).eval()
    inputs, dynamic = build_recipe(model, batch=2)
    assert inputs["pixel_values"].shape == (1, 4, 3, 64, 64) and inputs["input_ids"].shape[0] == 1
    assert all(0 not in dims for dims in dynamic.values()) and dynamic["input_ids"][1][0] == "sequence"
    with torch.no_grad():
        model(**inputs)
    with pytest.raises(RuntimeError, match=r"shape '\[2, 1, 1, 32\]' is invalid"):  # the eager bug maxBatch keeps out
        model(**{**inputs, **{name: torch.cat([t, t]) for name, t in inputs.items()}})


def _row_tiny_config(model_type: str) -> dict | None:
    """A row's tinyConfig overrides as the harness passes them (its ``$why`` notes left out)."""
    from sweep_worker.sample_inputs import _architecture_rows

    def strip(values: dict) -> dict:
        return {k: strip(v) if isinstance(v, dict) else v for k, v in values.items() if not k.startswith("$")}

    return strip(_architecture_rows().get(model_type, {}).get("tinyConfig", {})) or None


@pytest.mark.parametrize("class_name, model_type, data", [
    ("Qwen3VLVisionModel", "qwen3_vl_vision", "hidden_states"), ("Glm4vVisionModel", "glm4v_vision", "hidden_states"),
    ("Exaone4_5_VisionModel", "exaone4_5_vision", "hidden_states"), ("HunYuanVLVisionTransformer", "hunyuan_vl_vision", "pixel_values"),
    ("Kimi_K25VisionModel", "kimi_k25_vision", "pixel_values"), ("VideoLlama3VisionModel", "video_llama_3_vision", "pixel_values"),
    ("MuseGlimmerVisionModel", "muse_glimmer_vision", "pixel_values"),
])
def test_vision_towers_get_packed_patches_and_their_grid(class_name: str, model_type: str, data: str) -> None:
    # these towers took no inputs the recipe knew: flattened patches plus grid_thw, as Qwen2-VL's processor packs them
    result = probe_tiny(class_name, model_type, _row_tiny_config(model_type))
    assert result["ok"] and result["parameters"] < 2_500_000, result
    model = getattr(transformers, class_name)(tiny_config(model_type, _row_tiny_config(model_type))).eval()
    inputs, dynamic = build_recipe(model)
    grid = inputs["grid_thw"]
    assert grid.shape == (2, 3) and inputs[data].shape[0] == int(grid.prod(-1).sum())
    vision = model.config
    merge = getattr(vision, "spatial_merge_size", None) or getattr(vision, "merge_size", None) or 1
    merge = merge if isinstance(merge, int) else merge[0]
    assert (grid[:, 1:] % merge == 0).all()
    # the patch count is tied to the grids: neither may vary on its own
    assert data not in dynamic and "grid_thw" not in dynamic


def test_a_packed_patch_is_flat_unless_the_row_says_image() -> None:
    qwen = transformers.Qwen3VLVisionModel(tiny_config("qwen3_vl_vision")).eval()
    config = qwen.config
    flat = build_recipe(qwen)[0]["hidden_states"]
    assert flat.shape[1] == config.in_channels * config.temporal_patch_size * config.patch_size ** 2
    kimi = transformers.Kimi_K25VisionModel(tiny_config("kimi_k25_vision")).eval()  # row: patchLayout "image"
    patch = kimi.config.patch_size
    assert build_recipe(kimi)[0]["pixel_values"].shape[1:] == (3, patch, patch)


@pytest.mark.parametrize("class_name, model_type", [
    ("InstructBlipModel", "instructblip"), ("InstructBlipForConditionalGeneration", "instructblip"),
    ("InstructBlipVideoModel", "instructblipvideo"), ("InstructBlipVideoForConditionalGeneration", "instructblipvideo"),
])
def test_instructblip_gets_its_qformer_prompt_and_one_placeholder_per_query_token(class_name: str, model_type: str) -> None:
    config = tiny_config(model_type, _row_tiny_config(model_type))
    model = getattr(transformers, class_name)(config).eval()
    inputs, dynamic = build_recipe(model, batch=2, seq=5)
    assert int(inputs["qformer_input_ids"].max()) < config.qformer_config.vocab_size
    assert inputs["qformer_input_ids"].shape == (2, 5) and dynamic["qformer_input_ids"][0] == ["batch", 1, 8]
    video = model_type == "instructblipvideo"
    token = config.video_token_index if video else config.image_token_index
    frames = inputs["pixel_values"].shape[1] if video else 1
    assert (inputs["input_ids"] == token).sum(1).tolist() == [config.num_query_tokens * frames] * 2
    assert inputs["attention_mask"].shape == inputs["input_ids"].shape
    assert probe_tiny(class_name, model_type, _row_tiny_config(model_type))["ok"]


@pytest.mark.parametrize("class_name", ["OneFormerModel", "OneFormerForUniversalSegmentation"])
def test_oneformer_gets_its_task_prompt(class_name: str) -> None:
    config = tiny_config("oneformer", _row_tiny_config("oneformer"))
    inputs, dynamic = build_recipe(getattr(transformers, class_name)(config).eval())
    assert inputs["task_inputs"].shape == (2, config.task_seq_len) and dynamic["task_inputs"] == {0: ["batch", 1, 8]}
    result = probe_tiny(class_name, "oneformer", _row_tiny_config("oneformer"))
    assert result["ok"] and result["parameters"] < 1_000_000, result


def test_siglip2_and_gemma4_vision_get_padded_patches_as_their_processors_write_them() -> None:
    siglip = transformers.Siglip2VisionModel(tiny_config("siglip2_vision_model")).eval()
    inputs, dynamic = build_recipe(siglip)
    real = inputs["spatial_shapes"].prod(-1)
    assert (inputs["pixel_attention_mask"].sum(-1) == real).all() and real.tolist() == [12, 4]  # one image padded
    assert set(dynamic) == set(inputs) and all(dims == {0: ["batch", 1, 8]} for dims in dynamic.values())
    siglip(**inputs)
    gemma = transformers.Gemma4VisionModel(tiny_config("gemma4_vision")).eval()
    inputs, _ = build_recipe(gemma)
    kernel = gemma.config.pooling_kernel_size
    positions = inputs["pixel_position_ids"]
    assert positions.shape[1] == 70 * kernel**2  # the processor's smallest max_soft_tokens
    real = (positions != -1).all(-1)
    assert (inputs["pixel_values"][~real] == 0).all() and (real.sum(-1) % kernel**2 == 0).all()
    gemma(**inputs)


@pytest.mark.parametrize("class_name", ["Siglip2Model", "Siglip2ForImageClassification"])
def test_a_naflex_tower_behind_an_optional_grid_still_gets_padded_patches(class_name: str) -> None:
    model = getattr(transformers, class_name)(tiny_config("siglip2")).eval()
    inputs, _ = build_recipe(model)
    patch = model.config.vision_config.patch_size
    assert inputs["pixel_values"].shape == (2, 16, patch * patch * 3) and inputs["spatial_shapes"].tolist() == [[3, 4], [2, 2]]
    model(**inputs)


def test_mllama_vision_gets_tiles_with_their_aspect_ratio() -> None:
    # its intermediate_layers_indices (up to 30) follow the shrunk layer count too
    config = tiny_config("mllama_vision_model")
    assert all(i < config.num_hidden_layers for i in config.intermediate_layers_indices)
    model = transformers.MllamaVisionModel(config).eval()
    inputs, _ = build_recipe(model)
    ratios = config.supported_aspect_ratios
    for example in range(2):
        rows, columns = ratios[int(inputs["aspect_ratio_ids"][example, 0]) - 1]
        assert int(inputs["aspect_ratio_mask"][example, 0].sum()) == rows * columns
        assert (inputs["pixel_values"][example, 0, rows * columns:] == 0).all()
    assert probe_tiny("MllamaVisionModel", "mllama")["ok"]


def test_videomae_pretraining_masks_as_many_patches_in_every_example() -> None:
    config = tiny_config("videomae", _row_tiny_config("videomae"))
    model = transformers.VideoMAEForPreTraining(config).eval()
    inputs, dynamic = build_recipe(model)
    mask = inputs["bool_masked_pos"]
    patches = (config.num_frames // config.tubelet_size) * (config.image_size // config.patch_size) ** 2
    assert mask.shape == (2, patches) and mask.sum(1).tolist() == [3 * patches // 4] * 2
    assert dynamic["bool_masked_pos"] == {0: ["batch", 1, 8]}
    result = probe_tiny("VideoMAEForPreTraining", "videomae", _row_tiny_config("videomae"))
    assert result["ok"] and result["parameters"] < 500_000, result


@pytest.mark.parametrize("class_name, model_type", [
    ("Qwen3ASREncoder", "qwen3_asr_encoder"), ("Gemma3nAudioEncoder", "gemma3n_audio"), ("SegGptModel", "seggpt"),
    ("Pix2StructForConditionalGeneration", "pix2struct"), ("FastSpeech2ConformerWithHifiGan", "fastspeech2_conformer_with_hifigan"),
])
def test_inputs_their_processors_shape_let_these_classes_run(class_name: str, model_type: str) -> None:
    # each built no inputs before: chunked mels with a frame mask, time-major mels with a padding mask,
    # prompt image and mask, flattened patches with row/column ids, token ids from the text model's config
    result = probe_tiny(class_name, model_type, _row_tiny_config(model_type))
    assert result["ok"] and result["parameters"] < 8_000_000, result



@pytest.mark.parametrize("class_name, model_type", [
    ("PeAudioModel", "pe_audio"), ("PeAudioVideoModel", "pe_audio_video"),
    ("PeAudioVideoEncoder", "pe_audio_video_encoder"), ("SpeechT5Model", "speecht5"),
])
def test_audio_front_ends_the_docstrings_do_not_describe_get_their_inputs(class_name: str, model_type: str) -> None:
    # eager failed on each before: PE Audio's DAC encoder takes (batch, 1, samples), several of its
    # 1920-sample hops, whatever its docstring says; the audio-visual encoder needs its audio next to
    # the video; SpeechT5's bare model (no pre-nets) takes hidden states in its encoder and decoder
    result = probe_tiny(class_name, model_type)
    assert result["ok"], result

def test_padded_audio_and_patches_mark_their_padding_as_the_processors_do() -> None:
    asr = transformers.Qwen3ASREncoder(tiny_config("qwen3_asr_encoder", _row_tiny_config("qwen3_asr_encoder"))).eval()
    inputs, _ = build_recipe(asr)
    assert inputs["input_features"].shape[-1] % (2 * asr.config.n_window) == 0
    assert inputs["input_features_mask"].sum(-1).tolist() == [200, 150]
    gemma = transformers.Gemma3nAudioEncoder(tiny_config("gemma3n_audio")).eval()
    mask = build_recipe(gemma)[0]["audio_mel_mask"]
    assert mask.dtype == torch.bool and mask.sum(-1).tolist() == [0, 16]  # True marks padding
    pix = transformers.Pix2StructForConditionalGeneration(tiny_config("pix2struct", _row_tiny_config("pix2struct"))).eval()
    inputs, _ = build_recipe(pix)
    patches = inputs["flattened_patches"]
    assert inputs["attention_mask"].sum(-1).tolist() == [12, 12] and patches[0, 11, :2].tolist() == [3.0, 4.0]


def test_a_spectrogram_transformer_gets_its_feature_extractors_frames_and_mel_bins() -> None:
    config = tiny_config("audio-spectrogram-transformer")
    inputs, dynamic = build_recipe(transformers.ASTForAudioClassification(config).eval(), batch=2)
    assert inputs["input_values"].shape == (2, config.max_length, config.num_mel_bins)
    assert dynamic["input_values"] == {0: ["batch", 1, 8]}
    assert probe_tiny("ASTModel", "audio-spectrogram-transformer")["ok"]


def test_a_region_feature_model_gets_its_detectors_boxes_with_the_text() -> None:
    model = transformers.LxmertModel(tiny_config("lxmert")).eval()
    inputs, dynamic = build_recipe(model, batch=2)
    assert inputs["visual_feats"].shape == (2, 36, model.config.visual_feat_dim)
    boxes = inputs["visual_pos"]
    assert boxes.shape == (2, 36, 4) and (boxes >= 0).all() and (boxes <= 1).all()
    assert (boxes[..., 2] >= boxes[..., 0]).all() and (boxes[..., 3] >= boxes[..., 1]).all()
    assert dynamic["visual_feats"] == dynamic["visual_pos"] == {0: ["batch", 1, 8]}
    with torch.no_grad():
        model(**inputs)
