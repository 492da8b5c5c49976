"""Generation across the export boundary: components with the cache as flat named tensors, their
export, and a greedy loop over exported components.

Naming scheme (the README's "Generation" section has the table):

    decoder-only   past_key_values.N.key / .value                  -> present.N.key / .value
    enc-dec        past_key_values.N.decoder.key / .value  (self)  -> present.N.decoder.key / .value
                   past_key_values.N.encoder.key / .value  (cross) -> present.N.encoder.key / .value
    SSM            past_key_values.N.conv / .ssm                   -> present.N.conv / .ssm

N is the layer. A layer with several linear-attention states names the others ``conv_S`` / ``ssm_S``.
Whatever the model calls its cache argument (``past_key_values``, ``cache_params``), the exported
component calls it ``past_key_values``. The dotted names are what ``get_leaf_tensors`` makes of the
nested dict a component takes and returns, so ONNX, ExecuTorch and this loop share them.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Mapping
from typing import Any

import torch

from .executorch_bounds import check_input_bounds
from .image_features import hidden_state_count, modal_encoder, placeholder_key, projector_name, rule_from_config, rule_key, select_features
from .decompose import Component, decompose_for_generation
from .utils import get_leaf_tensors

PAST_PREFIX = "past_key_values"
PRESENT_PREFIX = "present"
# Self- and cross-attention halves of an encoder-decoder cache, named from the decoder's point of view.
_ENCODER_DECODER_PARTS = (("decoder", "self_attention_cache"), ("encoder", "cross_attention_cache"))


class GenerationExportError(RuntimeError):
    """One component of ``export_for_generation`` failed; ``component`` names it, the cause is chained."""

    def __init__(self, component: str, message: str) -> None:
        super().__init__(message)
        self.component = component


# ── Caches as flat named tensors ───────────────────────────────────────────────────────────────

def _is_cache(value: Any) -> bool:
    from transformers.cache_utils import Cache

    return isinstance(value, Cache)


def _cache_parts(cache: Any) -> list[tuple[str | None, Any]]:
    from transformers.cache_utils import EncoderDecoderCache

    if isinstance(cache, EncoderDecoderCache):
        return [(part, getattr(cache, attr)) for part, attr in _ENCODER_DECODER_PARTS]
    return [(None, cache)]


def _layer_slots(layer: Any) -> list[tuple[str, Any, Any]]:
    """``(leaf name, container, key)`` of every cache tensor slot of one layer, set or not."""
    slots: list[tuple[str, Any, Any]] = []
    if hasattr(layer, "keys") and hasattr(layer, "values") and not callable(layer.keys):
        slots += [("key", layer.__dict__, "keys"), ("value", layer.__dict__, "values")]
    for leaf, attr in (("conv", "conv_states"), ("ssm", "recurrent_states")):
        states = getattr(layer, attr, None)
        if isinstance(states, dict):
            slots += [(leaf if index == 0 else f"{leaf}_{index}", states, index) for index in sorted(states)]
    return slots


def _cache_slots(cache: Any) -> dict[str, tuple[Any, Any]]:
    """``{"N[.part].leaf": (container, key)}`` in layer order, then self before cross attention."""
    named: list[tuple[int, int, str, Any, Any]] = []
    for part_index, (part, sub) in enumerate(_cache_parts(cache)):
        for layer_index, layer in enumerate(getattr(sub, "layers", [])):
            for leaf, container, key in _layer_slots(layer):
                name = f"{layer_index}.{part}.{leaf}" if part else f"{layer_index}.{leaf}"
                named.append((layer_index, part_index, name, container, key))
    named.sort(key=lambda item: (item[0], item[1]))
    return {name: (container, key) for _, _, name, container, key in named}


def cache_tensors(cache: Any) -> dict[str, torch.Tensor]:
    """The cache's tensors by flat name (``0.key``, ``0.decoder.key``, ``0.conv``, ...), set slots only."""
    return {name: container[key] for name, (container, key) in _cache_slots(cache).items()
            if isinstance(container.get(key) if isinstance(container, dict) else None, torch.Tensor)}


