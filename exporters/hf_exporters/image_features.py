"""The glue a multimodal model keeps between its modal encoder and its projector, as a rule.

``decompose_multimodal`` leaves the image (or audio) encoder and the projector as separate graphs;
what the model does between them (``get_image_features``: pick hidden layers, drop the class token,
join layers; ``get_audio_features``: fold frames into the projector's width) is the caller's. A rule
says which encoder outputs, by their flat names, feed the projector, how many leading tokens each
loses, that several are joined along the last dim, and, with ``width``, that the result is folded
into rows of that width (``keep_batch``: per example, ``(batch, -1, width)``):

    {"outputs": ["hidden_states.1"], "drop_leading": 1}
    {"outputs": ["last_hidden_state"], "drop_leading": 0, "width": 64, "keep_batch": false}

Families differ in their glue, so the rule is found per model rather than per model type: the
candidates (the config's ``vision_feature_layer(s)`` under its ``vision_feature_select_strategy``,
LLaVA's way; the encoder's last hidden state, PaliGemma's, Gemma 3's and Audio Flamingo 3's; that
state folded to the projector's width, Voxtral's and GLM-ASR's) are tried against the call the
capture recorded, and the first that reproduces the projector's captured input is the rule. Glue
that no candidate reproduces (InternVL's pixel shuffle between the two) is refused by name, so a
loop never drives a model with glue it does not have. The loop then writes the projected features
over the modality's placeholder tokens (``image_token_id`` / ``audio_token_id``).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import torch

from .utils import get_leaf_tensors

Rule = dict[str, Any]
MODAL_ENCODERS = ("image_encoder", "audio_encoder")
# the components around the projector: the projector is the one part not named here
NOT_PROJECTORS = frozenset({*MODAL_ENCODERS, "embed_tokens", "language_model", "lm_head", "decode", "encoder", "prefill"})


def projector_name(names: list[str] | Mapping[str, Any]) -> str | None:
    return next((name for name in names if name not in NOT_PROJECTORS), None)


def modal_encoder(names: list[str] | Mapping[str, Any]) -> str | None:
    """The component whose features the loop writes over placeholders: the image encoder, else the audio one."""
    return next((name for name in MODAL_ENCODERS if name in names), None)


def rule_key(encoder: str) -> str:
    """The loop config's key for ``encoder``'s rule: ``image_feature_rule`` / ``audio_feature_rule``."""
    return f"{encoder.removesuffix('_encoder')}_feature_rule"


def placeholder_key(encoder: str) -> str:
    """The config attribute naming the token the features go over: ``image_token_id`` / ``audio_token_id``."""
    return f"{encoder.removesuffix('_encoder')}_token_id"


def hidden_state_count(outputs: Mapping[str, Any]) -> int:
    """How many hidden_states.N an encoder returned: what a negative vision_feature_layer counts from."""
    return sum(1 for name in outputs if name.startswith("hidden_states."))


def _configured_layers(config: Any, depth: int) -> list[str] | None:
    layer = getattr(config, "vision_feature_layer", None)
    if layer is None:
        layer = getattr(config, "vision_feature_layers", None)
    if layer is None or not depth:
        return None
    return [f"hidden_states.{index % depth}" for index in ([layer] if isinstance(layer, int) else list(layer))]


def rule_from_config(config: Any, depth: int) -> Rule | None:
    """LLaVA's glue, where the config says it whole: hidden states at ``vision_feature_layer``
    (negative counts from the end), without the class token under the ``default``
    ``vision_feature_select_strategy``. None when the config names no layer or no strategy (VipLLaVA
    names layers and drops the class token in code), or the encoder returned no hidden states."""
    layers = _configured_layers(config, depth)
    strategy = getattr(config, "vision_feature_select_strategy", None)
    if layers is None or strategy is None:
        return None
    return {"outputs": layers, "drop_leading": 1 if strategy == "default" else 0}


def candidate_rules(config: Any, outputs: Mapping[str, Any], width: int | None = None) -> list[Rule]:
    """The config's layers, with its strategy's drop first; the last hidden state with and without
    its first token; and, when the projector reads rows of another ``width``, that state folded to it."""
    candidates: list[Rule] = []
    layers = _configured_layers(config, hidden_state_count(outputs))
    if layers is not None:
        first = (rule_from_config(config, hidden_state_count(outputs)) or {}).get("drop_leading", 1)
        candidates += [{"outputs": layers, "drop_leading": drop} for drop in (first, 1 - first)]
    if "last_hidden_state" in outputs:
        candidates += [{"outputs": ["last_hidden_state"], "drop_leading": drop} for drop in (0, 1)]
        last = outputs["last_hidden_state"]
        if width and isinstance(last, torch.Tensor) and last.shape[-1] != width:
            candidates += [{"outputs": ["last_hidden_state"], "drop_leading": 0, "width": width, "keep_batch": keep} for keep in (True, False)]
    return candidates


def select_features(outputs: Mapping[str, torch.Tensor], rule: Rule) -> torch.Tensor:
    """The projector's input from the modal encoder's flat outputs under ``rule``."""
    missing = [name for name in rule["outputs"] if name not in outputs]
    if missing:
        raise ValueError(f"the feature rule reads {missing}, which the encoder did not return; it returned {sorted(outputs)}.")
    drop = rule.get("drop_leading", 0)
    features = torch.cat([outputs[name][:, drop:] for name in rule["outputs"]], dim=-1)
    if "width" not in rule:
        return features
    return features.reshape(features.shape[0], -1, rule["width"]) if rule.get("keep_batch") else features.reshape(-1, rule["width"])


def find_feature_rule(config: Any, components: Mapping[str, Any]) -> Rule:
    """The rule that reproduces the captured projector input from the modal encoder (image, else
    audio) run on its captured inputs. ``components``: ``generation_components``'s modules (each
    holding its capture).

    Raises:
        NotImplementedError: no candidate reproduces it; the message names the shapes and what was tried.
    """
    encoder_name, name = modal_encoder(components), projector_name(list(components))
    if encoder_name is None or name is None:
        raise NotImplementedError(f"a feature rule needs an image or audio encoder and a projector; the components are {sorted(components)}.")
    encoder, projector = components[encoder_name], components[name]
    target = projector.sample_inputs[projector.input_names[0]]
    with torch.no_grad():
        outputs = get_leaf_tensors(encoder(**encoder.sample_inputs))
    tried = []
    for rule in candidate_rules(config, outputs, target.shape[-1]):
        try:
            got = select_features(outputs, rule)
        except (ValueError, RuntimeError):
            continue
        tried.append(f"{rule} -> {list(got.shape)}")
        if got.shape == target.shape and torch.allclose(got, target.to(got.dtype), atol=1e-5, rtol=1e-5):
            return rule
    raise NotImplementedError(
        f"no feature rule reproduces the input {list(target.shape)} that {getattr(config, 'model_type', '?')}'s "
        f"'{name}' received from the {encoder_name}'s outputs; tried {tried or 'nothing (no candidate applies)'}. "
        "The model's get_image_features / get_audio_features does more between the two (a pixel shuffle, a "
        "per-image split); the loop cannot drive it with the encoder and projector as separate graphs."
    )


def with_feature_rule(config: Any, components: Mapping[str, Any]) -> Any:
    """``config`` for ``greedy_generate``: a shallow copy carrying the rule found for ``components``
    under ``rule_key`` when they have a modal encoder, else ``config`` itself."""
    encoder = modal_encoder(components)
    if encoder is None:
        return config
    found = copy.copy(config)
    setattr(found, rule_key(encoder), find_feature_rule(config, components))
    return found
