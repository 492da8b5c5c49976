"""Splitting a generative model into the forwards ``generate`` really runs, with their real kwargs.

Nothing here re-implements a generation loop: ``generate`` itself runs once and hooks record what each
forward received. That keeps every architecture (decoder-only, SSM, encoder-decoder, multimodal)
correct without per-model glue, and the captured kwargs are what the exported graphs are traced on.
"""

from __future__ import annotations

import contextlib
import copy
import inspect
from collections.abc import Iterator, Mapping
from typing import Any

import torch

Component = tuple[torch.nn.Module, dict[str, Any]]

# Projectors are found by name; new architectures should name theirs one of these rather than grow the list.
MULTIMODAL_PROJECTOR_NAMES = ("multi_modal_projector", "connector", "embed_vision", "embed_audio")
MULTIMODAL_HEAD_NAMES = ("lm_head",)
MODALITIES = ("image", "audio")


def _bound_kwargs(signature: inspect.Signature | None, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    """Positional arguments named by the forward's signature, ``**kwargs`` spread out, all deep-copied:
    generate mutates its cache in place between calls, so a reference would show the last state."""
    if signature is None:
        bound = dict(kwargs)
    else:
        arguments = signature.bind_partial(*args, **kwargs).arguments
        bound = {}
        for name, value in arguments.items():
            kind = signature.parameters[name].kind
            if kind is inspect.Parameter.VAR_KEYWORD:
                bound.update(value)
            elif kind is inspect.Parameter.VAR_POSITIONAL:
                if value:
                    raise ValueError(f"cannot name the extra positional arguments of a forward: {value!r}")
            else:
                bound[name] = value
    return copy.deepcopy({name: value for name, value in bound.items() if value is not None})


@contextlib.contextmanager
def capture_calls(module: torch.nn.Module) -> Iterator[list[dict[str, Any]]]:
    """Record the kwargs of every call of ``module`` (a forward pre-hook: the forward itself is untouched)."""
    calls: list[dict[str, Any]] = []
    try:
        signature = inspect.signature(module.forward)
    except (TypeError, ValueError):
        signature = None

    def hook(_module: torch.nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        calls.append(_bound_kwargs(signature, args, kwargs))

    handle = module.register_forward_pre_hook(hook, with_kwargs=True)
    try:
        yield calls
    finally:
        handle.remove()


def _is_encoder_decoder(model: torch.nn.Module) -> bool:
    return bool(getattr(getattr(model, "config", None), "is_encoder_decoder", False))


def _capture_config(model: torch.nn.Module, generation_config: Any, new_tokens: int) -> Any:
    """A copy of ``generation_config`` (default: the model's own) set to generate exactly
    ``new_tokens`` greedy tokens; the caller's object is never changed. Set on the config, since
    generate() deprecates passing a generation_config beside generation kwargs."""
    base = generation_config if generation_config is not None else getattr(model, "generation_config", None)
    if base is None:
        from transformers import GenerationConfig

        base = GenerationConfig()
    config = copy.deepcopy(base)
    config.max_new_tokens = config.min_new_tokens = new_tokens
    config.do_sample = False
    return config


def decompose_prefill_decode(
    model: torch.nn.Module, inputs: Mapping[str, Any], generation_config: Any = None, multi_token_decode: bool = False
) -> dict[str, Component]:
    """Run ``model.generate(**inputs)`` greedily for 2 tokens once and capture the prefill and decode
    forward kwargs. ``generation_config`` is what generate() runs with (default: the model's own), so
    e.g. ``cache_implementation="static"`` captures a fixed-size cache.

    Returns ``{"prefill": (model, prefill_kwargs), "decode": (model, decode_kwargs)}``. An
    encoder-decoder model generates 3 tokens and its decode is the second decode step (see below); an
    encoder-decoder model adds ``"encoder": (encoder, encoder_kwargs)``, the text encoder generate runs
    once before the first decoder step (its output is the prefill's and decode's ``encoder_outputs``).
    """
    if multi_token_decode:
        raise NotImplementedError(
            "decompose_prefill_decode(multi_token_decode=True) is transformers.exporters' merged two-step decode, "
            "which hf_exporters does not build: its decode takes one token per step. Export the prefill with "
            "DynamoConfig(dynamic=True) for a dynamic query length, or leave multi_token_decode=False."
        )
    encoder = model.get_encoder() if _is_encoder_decoder(model) and hasattr(model, "get_encoder") else None
    # An encoder-decoder's first decode step has a self-attention cache of length 1, which torch.export
    # specialises (0/1 specialisation) so the graph would take no other length: capture the next step.
    decode_call = 2 if encoder is not None else 1
    with contextlib.ExitStack() as stack, torch.no_grad():
        calls = stack.enter_context(capture_calls(model))
        encoder_calls = stack.enter_context(capture_calls(encoder)) if encoder is not None else []
        try:
            model.generate(
                **copy.deepcopy(dict(inputs)), generation_config=_capture_config(model, generation_config, decode_call + 1)
            )
        except Exception as err:
            raise RuntimeError(
                f"decompose_prefill_decode: {type(model).__name__}.generate(**inputs, max_new_tokens=2) failed "
                f"with inputs {sorted(inputs)}: {type(err).__name__}: {err}. Pass what model.generate() accepts."
            ) from err
    if len(calls) <= decode_call:
        raise RuntimeError(
            f"decompose_prefill_decode: generate called {type(model).__name__}.forward {len(calls)} time(s), expected "
            "a prefill and a decode call; was generation stopped early (stopping criteria, max_length)?"
        )
    components: dict[str, Component] = {}
    if encoder is not None and encoder_calls:
        components["encoder"] = (encoder, encoder_calls[0])
    components["prefill"] = (model, calls[0])
    components["decode"] = (model, calls[decode_call])
    return components


def _find_multimodal_submodules(model: torch.nn.Module) -> dict[str, torch.nn.Module]:
    """Encoders by ``get_encoder(modality=...)``, the language model by ``get_decoder()``, projectors and
    head by name; empty unless there is at least one modal encoder and a language model."""
    if not (hasattr(model, "get_encoder") and hasattr(model, "get_decoder")):
        return {}
    base = getattr(model, "base_model", model)
    # get_encoder / get_decoder return the model itself (or its base) when nothing matches
    not_found = {id(model), id(base)}
    found: dict[str, torch.nn.Module] = {}
    for modality in MODALITIES:
        try:
            encoder = model.get_encoder(modality=modality)
        except (TypeError, ValueError, AttributeError):  # models overriding get_encoder without modality
            encoder = None
        if isinstance(encoder, torch.nn.Module) and id(encoder) not in not_found:
            found[f"{modality}_encoder"] = encoder
    if not found:
        return {}
    decoder = model.get_decoder()
    if not isinstance(decoder, torch.nn.Module) or id(decoder) in not_found:
        return {}
    for root in (model, base):
        for name in MULTIMODAL_PROJECTOR_NAMES:
            if name not in found and isinstance(getattr(root, name, None), torch.nn.Module):
                found[name] = getattr(root, name)
    embeddings = model.get_input_embeddings() if hasattr(model, "get_input_embeddings") else None
    if isinstance(embeddings, torch.nn.Module):
        # the token embedding runs outside the language model (inputs_embeds), so it is its own component
        found["embed_tokens"] = embeddings
    found["language_model"] = decoder
    for root in (model, base):
        for name in MULTIMODAL_HEAD_NAMES:
            if name not in found and isinstance(getattr(root, name, None), torch.nn.Module):
                found[name] = getattr(root, name)
    return found


def is_multimodal(model: torch.nn.Module) -> bool:
    """True if the model has a modal (image/audio) encoder and a language model."""
    return bool(_find_multimodal_submodules(model))


def decompose_multimodal(model: torch.nn.Module, inputs: Mapping[str, Any]) -> dict[str, Component]:
    """Capture each multimodal submodule's forward kwargs during one ``model(**inputs)``.

    Returns ``{name: (module, kwargs)}`` for the submodules that ran: ``image_encoder`` /
    ``audio_encoder``, the projector under its attribute name, ``embed_tokens``, ``language_model``,
    ``lm_head``. The merge of encoder features into the token embeddings (``masked_scatter``) stays
    outside the graphs: the caller assembles ``inputs_embeds``.

    Raises:
        ValueError: the model has no modal encoder and language model to split.
    """
    submodules = _find_multimodal_submodules(model)
    if not submodules:
        raise ValueError(
            f"decompose_multimodal found no multimodal submodules on {type(model).__name__}: it needs an encoder "
            f"from get_encoder(modality=...) for one of {MODALITIES} and a language model from get_decoder(). "
            "Export it whole, or use decompose_prefill_decode."
        )
    with contextlib.ExitStack() as stack, torch.no_grad():
        calls = {name: stack.enter_context(capture_calls(module)) for name, module in submodules.items()}
        try:
            model(**copy.deepcopy(dict(inputs)))
        except Exception as err:
            raise RuntimeError(
                f"decompose_multimodal: {type(model).__name__} forward failed with inputs {sorted(inputs)}: "
                f"{type(err).__name__}: {err}"
            ) from err
    return {name: (module, calls[name][-1]) for name, module in submodules.items() if calls[name]}


def decompose_for_generation(
    model: torch.nn.Module, inputs: Mapping[str, Any], generation_config: Any = None, multi_token_decode: bool = False
) -> dict[str, Component]:
    """Decompose a generative model into independently exportable ``(module, forward_kwargs)`` pairs.

    Keys: ``prefill`` / ``decode`` (plus ``encoder`` for encoder-decoder models), or, when the model is
    multimodal, its parts (``image_encoder``, projector, ``embed_tokens``, ``language_model``,
    ``lm_head``) in place of ``prefill``, then ``decode``.
    """
    components = decompose_prefill_decode(model, inputs, generation_config, multi_token_decode)
    if not is_multimodal(model):
        return components
    _, prefill_kwargs = components.pop("prefill")
    decode = components.pop("decode")
    return {**components, **decompose_multimodal(model, prefill_kwargs), "decode": decode}