def load_cache_tensors(cache: Any, tensors: Mapping[str, torch.Tensor]) -> None:
    """Put ``tensors`` (flat names as ``cache_tensors`` gives them) into ``cache``'s slots; unknown names
    are an error naming the known ones, so a wrong cache layout fails loudly."""
    slots = _cache_slots(cache)
    unknown = sorted(set(tensors) - set(slots))
    if unknown:
        raise ValueError(f"cache has no slots {unknown}; its slots are {list(slots)}.")
    for name, tensor in tensors.items():
        container, key = slots[name]
        container[key] = tensor


def _skeleton(cache: Any) -> Any:
    """A deep copy of ``cache`` with every tensor slot emptied: the flags (initialised, has previous
    state, cross attention updated) stay, so the rebuilt cache takes the same code path."""
    stripped = copy.deepcopy(cache)
    for container, key in _cache_slots(stripped).values():
        container[key] = None
    return stripped


def _shared_tensors(value: Any, found: dict[int, torch.Tensor], depth: int = 0) -> dict[int, torch.Tensor]:
    """Tensors held by a cache skeleton's layers besides their slots (a sliding-window layer's
    window as a scalar tensor), by id."""
    if isinstance(value, torch.Tensor):
        found[id(value)] = value
    elif depth < 8 and isinstance(value, (list, tuple)):
        for item in value:
            _shared_tensors(item, found, depth + 1)
    elif depth < 8 and isinstance(value, dict):
        for item in value.values():
            _shared_tensors(item, found, depth + 1)
    elif depth < 8 and hasattr(value, "__dict__") and not isinstance(value, (torch.nn.Module, type)):
        _shared_tensors(vars(value), found, depth + 1)
    return found


def copy_skeleton(skeleton: Any) -> Any:
    """A fresh cache from the skeleton for one call. Tensors the skeleton holds are constants, shared
    rather than deep-copied: deep-copying a tensor while torch.export traces fails ('argument of
    type UntypedStorage')."""
    return copy.deepcopy(skeleton, dict(_shared_tensors(skeleton, {})))


def _restore_seen_length(cache: Any, kwargs: Mapping[str, Any]) -> None:
    """A sliding-window layer keeps only its last window-1 positions, so how many tokens it has seen
    (``cumulative_length``, which sizes its mask) cannot be read off its tensors, and the skeleton
    would fix it at the traced call's count. A decoder-only call's 2-D attention mask spans every
    token seen plus the new ones, so the count follows from the shapes (a symbolic size in a dynamic
    export)."""
    mask = kwargs.get("attention_mask")
    tokens = kwargs.get("input_ids", kwargs.get("inputs_embeds"))
    if not isinstance(mask, torch.Tensor) or mask.dim() != 2 or not isinstance(tokens, torch.Tensor):
        return
    for layer in getattr(cache, "layers", None) or []:
        if isinstance(getattr(layer, "cumulative_length", None), int):
            layer.cumulative_length = mask.shape[-1] - tokens.shape[1]


def nest_names(flat: Mapping[str, Any]) -> dict[str, Any]:
    """``{"a.0.key": t}`` -> ``{"a": {"0": {"key": t}}}``: the inverse of ``get_leaf_tensors`` on dicts."""
    nested: dict[str, Any] = {}
    for name, value in flat.items():
        node = nested
        *parents, leaf = name.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return nested


