"""Shrinking a config class's defaults to a tiny, still-valid architecture.

Generic rules by attribute name (layers 2, heads 2, hidden 32, vocab 512, images 32 px, experts 4),
applied recursively to nested sub-configs (text, vision, audio, encoder, decoder, ...); what the
rules get wrong for one architecture is fixed by overrides passed in as data: its row's
``tinyConfig`` in harness/architectures/architectures.json (docs/architectures.md). The derived
sizes filled here (Falcon-H1's ``mamba_d_ssm``, ``mamba_d_head``, Mamba-2's heads and groups, latent
attention's KV heads) stay code: they are relations between shrunk values, for any config or
sub-config carrying the attributes, not constants a row could hold.
"""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

HIDDEN, HEADS, KV_HEADS, FFN, LAYERS, VOCAB = 32, 2, 1, 64, 2, 512

_LAYERS = {"num_hidden_layers", "num_layers", "n_layer", "n_layers", "num_decoder_layers", "encoder_layers",
           "decoder_layers", "num_encoder_layers", "num_blocks", "num_stacks"}
_HEADS = {"num_attention_heads", "n_head", "num_heads", "encoder_attention_heads", "decoder_attention_heads", "n_heads",
          "num_attention_heads_per_layer", "mamba_n_heads", "mamba_num_heads", "linear_num_value_heads", "index_n_heads"}
_KV_HEADS = {"num_key_value_heads", "num_kv_heads", "n_kv_heads", "multi_query_group_num", "num_key_value_attention_heads",
             "linear_num_key_heads"}
_HIDDEN = {"hidden_size", "d_model", "n_embd", "embed_dim", "dim", "word_embed_proj_dim", "projection_dim", "embedding_size",
           "hidden_dim", "encoder_hidden_size", "text_embed_dim", "vision_embed_dim", "d_embed", "reassemble_hidden_size", "encoder_hidden_dim"}
_FFN = {"intermediate_size", "ffn_dim", "d_ff", "n_inner", "encoder_ffn_dim", "decoder_ffn_dim", "d_inner",
        "moe_intermediate_size", "shared_expert_intermediate_size", "moe_shared_expert_intermediate_size", "ffn_hidden_size"}
_EXPERTS = {"num_experts", "num_local_experts", "n_routed_experts", "moe_num_experts"}
_EXPERTS_PER_TOKEN = {"num_experts_per_tok", "num_experts_per_token", "top_k", "moe_topk", "num_selected_experts", "moe_k"}
_POSITIONS = {"max_position_embeddings", "n_positions", "max_seq_len", "max_sequence_length", "n_ctx", "max_target_positions",
              "max_source_positions"}