class GenerationComponent(torch.nn.Module):
    """One captured forward as a module with flat tensor I/O.

    Takes the captured tensor kwargs by name, structured kwargs (``encoder_outputs``) as dicts of their
    tensors, and the cache as ``past_key_values`` (nested ``{layer: {leaf: tensor}}``, flat names
    ``past_key_values.N.key``); rebuilds the model's cache object from them, runs the module, and
    returns the non-cache outputs plus the updated cache as ``present``. Non-tensor kwargs
    (``use_cache``, ``return_dict``, ...) are fixed at their captured values.
    """

    def __init__(self, module: torch.nn.Module, kwargs: Mapping[str, Any]) -> None:
        super().__init__()
        from transformers.utils import ModelOutput

        self.module = module
        self.constants: dict[str, Any] = {}
        self.structured: dict[str, type] = {}
        self.cache_argument: str | None = None
        self.cache_skeleton: Any = None
        sample: dict[str, Any] = {}
        for name, value in kwargs.items():
            if isinstance(value, torch.Tensor):
                # a captured view (LLaVA's features[:, 1:]) would make torch.export guard on its strides
                sample[name] = value.contiguous()
            elif _is_cache(value):
                self.cache_argument, self.cache_skeleton = name, _skeleton(value)
                # contiguous too: a sliding-window layer (Gemma 3) keeps a slice of a longer tensor, so
                # traced as captured, the export guards on the slice's strides, and the contiguous
                # present.* a loop feeds back fails that guard at the first decode step
                past = {leaf: tensor.contiguous() for leaf, tensor in cache_tensors(value).items()}
                if past:
                    sample[PAST_PREFIX] = nest_names(past)
            elif isinstance(value, ModelOutput):
                self.structured[name] = type(value)
                sample[name] = {key: item for key, item in value.items() if isinstance(item, torch.Tensor)}
            elif isinstance(value, (list, tuple, dict)) and get_leaf_tensors(value):
                raise NotImplementedError(
                    f"{type(module).__name__} was called with '{name}', a {type(value).__name__} holding tensors; "
                    "GenerationComponent takes tensors, caches and ModelOutputs only."
                )
            else:
                self.constants[name] = value
        self.sample_inputs = sample

    @property
    def input_names(self) -> list[str]:
        return list(get_leaf_tensors(self.sample_inputs))

    def forward(self, **inputs: Any) -> dict[str, Any]:
        kwargs = dict(self.constants)
        past = inputs.pop(PAST_PREFIX, None)
        for name, value in inputs.items():
            kwargs[name] = self.structured[name](**value) if name in self.structured else value
        cache = None
        if self.cache_argument is not None:
            cache = copy_skeleton(self.cache_skeleton)
            # clones: linear-attention layers update their states in place, which must not reach the inputs
            load_cache_tensors(cache, {name: tensor.clone() for name, tensor in get_leaf_tensors(past or {}).items()})
            _restore_seen_length(cache, kwargs)
            kwargs[self.cache_argument] = cache
        output = self.module(**kwargs)
        if isinstance(output, torch.Tensor):
            result: dict[str, Any] = {"output": output}
        else:
            result = {name: value for name, value in dict(output).items() if value is not None and not _is_cache(value)}
        if cache is not None:
            # contiguous: a sliding-window layer keeps a slice of a longer tensor, and a view's
            # strides follow that unbounded length, which ExecuTorch's memory planning cannot bound
            result[PRESENT_PREFIX] = nest_names({name: tensor.contiguous() for name, tensor in cache_tensors(cache).items()})
        return result


def generation_components(
    model: torch.nn.Module, inputs: Mapping[str, Any], generation_config: Any = None, multi_token_decode: bool = False
) -> dict[str, GenerationComponent]:
    """``decompose_for_generation``'s components as ``GenerationComponent`` modules (flat cache I/O)."""
    components = decompose_for_generation(model, inputs, generation_config, multi_token_decode)
    return {name: GenerationComponent(module, kwargs) for name, (module, kwargs) in components.items()}


def prefill_specialises_length(components: Mapping[str, GenerationComponent]) -> bool:
    """Whether the prefill only runs at the prompt length it was traced with: an SSM's selective scan
    without CUDA kernels is a Python loop over the sequence, which torch.export unrolls
    (https://github.com/pytorch/pytorch/issues/146835). Such a model needs one prefill per prompt length;
    its decode (one token, fixed-size states) is unaffected."""
    decode = components.get("decode")
    return decode is not None and any(name.endswith((".conv", ".ssm")) or ".conv_" in name or ".ssm_" in name
                                      for name in decode.input_names if name.startswith(PAST_PREFIX + "."))


# ── Export ─────────────────────────────────────────────────────────────────────────────────────

def _config_for(config: Any, name: str, names: list[str]) -> Any:
    return config[name] if _is_per_component(config, names) else config


def _is_per_component(config: Any, names: list[str]) -> bool:
    if not isinstance(config, Mapping) or not config:
        return False
    keys = set(config)
    if keys & set(names):
        missing = [name for name in names if name not in keys]
        unknown = sorted(keys - set(names))
        if missing or unknown:
            raise ValueError(
                f"per-component config must name every component exactly: components are {names}; "
                f"missing {missing}, unknown {unknown}. Pass one config for all, or one per component."
            )
        return True
    return False


def export_for_generation(
    exporter: Any, model: torch.nn.Module, inputs: Mapping[str, Any], config: Any,
    generation_config: Any = None, multi_token_decode: bool = False, timings: dict[str, float] | None = None,
) -> dict[str, Any]:
    """Decompose ``model`` for generation and export every component with ``exporter``.

    ``config`` is one config (or dict of config fields) for all components, or a dict keyed by
    component name. Returns ``{component: artifact}``; a failing component raises
    ``GenerationExportError`` naming it, with the exporter's error as its cause. ``timings``, when
    given, receives each component's export seconds.
    """
    components = generation_components(model, inputs, generation_config, multi_token_decode)
    return export_components(exporter, components, config, timings)


def export_components(
    exporter: Any, components: Mapping[str, GenerationComponent], config: Any, timings: dict[str, float] | None = None
) -> dict[str, Any]:
    names = list(components)
    artifacts: dict[str, Any] = {}
    for name, component in components.items():
        component_config = _config_for(config, name, names)
        if hasattr(component_config, "output_path") and getattr(component_config, "output_path", None) and len(names) > 1 \
                and not _is_per_component(config, names):
            raise ValueError(
                "one OnnxConfig with output_path for every component would write them all to one file; "
                "pass a dict of configs with one output_path per component."
            )
        start = time.perf_counter()
        try:
            artifacts[name] = exporter.export(component, component.sample_inputs, component_config)
        except Exception as err:
            raise GenerationExportError(
                name,
                f"export_for_generation: component '{name}' ({type(component.module).__name__}) failed with "
                f"{type(exporter).__name__}: {type(err).__name__}: {str(err).strip().splitlines()[0] if str(err).strip() else ''}",
            ) from err
        if timings is not None:
            timings[name] = time.perf_counter() - start
    return artifacts


# ── Running exported components ────────────────────────────────────────────────────────────────

Runner = Callable[[dict[str, torch.Tensor]], dict[str, torch.Tensor]]