def _shrink_int(name: str, value: int) -> int | None:
    if name in _LAYERS:
        return min(value, LAYERS)
    if name in _HEADS:
        return min(value, HEADS)
    if name in _KV_HEADS:
        return min(value, KV_HEADS)
    if name in _HIDDEN:
        return min(value, HIDDEN)
    if name in _FFN:
        return min(value, FFN)
    if name == "vocab_size":
        return min(value, VOCAB)
    if name in _EXPERTS:
        return min(value, 4)
    if name in _EXPERTS_PER_TOKEN:
        return min(value, 2)
    if name in ("n_group", "num_expert_group"):  # group-limited routing: 4 experts in 2 groups of 2
        return min(value, 2)
    if name == "topk_group":
        return min(value, 1)
    if name in _POSITIONS:
        return min(value, 512)
    if name == "num_queries":  # DETR-style decoders pick their queries' top-k among the few tiny-image proposals
        return min(value, 16)
    if name == "num_windows":  # LW-DETR's windowed ViT: a square count of windows that tiles a tiny image
        return min(value, 4)
    if name == "image_size":
        return min(value, 32)
    if name in ("num_frames", "frames_per_clip"):
        return min(value, 4)
    if name == "rotary_dim":  # partial rotary (GPT-J, CodeGen) must fit the shrunk head dim
        return min(value, 8)
    if name == "window_size":  # Swin-style windows must fit a 32 px image's patch grid
        return min(value, 2)
    if name in ("d_latents", "num_latents"):  # Perceiver's latent array (otherwise 270M parameters)
        return min(value, HIDDEN)
    if name == "num_self_attends_per_block":
        return min(value, LAYERS)
    if name in ("head_dim", "mamba_head_dim"):
        return min(value, HIDDEN // HEADS)
    if name == "ssm_state_size":  # NemotronH's SSM state (128 by default: a 10240-channel conv at hidden 32)
        return min(value, 16)
    if name in ("qk_rope_head_dim", "qk_nope_head_dim"):  # multi-head latent attention (DeepSeek-style)
        return min(value, 8)
    if name in ("v_head_dim", "kv_lora_rank", "q_lora_rank", "index_head_dim", "linear_key_head_dim", "linear_value_head_dim"):
        return min(value, 16)
    return None


# A timm model is named, not sized: the config field that names it (a timm backbone's ``backbone``,
# a timm wrapper's ``architecture``) gets one of timm's own test models, a few hundred thousand
# parameters with the stage layout of the full one (resnet50 as DETR's default: 23.5M parameters).
_TIMM_MODEL_NAMES = {"timm_backbone": ("backbone",), "timm_wrapper": ("architecture",)}


def _tiny_timm_model(name: Any) -> str:
    vit = isinstance(name, str) and any(part in name for part in ("vit", "eva", "pe_", "deit", "beit"))
    return "test_vit" if vit else "test_resnet"


def _is_sub_config(name: str, value: Any) -> bool:
    return isinstance(value, dict) and ("model_type" in value or name.endswith("_config") or name in ("encoder", "decoder"))


# What ``to_dict()`` writes into every sub-config and ``save_pretrained`` leaves out at these values
# (the diff dict): DBRX's attention and FFN sub-configs reject any key they do not own.
_BOOKKEEPING = {"_name_or_path": "", "output_attentions": False}


def shrink_config_dict(values: dict[str, Any]) -> dict[str, Any]:
    """Apply the generic rules to a ``config.to_dict()``, recursing into sub-config dicts."""
    out: dict[str, Any] = {}
    for name, value in values.items():
        if _is_sub_config(name, value):
            out[name] = shrink_config_dict({k: v for k, v in value.items() if _BOOKKEEPING.get(k, ...) != v})
        elif name in _TIMM_MODEL_NAMES.get(values.get("model_type"), ()):
            out[name] = _tiny_timm_model(value)
        elif isinstance(value, bool) or name.startswith("_"):
            out[name] = value
        elif isinstance(value, int):
            shrunk = _shrink_int(name, value)
            out[name] = value if shrunk is None else shrunk
        elif isinstance(value, list) and name in ("depths", "num_layers_per_stage") and all(isinstance(v, int) for v in value):
            out[name] = [1 for _ in value]
        elif isinstance(value, list) and name in ("hidden_sizes", "embed_dims", "hidden_dims", "dims") and all(isinstance(v, int) for v in value):
            out[name] = [min(v, HIDDEN * (2 ** i)) for i, v in enumerate(value)]
        elif isinstance(value, list) and name in ("num_heads", "num_attention_heads") and all(isinstance(v, int) for v in value):
            out[name] = [min(v, HEADS) for v in value]
        elif isinstance(value, list) and name in ("tdnn_kernel", "tdnn_dilation") and all(isinstance(v, int) for v in value):
            out[name] = [min(v, 2 if name == "tdnn_kernel" else 1) for v in value]  # x-vector TDNNs fit the few frames of a short clip
        elif isinstance(value, list) and name.endswith("_per_layer") and all(isinstance(v, int) for v in value):
            per_layer = [_shrink_int(name.removesuffix("_per_layer"), v) for v in value]  # Sapiens2's KV heads per layer
            out[name] = value if None in per_layer else per_layer
        else:
            out[name] = value
    _fill_derived_sizes(out)
    _keep_pixel_shuffle_consistent(out, values)
    if isinstance(values.get("upsample_groups"), int) and values.get("upsample_groups") == values.get("hidden_size"):
        out["upsample_groups"] = out["hidden_size"]  # Mimi's depthwise upsampling: one group per channel
    _keep_decoder_inputs_consistent(out, values)
    if values.get("head_dim") == values.get("qk_rope_head_dim") and "qk_rope_head_dim" in out:
        out["head_dim"] = out["qk_rope_head_dim"]  # latent attention's RoPE runs on the rope part of the head
    _keep_layer_lists_consistent(out, values)
    _keep_backbone_stages_consistent(out, values)
    _keep_stage_channels_consistent(out)
    _feed_the_neck(out)
    _keep_rope_sections_consistent(out)
    _keep_token_ids_in_vocab(out)
    _keep_feature_layers_in_range(out)
    _write_audio_features_at_text_width(out)
    if "pad_token_id" in out and out["pad_token_id"] is None and isinstance(out.get("vocab_size"), int):
        out["pad_token_id"] = 0  # sequence-classification heads cannot pool a batch > 1 without one
    return out


_LAYER_COUNTS = ("num_hidden_layers", "num_layers", "n_layer", "n_layers", "decoder_layers", "encoder_layers")


def _layer_count(values: dict[str, Any]) -> int | None:
    return next((values[name] for name in _LAYER_COUNTS if isinstance(values.get(name), int)), None)


def _keep_layer_lists_consistent(values: dict[str, Any], original: dict[str, Any]) -> None:
    """Per-layer lists (``layer_types``, ``mlp_layer_types``, ...: any list as long as the original
    layer count) keep their first entries; lists of layer indices keep the indices that remain."""
    before, after = _layer_count(original), _layer_count(values)
    if before is None or after is None or after >= before:
        return
    for name, value in list(values.items()):
        if not isinstance(value, list) or not value:
            continue
        if len(value) == before:
            values[name] = _keep_variety(value, after)
        elif name.endswith(("_layers", "_layer_indices", "_layers_indices", "_layer_ids")) and all(isinstance(v, int) for v in value):
            # keep at least one: a hybrid (Bamba) without its attention layer has no cache to size
            values[name] = [index for index in value if index < after] or [after - 1]
    for name, value in list(values.items()):
        # every-n-th-layer schedules (Jamba: attention every 8th layer from the 4th) must still hit a layer
        if name.endswith("_layer_offset") and isinstance(value, int) and value >= after:
            period = name.removesuffix("_offset") + "_period"
            values[name] = after - 1
            if isinstance(values.get(period), int):
                values[period] = after
        if name.startswith("per_layer") and isinstance(value, dict) and all(str(key).isdigit() for key in value):
            values[name] = {key: item for key, item in value.items() if int(key) < after}


def _fill_derived_sizes(values: dict[str, Any]) -> None:
    """Sizes some configs leave ``None`` for the model to derive from the full-size defaults (or
    for a checkpoint to fill): give them values consistent with the shrunk ones."""
    heads, hidden = values.get("num_attention_heads"), values.get("hidden_size")
    if "vocab_size" in values and values["vocab_size"] is None:
        values["vocab_size"] = VOCAB
    if "head_dim" in values and values["head_dim"] is None and isinstance(heads, int) and isinstance(hidden, int):
        values["head_dim"] = hidden // heads
    if values.get("num_experts_per_tok", 0) is None and isinstance(values.get("n_routed_experts"), int):
        values["num_experts_per_tok"] = 2  # DeepSeek-V2 leaves it to checkpoints
    if "num_key_value_heads" in values and values["num_key_value_heads"] is None and isinstance(heads, int):
        values["num_key_value_heads"] = heads
    if isinstance(values.get("kv_lora_rank"), int) and isinstance(heads, int) and isinstance(values.get("num_key_value_heads"), int):
        values["num_key_value_heads"] = heads  # latent attention expands K/V to every query head
    if isinstance(values.get("mamba_d_ssm"), int) and isinstance(values.get("mamba_expand"), int) and isinstance(hidden, int):
        values["mamba_d_ssm"] = values["mamba_expand"] * hidden  # Falcon-H1's SSM width
    if all(isinstance(values.get(k), int) for k in ("state_size", "expand", "num_heads", "head_dim", "n_groups")) and isinstance(hidden, int):
        values["head_dim"] = values["expand"] * hidden // values["num_heads"]  # Mamba-2: heads x head dim = inner size
        values["n_groups"] = 1  # and the heads split evenly into the groups
    if isinstance(values.get("mamba_num_heads"), int) and isinstance(values.get("n_groups"), int):
        values["n_groups"] = 1  # NemotronH: the shrunk SSM heads must still split evenly into the groups
    mamba_heads, expand = values.get("mamba_n_heads"), values.get("mamba_expand")
    if isinstance(values.get("mamba_d_head"), int) and isinstance(mamba_heads, int) and isinstance(expand, int) and isinstance(hidden, int):
        values["mamba_d_head"] = expand * hidden // mamba_heads  # heads x head dim must equal the inner size


def _keep_decoder_inputs_consistent(values: dict[str, Any], original: dict[str, Any]) -> None:
    """RT-DETR-style detectors feed each level of their hybrid encoder's output (``encoder_hidden_dim``
    wide) to the decoder, which declares those widths in ``decoder_in_channels``: where the defaults
    have them equal, the shrunk ones stay equal."""
    widths, before = values.get("decoder_in_channels"), original.get("encoder_hidden_dim")
    if isinstance(widths, list) and isinstance(before, int) and widths and all(w == before for w in widths):
        values["decoder_in_channels"] = [values["encoder_hidden_dim"]] * len(widths)


def _keep_variety(per_layer: list[Any], count: int) -> list[Any]:
    """The first ``count`` entries, but with every distinct kind of layer represented first: a hybrid
    whose first layers are all linear attention must still keep one full-attention layer."""
    kinds = list(dict.fromkeys(repr(v) for v in per_layer))
    if len(kinds) <= 1 or count >= len(per_layer):
        return per_layer[:count]
    firsts = [per_layer[[repr(v) for v in per_layer].index(kind)] for kind in kinds][:count]
    return firsts + per_layer[: count - len(firsts)]


def _keep_backbone_stages_consistent(values: dict[str, Any], original: dict[str, Any]) -> None:
    """Backbones name their outputs by stage (``stage12``); with fewer layers the config must derive
    them again, so the stale names and indices go. Fewer blocks per stage (``depths`` [3, 4, 6, 3]
    to [1, 1, 1, 1]) keep every stage, so the stages a detector's neck takes (RT-DETR's last three)
    stay its outputs."""
    depths, before = values.get("depths"), original.get("depths")
    stages_kept = isinstance(depths, list) and isinstance(before, (list, tuple)) and len(depths) == len(before)
    if _layer_count(values) != _layer_count(original) or (depths != before and not stages_kept):
        for name in ("stage_names", "out_features", "out_indices"):
            values.pop(name, None)


def _keep_pixel_shuffle_consistent(values: dict[str, Any], original: dict[str, Any]) -> None:
    """Llama 4's vision adapter pixel-shuffles the patch features (hidden_size / ratio**2 channels,
    which its MLP reads as intermediate_size) and projects them to projector_*_dim, the width its
    multimodal projector reads as vision_output_dim: keep those relations at the shrunk width."""
    ratio, hidden = values.get("pixel_shuffle_ratio"), values.get("hidden_size")
    if not (isinstance(ratio, float) and 0 < ratio and isinstance(hidden, int) and isinstance(values.get("projector_input_dim"), int)):
        return
    if isinstance(values.get("intermediate_size"), int):
        values["intermediate_size"] = int(hidden / ratio**2)
    for name in ("projector_input_dim", "projector_output_dim", "vision_output_dim"):
        if isinstance(values.get(name), int):
            values[name] = min(values[name], HIDDEN)


def _keep_stage_channels_consistent(values: dict[str, Any]) -> None:
    """HGNet-style backbones (HGNetV2: D-FINE's, RT-DETR-style layout detectors', PP-OCR's) size their
    layers by ``stem_channels`` and ``stage_in/mid/out_channels`` but declare their outputs by
    ``hidden_sizes``, which the necks read: with ``hidden_sizes`` shrunk, the stages follow it (stage
    i puts out ``hidden_sizes[i]`` and takes the previous stage's output, the stem's for the first,
    which puts out ``embedding_size``), or a neck's input projections miss the real widths."""
    hidden, stem = values.get("hidden_sizes"), values.get("stem_channels")
    stages = [values.get(name) for name in ("stage_in_channels", "stage_mid_channels", "stage_out_channels")]
    lists = [hidden, stem, *stages]
    if not all(isinstance(v, list) and v and all(isinstance(i, int) for i in v) for v in lists):
        return
    if not len(hidden) == len(stages[0]) == len(stages[1]) == len(stages[2]) or len(stem) != 3:
        return
    embedding = values.get("embedding_size") if isinstance(values.get("embedding_size"), int) else min(stem[2], HIDDEN)
    values["stem_channels"] = [stem[0], min(stem[1], embedding), embedding]
    values["stage_in_channels"] = [embedding] + hidden[:-1]
    values["stage_mid_channels"] = [min(mid, max(out // 2, 1)) for mid, out in zip(stages[1], hidden)]
    values["stage_out_channels"] = list(hidden)


def _feed_the_neck(values: dict[str, Any]) -> None:
    """DPT-style necks reassemble one feature map per entry of ``reassemble_factors``: the (shrunk)
    backbone must still put out that many, so it keeps one layer per map and outputs them all."""
    neck = values.get("reassemble_factors") or values.get("neck_hidden_sizes")
    if not isinstance(neck, list):
        return
    count = len(neck)
    if isinstance(values.get("backbone_out_indices"), list):  # DPT's own ViT: indices into its layers
        values["num_hidden_layers"] = max(values.get("num_hidden_layers", 0), count)
        values["backbone_out_indices"] = list(range(count))
    elif isinstance(values.get("backbone_config"), dict):
        backbone = values["backbone_config"]
        if isinstance(backbone.get("num_hidden_layers"), int):
            backbone["num_hidden_layers"] = max(backbone["num_hidden_layers"], count)
            backbone["out_indices"] = list(range(1, count + 1))
            for name in ("stage_names", "out_features"):
                backbone.pop(name, None)


def _keep_rope_sections_consistent(values: dict[str, Any]) -> None:
    """Multimodal RoPE splits half the head dim into sections; rescale them to the new head dim."""
    heads = values.get("num_attention_heads")
    head_dim = values.get("head_dim") or (values["hidden_size"] // heads if isinstance(values.get("hidden_size"), int) and isinstance(heads, int) else None)
    for key in ("rope_parameters", "rope_scaling"):
        rope = values.get(key)
        if not (isinstance(rope, dict) and isinstance(rope.get("mrope_section"), list) and head_dim):
            continue
        sections, half = rope["mrope_section"], head_dim // 2
        scaled = [max(1, round(half * s / sum(sections))) for s in sections]
        scaled[0] += half - sum(scaled)
        values[key] = {**rope, "mrope_section": scaled}


def _is_special_id(name: str) -> bool:
    return name.endswith(("_token_id", "_token_index", "_start_token_id")) or name in ("image_token_id", "video_token_id")


def _keep_token_ids_in_vocab(values: dict[str, Any]) -> None:
    """Special token ids past the shrunk vocabulary move to its top, each to its own id. A composite's
    own ids (LLaVA's ``image_token_index`` 32000, Qwen2-Audio's ``audio_token_index``) index its
    ``text_config``'s vocabulary, so they move below that one and clear of the text model's ids:
    left past it, the recipe could not place one placeholder, and the model was fed text only."""
    vocab = values.get("vocab_size")
    text = values.get("text_config")
    taken: set[int] = set()
    if not isinstance(vocab, int) and isinstance(text, dict):
        vocab = text.get("vocab_size")
        taken = {v for name, v in text.items() if _is_special_id(name) and isinstance(v, int) and not isinstance(v, bool)}
    if not isinstance(vocab, int) or vocab <= 0:
        return
    free = (candidate for candidate in range(vocab - 1, -1, -1) if candidate not in taken)
    for name, value in list(values.items()):
        is_id = _is_special_id(name)
        if is_id and isinstance(value, int) and not isinstance(value, bool) and value >= vocab:
            values[name] = next(free)
        elif is_id and isinstance(value, list) and all(isinstance(v, int) for v in value):
            values[name] = [v if v < vocab else vocab - 1 for v in value]


def _write_audio_features_at_text_width(values: dict[str, Any]) -> None:
    """A Qwen audio encoder's ``output_dim`` is the width its projector writes over the audio
    placeholders' embeddings (Qwen3-ASR, Qwen2.5-Omni, Qwen3-Omni): a checkpoint sets it to its
    language model's hidden size, the defaults to 3584, which the shrunk text model's 32 no longer
    matches, so an eager forward fed audio failed its placeholder check."""
    audio, text = values.get("audio_config"), values.get("text_config")
    hidden = text.get("hidden_size") if isinstance(text, dict) else values.get("hidden_size")
    if isinstance(audio, dict) and isinstance(audio.get("output_dim"), int) and isinstance(hidden, int):
        audio["output_dim"] = hidden


def _keep_feature_layers_in_range(values: dict[str, Any]) -> None:
    """A VLM's chosen vision layers (VipLLaVA's ``vision_feature_layers`` [-2, -5, -8, -11, 6]) index
    the vision tower's hidden states, one more than its layers; past the shrunk tower they clamp to
    its ends, keeping their count, which sizes the projector."""
    vision = values.get("vision_config")
    layers = _layer_count(vision) if isinstance(vision, dict) else None
    if not layers:
        return

    def clamp(index: int) -> int:
        return max(index, -(layers + 1)) if index < 0 else min(index, layers)

    for name in ("vision_feature_layer", "vision_feature_layers"):
        value = values.get(name)
        if isinstance(value, int) and not isinstance(value, bool):
            values[name] = clamp(value)
        elif isinstance(value, list) and all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            values[name] = [clamp(v) for v in value]


def _merge(values: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    merged = dict(values)
    for name, value in overrides.items():
        merged[name] = _merge(merged[name], value) if isinstance(value, dict) and isinstance(merged.get(name), dict) else copy.deepcopy(value)
    return merged


def _is_token_id(name: str) -> bool:
    return name.endswith(("_token_id", "_token_index", "_id"))


def _rederive(config: Any, original: dict[str, Any], shrunk: dict[str, Any]) -> dict[str, Any]:
    """``shrunk`` with the sizes ``config``'s class derives in ``__post_init__`` taken out, so they
    are derived again from the shrunk ones: a default's ``to_dict()`` writes them down (RWKV's
    ``attention_hidden_size`` = 4096, DeepSeek's ``head_dim`` = ``qk_rope_head_dim``) and they would
    otherwise keep full-size or generic values that no longer match. Derived means an int attribute
    that is not a dataclass field, or a field whose default is ``None`` the shrinker left as it was
    (what it shrank on purpose, such as key/value heads, stays)."""
    fields = {f.name: f for f in dataclasses.fields(config)} if dataclasses.is_dataclass(config) else None
    if fields is None:
        return shrunk
    out = dict(shrunk)
    for name, value in shrunk.items():
        sub = getattr(config, name, None)
        if isinstance(value, dict) and isinstance(original.get(name), dict) and hasattr(sub, "to_dict"):
            out[name] = _rederive(sub, original[name], value)
        elif _is_int_list(value) and name not in fields and f"_{name}" not in fields and not name.startswith("_") and value == original.get(name):
            # per-stage lists derived from other fields (EfficientLoFTR's stage_block_*_channels); a
            # property over a field (a backbone's out_indices over _out_indices) is set, not derived
            out[name] = _DERIVED
        elif not isinstance(value, int) or isinstance(value, bool) or name.startswith("_") or _is_token_id(name):
            continue
        elif name not in fields:
            out[name] = _DERIVED
        elif fields[name].default is None and value == original.get(name):
            out[name] = _RESET
    return out


def _is_int_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(_is_int_list(v) or (isinstance(v, int) and not isinstance(v, bool)) for v in value)


def _add_rope_sections(config: Any, values: dict[str, Any]) -> None:
    """Multimodal RoPE configs whose defaults leave ``mrope_section`` out (checkpoints set it; Glm4v's
    model then falls back to sections for a 128-wide head) get sections for the tiny rotary dim."""
    for name, value in values.items():
        if isinstance(value, dict) and hasattr(getattr(config, name, None), "to_dict"):
            _add_rope_sections(getattr(config, name), value)
    rope = values.get("rope_parameters")
    if "mrope_section" not in (getattr(config, "ignore_keys_at_rope_validation", None) or ()) or not isinstance(rope, dict):
        return
    heads, hidden = values.get("num_attention_heads"), values.get("hidden_size")
    head_dim = values.get("head_dim") or (hidden // heads if isinstance(hidden, int) and isinstance(heads, int) else None)
    if not isinstance(head_dim, int):
        return
    per_type = bool(rope) and all(isinstance(v, dict) for v in rope.values())  # one set per layer type
    for key, params in (rope.items() if per_type else [(None, rope)] if rope else []):
        if "mrope_section" in params:
            continue
        factor = params.get("partial_rotary_factor") or values.get("partial_rotary_factor") or 1.0
        half = int(head_dim * factor) // 2
        params = {**params, "mrope_section": [half - 2 * (half // 4), half // 4, half // 4]}
        values["rope_parameters"] = {**values["rope_parameters"], key: params} if per_type else params


# Left for the class to derive: an attribute that is not a field is taken out of the dict, a field
# is set to None.
_DERIVED, _RESET = object(), object()


def _build(cls: type, values: dict[str, Any], fallback: dict[str, Any]) -> Any:
    """``cls.from_dict(values)`` with the ``_DERIVED`` and ``_RESET`` entries left for the class to
    derive; one it does not derive, or derives larger than the shrunk value in ``fallback`` (from a
    size the shrinker does not know), takes the shrunk value."""
    def strip(tree: dict[str, Any]) -> dict[str, Any]:
        return {k: strip(v) if isinstance(v, dict) else None if v is _RESET else v for k, v in tree.items() if v is not _DERIVED}

    def restore(config: Any, tree: dict[str, Any], shrunk: dict[str, Any]) -> None:
        for name, value in tree.items():
            derived = getattr(config, name, None)
            if value is _DERIVED and isinstance(shrunk[name], list):
                if not isinstance(derived, list):
                    setattr(config, name, shrunk[name])
            elif (value is _DERIVED or value is _RESET) and not (isinstance(derived, int) and derived <= shrunk[name]):
                setattr(config, name, shrunk[name])
            elif isinstance(value, dict) and hasattr(getattr(config, name, None), "to_dict"):
                restore(getattr(config, name), value, shrunk[name])

    config = cls.from_dict(strip(values))
    restore(config, values, fallback)
    return config


def tiny_config(model_type: str, overrides: dict[str, Any] | None = None) -> Any:
    """The config class's defaults for ``model_type``, shrunk, then ``overrides`` applied on top.
    Rebuilt through the config class, so values it derives in ``__init__`` follow the new sizes."""
    from transformers import AutoConfig

    try:
        defaults = AutoConfig.for_model(model_type)
    except Exception:  # composites (Musicgen, EncoderDecoder) have no defaults for their parts
        parts = {k: v for k, v in (overrides or {}).items() if isinstance(v, dict) and "model_type" in v}
        if not parts:
            raise
        defaults = AutoConfig.for_model(model_type, **{k: AutoConfig.for_model(**v).to_dict() for k, v in parts.items()})
    original = defaults.to_dict()
    original.pop("transformers_version", None)
    shrunk = _merge(shrink_config_dict(original), overrides or {})
    _add_rope_sections(defaults, shrunk)
    try:
        return _build(type(defaults), _merge(_rederive(defaults, original, shrunk), overrides or {}), shrunk)
    except Exception:  # a class that cannot derive them again keeps the values as written
        return type(defaults).from_dict(shrunk)


def _as_a_decoder(cls: type, config: Any) -> Any:
    """A causal-LM class of an encoder family (``BertLMHeadModel``, ``ReformerModelWithLMHead``)
    gets ``is_decoder=True``, as every checkpoint of it is one and as transformers' own testers build
    it: defaults of False leave Reformer's LM head refusing to build and Bert's attending both ways."""
    from transformers.models.auto.modeling_auto import MODEL_FOR_CAUSAL_LM_MAPPING_NAMES

    if getattr(config, "is_decoder", None) is False and cls.__name__ in MODEL_FOR_CAUSAL_LM_MAPPING_NAMES.values():
        config.is_decoder = True
    return config


def tiny_config_for_class(cls: type, model_type: str, overrides: dict[str, Any] | None = None) -> Any:
    """The tiny config ``cls`` takes: a class filed under a composite's type whose ``config_class``
    is one of its parts (``MusicgenForCausalLM`` under ``musicgen`` takes ``musicgen_decoder``)
    gets that part of the tiny composite, so the overrides written for the composite's part apply
    to it too (Qwen4-Exp's ``text_config`` indexer sizes for ``Qwen4ExpForCausalLM``); a composite
    without such a part, or one that does not build, leaves it the part's own tiny config."""
    return _as_a_decoder(cls, _tiny_config_of_part(cls, model_type, overrides))


def _tiny_config_of_part(cls: type, model_type: str, overrides: dict[str, Any] | None) -> Any:
    own = getattr(getattr(cls, "config_class", None), "model_type", None)
    if not own or own == model_type:
        return tiny_config(model_type, overrides)
    try:
        config = tiny_config(model_type, overrides)
    except Exception:  # the composite may not build without its overrides; the part does
        return tiny_config(own)
    if isinstance(config, cls.config_class):
        return config
    part = next((value for value in vars(config).values() if isinstance(value, cls.config_class)), None)
    return part if part is not None else tiny_config(own)