def dynamo_runner(program: Any) -> Runner:
    module = program.module()

    def run(feeds: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        with torch.no_grad():
            return get_leaf_tensors(module(**nest_names(feeds)))

    return run


def onnx_session_runner(session: Any) -> Runner:
    """An onnxruntime ``InferenceSession``; feeds and results by the graph's names."""
    input_names = [value.name for value in session.get_inputs()]
    output_names = [value.name for value in session.get_outputs()]

    def run(feeds: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        missing = [name for name in input_names if name not in feeds]
        if missing:
            raise ValueError(f"ONNX inputs {missing} were not fed; fed {sorted(feeds)}.")
        values = session.run(None, {name: feeds[name].contiguous().numpy() for name in input_names})
        return {name: torch.from_numpy(value) for name, value in zip(output_names, values)}

    return run


def onnx_runner(program: Any) -> Runner:
    """An in-memory ``ONNXProgram``, through onnxruntime."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = max(1, torch.get_num_threads())
    session = ort.InferenceSession(program.model_proto.SerializeToString(), options, providers=["CPUExecutionProvider"])
    return onnx_session_runner(session)


def executorch_method_runner(
    method: Any, input_names: list[str], output_names: list[str], bounds: Mapping[str, Any] | None = None
) -> Runner:
    """``bounds``: the planned input ranges (``hf_input_bounds``), checked first so an input past them
    is named instead of failing in the runtime as a bare ``error 0x12``."""
    def run(feeds: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        check_input_bounds(bounds or {}, feeds)
        outputs = method.execute([feeds[name].contiguous() for name in input_names])
        return {name: tensor.clone() for name, tensor in zip(output_names, outputs)}  # the runtime reuses buffers

    return run


def executorch_runner(manager: Any) -> Runner:
    from executorch.runtime import Runtime

    program = Runtime.get().load_program(manager.buffer)
    return executorch_method_runner(
        program.load_method("forward"), manager.hf_input_names, manager.hf_output_names, getattr(manager, "hf_input_bounds", None)
    )


RUNNER_FACTORIES: dict[str, Callable[[Any], Runner]] = {
    "dynamo": dynamo_runner, "onnx": onnx_runner, "executorch": executorch_runner,
}


# ── The greedy loop ────────────────────────────────────────────────────────────────────────────

def _logits(outputs: Mapping[str, torch.Tensor]) -> torch.Tensor:
    for name in ("logits", "output"):
        if name in outputs:
            return outputs[name]
    raise ValueError(f"a component returned no logits; its outputs are {sorted(outputs)}.")


def _carry(name: str, present: Mapping[str, torch.Tensor], encoder: Mapping[str, torch.Tensor]) -> torch.Tensor | None:
    if name.startswith(PAST_PREFIX + "."):
        return present.get(PRESENT_PREFIX + name[len(PAST_PREFIX):])
    if name.startswith("encoder_outputs."):
        return encoder.get(name.removeprefix("encoder_outputs."))
    return None


def _feed(component: str, input_names: list[str], known: Mapping[str, torch.Tensor],
          present: Mapping[str, torch.Tensor], encoder: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    feeds: dict[str, torch.Tensor] = {}
    for name in input_names:
        value = known.get(name)
        if value is None:
            value = _carry(name, present, encoder)
        if value is None:
            raise ValueError(
                f"greedy loop: no value for input '{name}' of component '{component}'; it can feed "
                f"{sorted(known)}, past_key_values.* from present.*, encoder_outputs.* from the encoder."
            )
        feeds[name] = value
    return feeds


def _multimodal_prefill(
    runners: Mapping[str, Runner], io: Mapping[str, list[str]], config: Any, prompt: Mapping[str, torch.Tensor]
) -> dict[str, torch.Tensor]:
    """modal encoder -> feature selection -> projector; embed_tokens; merge; language_model; lm_head.
    The encoder is the image one, else the audio one. The selection is the config's rule for it
    (``image_feature_rule`` / ``audio_feature_rule``: ``find_feature_rule``, which checks it against
    the captured call), else LLaVA's from the config's ``vision_feature_layer``; the merge writes the
    features over the ``image_token_id`` / ``audio_token_id`` placeholders in order, as every such
    model's forward does."""
    encoder = modal_encoder(runners)
    if encoder is None:
        raise NotImplementedError(
            f"the greedy loop merges image or audio features, and these components have no image_encoder or "
            f"audio_encoder ({sorted(io)})."
        )
    encoded = runners[encoder](_feed(encoder, io[encoder], prompt, {}, {}))
    rule = getattr(config, rule_key(encoder), None)
    if rule is None and encoder == "image_encoder":
        rule = rule_from_config(config, hidden_state_count(encoded))
    if rule is None:
        raise NotImplementedError(
            f"the greedy loop has no {rule_key(encoder)} for model type '{getattr(config, 'model_type', None)}': pass a config "
            f"with {rule_key(encoder)} (find_feature_rule finds it from the captured components) or vision_feature_layer."
        )
    token = getattr(config, placeholder_key(encoder), None)
    if token is None:
        raise ValueError(f"a multimodal loop needs config.{placeholder_key(encoder)}, the placeholder its features go over.")
    projector = projector_name(io)
    if projector is None:
        raise ValueError(f"a multimodal loop needs a projector between the {encoder} and the language model; components are {sorted(io)}.")
    features_input, *others = io[projector]
    feeds = {features_input: select_features(encoded, rule), **_feed(projector, others, prompt, {}, {})}
    features = runners[projector](feeds)["output"]
    embeds = runners["embed_tokens"]({io["embed_tokens"][0]: prompt["input_ids"]})["output"]
    placeholders = prompt["input_ids"] == token
    slots, rows = int(placeholders.sum()), features.numel() // embeds.shape[-1]
    if slots * embeds.shape[-1] != features.numel():  # masked_scatter would take the first rows and say nothing
        raise ValueError(
            f"the prompt has {slots} placeholder tokens (id {token}) but the {encoder} gives "
            f"{rows} features; the model's own forward refuses that count too."
        )
    embeds = embeds.masked_scatter(placeholders.unsqueeze(-1).expand_as(embeds), features.to(embeds.dtype))
    known = {"inputs_embeds": embeds, **{name: prompt[name] for name in ("attention_mask", "position_ids") if name in prompt}}
    hidden = runners["language_model"](_feed("language_model", io["language_model"], known, {}, {}))
    logits = runners["lm_head"]({io["lm_head"][0]: hidden["last_hidden_state"][:, -1:]})["output"]
    return {"logits": logits, **{name: value for name, value in hidden.items() if name.startswith(PRESENT_PREFIX + ".")}}


def decoder_start_token(config: Any) -> int | None:
    """An encoder-decoder's first decoder token as ``generate`` picks it: ``decoder_start_token_id``,
    else ``bos_token_id`` (transformers keeps that fallback for older checkpoints; Moonshine
    Streaming's config sets only the BOS). ``config`` is a model or generation config."""
    for name in ("decoder_start_token_id", "bos_token_id"):
        value = getattr(config, name, None)
        if isinstance(value, int):
            return value
    return None


# what the loop itself feeds each decode step
_PER_STEP = frozenset({"input_ids", "decoder_input_ids", "attention_mask", "position_ids", "token_type_ids"})


def greedy_generate(
    runners: Mapping[str, Runner], io: Mapping[str, list[str]], prompt: Mapping[str, torch.Tensor],
    max_new_tokens: int, config: Any = None,
) -> torch.Tensor:
    """Greedy generation over exported components, as ``generate(do_sample=False)`` runs the model.

    ``runners[name](flat feeds) -> flat outputs`` per component; ``io[name]`` its ordered input names;
    ``prompt`` the generate inputs (``input_ids``, ``attention_mask``, ``pixel_values``, ...). The
    encoder (if any) runs once; prefill (or the multimodal parts) on the prompt; then decode one token
    at a time, its ``past_key_values.*`` fed from the previous step's ``present.*``. A decoder-only
    model's attention mask grows by one column each step (left padding stays where it is); an
    encoder-decoder's mask is the encoder's and stays. Returns the new token ids ``[batch, max_new_tokens]``.
    """
    batch = next(iter(prompt.values())).shape[0]
    prompt = dict(prompt)
    mask = prompt.get("attention_mask")
    if "position_ids" not in prompt:
        # as generate makes them: the mask's running count (padding at 0), or 0..n-1 without a mask
        if mask is not None:
            prompt["position_ids"] = (mask.long().cumsum(-1) - 1).masked_fill(mask == 0, 0)
        elif "input_ids" in prompt:
            prompt["position_ids"] = torch.arange(prompt["input_ids"].shape[1]).unsqueeze(0)
    # an encoder-decoder on audio or images (Whisper's input_features) has no prompt positions
    positions = prompt.get("position_ids")
    encoder_outputs: dict[str, torch.Tensor] = {}
    if "encoder" in runners:
        encoder_outputs = runners["encoder"](_feed("encoder", io["encoder"], prompt, {}, {}))
    decode_inputs = io["decode"]
    token_input = "decoder_input_ids" if "decoder_input_ids" in decode_inputs else "input_ids"
    if "prefill" in runners:
        known = dict(prompt)
        if token_input == "decoder_input_ids":
            start = decoder_start_token(config)
            if start is None:
                raise ValueError("an encoder-decoder loop needs config.decoder_start_token_id (or bos_token_id, which generate "
                                 "falls back to) for the first decoder token.")
            known["decoder_input_ids"] = torch.full((batch, 1), int(start), dtype=torch.long)
        outputs = runners["prefill"](_feed("prefill", io["prefill"], known, {}, encoder_outputs))
    else:
        outputs = _multimodal_prefill(runners, io, config, prompt)
    grows = token_input == "input_ids"
    # a prompt input the decode step also takes and no step changes (Qwen2-Audio's feature mask):
    # generate passes the prompt's kwargs on at every step
    constant = {name: prompt[name] for name in decode_inputs if name in prompt and name not in _PER_STEP}
    tokens = []
    for step in range(max_new_tokens):
        next_token = _logits(outputs)[:, -1].argmax(-1)
        tokens.append(next_token)
        if step == max_new_tokens - 1:
            break
        if grows and mask is not None:
            mask = torch.cat([mask, mask.new_ones(batch, 1)], dim=-1)
        known = {**constant, token_input: next_token[:, None]}
        if "token_type_ids" in prompt:
            # as generate extends them: the new token takes the last prompt token's type
            known["token_type_ids"] = prompt["token_type_ids"][:, -1:]
        if positions is not None:
            positions = torch.cat([positions, positions[..., -1:] + 1], dim=-1)
            known["position_ids"] = positions[..., -1:]
        if mask is not None:
            known["attention_mask"] = mask
        outputs = runners["decode"](_feed("decode", decode_inputs, known, outputs, encoder_outputs))
    return torch.stack(tokens, dim=1)


_NEUTRAL_PROCESSORS: dict[str, Any] = {
    "forced_bos_token_id": None, "forced_eos_token_id": None, "suppress_tokens": None, "begin_suppress_tokens": None,
    "bad_words_ids": None, "sequence_bias": None, "min_length": 0, "min_new_tokens": None, "repetition_penalty": 1.0,
    "encoder_repetition_penalty": 1.0, "no_repeat_ngram_size": 0, "encoder_no_repeat_ngram_size": 0, "num_beams": 1,
    "renormalize_logits": False, "remove_invalid_values": False, "exponential_decay_length_penalty": None,
}


def eager_generate(model: torch.nn.Module, prompt: Mapping[str, torch.Tensor], max_new_tokens: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``generate(do_sample=False)`` of exactly ``max_new_tokens`` (no end-of-sequence stop): the new
    token ids ``[batch, steps]`` and, per step and row, eager's top-2 logit gap ``[batch, steps]``."""
    generation_config = copy.deepcopy(model.generation_config)
    # a stop would end rows early and the loop never stops; None means "the model's default" to
    # generate (which then stops at it), an empty list means no end-of-sequence token at all
    generation_config.eos_token_id = []
    # greedy over the raw logits, as the exported graphs give them: logits processors a checkpoint's
    # generation config turns on (forced BOS/EOS, suppressed tokens, penalties) are not in the graphs
    generation_config.update(**_NEUTRAL_PROCESSORS)
    if generation_config.pad_token_id is None:
        generation_config.pad_token_id = 0
    generation_config.update(max_new_tokens=max_new_tokens, do_sample=False, return_dict_in_generate=True, output_logits=True)
    # generate refills every None field from model.generation_config, so that is swapped for the run
    original, model.generation_config = model.generation_config, generation_config
    try:
        with torch.no_grad():
            result = model.generate(**copy.deepcopy(dict(prompt)), generation_config=generation_config)
    finally:
        model.generation_config = original
    if len(result.logits) != max_new_tokens:
        raise RuntimeError(f"generate made {len(result.logits)} tokens, not the {max_new_tokens} asked for; the comparison needs every step")
    tokens = result.sequences[:, -max_new_tokens:]
    top2 = torch.stack(list(result.logits), dim=1).float().topk(2, dim=-1).values
    return tokens, top2[..., 0] - top2[..., 1]
