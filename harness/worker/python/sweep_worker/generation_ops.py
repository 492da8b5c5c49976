"""Worker ops for generation: eager greedy tokens, export of a model's generation components, and a
greedy loop over the exported files (protocol: worker/protocol.py, harness/worker/protocol.ts).

``export_generation`` writes ``<out_dir>/generation.json``: per component its artifact and ordered
input and output names, plus the few config values the loop needs. ``generate_artifact`` reads only
that manifest and the artifacts, so a harness can drive the same files itself (ONNX in
onnxruntime-node) and compare.
"""

from __future__ import annotations

import json
import time
import types
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

from hf_exporters.generation import (
    GenerationExportError,
    decoder_start_token,
    eager_generate,
    generation_components,
    greedy_generate,
    nest_names,
    prefill_specialises_length,
)
from hf_exporters.image_features import find_feature_rule, modal_encoder, rule_key
from hf_exporters.utils import get_leaf_tensors

from .implementations import get_export
from .ops import ExportError, RunError, _model, _one_line, op
from .planted_bugs import planted
from .protocol import InputError
from .runners import artifact_runner
from .tensor_files import read_tensors

MANIFEST = "generation.json"
MANIFEST_VERSION = 1
# Config values the greedy loop reads (decoder start token, the image and audio tokens and LLaVA's feature selection).
_LOOP_CONFIG = ("model_type", "decoder_start_token_id", "image_token_id", "audio_token_id", "vision_feature_layer", "vision_feature_select_strategy")


def _loop_config(model: torch.nn.Module, components: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The config values the loop reads, and for a model with an image or audio encoder among
    ``components`` the ``image_feature_rule`` / ``audio_feature_rule`` that reproduces its captured
    projector input."""
    config = model.config
    values = {name: getattr(config, name) for name in _LOOP_CONFIG if getattr(config, name, None) is not None}
    if getattr(config, "is_encoder_decoder", False):
        # generate reads the generation config, which a checkpoint may set apart from config.json
        start = decoder_start_token(getattr(model, "generation_config", None) or config)
        if start is None:
            start = decoder_start_token(config)
        if start is not None:
            values["decoder_start_token_id"] = start
    encoder = modal_encoder(components or {})
    if encoder is not None:
        values[rule_key(encoder)] = find_feature_rule(config, components)
    return values


@op("generate_eager")
def generate_eager(model: str, inputs: str, max_new_tokens: int = 8) -> dict[str, Any]:
    """Greedy ``generate(do_sample=False)`` of exactly ``max_new_tokens`` on the prompt in ``inputs``:
    the new token ids ``[batch][step]`` and eager's top-2 logit gap ``[batch][step]``."""
    module, prompt = _model(model), read_tensors(inputs)
    start = time.perf_counter()
    try:
        tokens, gaps = eager_generate(module, prompt, max_new_tokens)
    except Exception as err:
        raise RunError(f"eager generate failed: {_one_line(err)}") from err
    return {"tokens": tokens.tolist(), "gaps": gaps.tolist(), "ms": (time.perf_counter() - start) * 1000}


def _eager_runner(component: torch.nn.Module) -> Any:
    def run(feeds: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        with torch.no_grad():
            return get_leaf_tensors(component(**nest_names(feeds)))

    return run


@op("generate_unexported")
def generate_unexported(model: str, inputs: str, max_new_tokens: int = 8) -> dict[str, Any]:
    """The greedy loop over the generation components before any export, on the prompt in ``inputs``:
    the new token ids ``[batch][step]``. Where they are not eager generate's, the loop's own glue (the
    multimodal merge, positions, masks) cannot drive this model, and no exported run of it can be
    judged; the caller reports that as the harness's, before exporting anything. ``tokens`` is None
    when ``decompose_for_generation`` itself fails: that is the exporters' failure, which
    ``export_generation`` then reports as one."""
    module, prompt = _model(model), read_tensors(inputs)
    start = time.perf_counter()
    try:
        components = generation_components(module, prompt)
    except Exception as err:  # noqa: BLE001 - decompose_for_generation is the exporters': export_generation reports it
        return {"tokens": None, "decompose_error": _one_line(err), "ms": (time.perf_counter() - start) * 1000}
    try:
        io = {name: component.input_names for name, component in components.items()}
        config = types.SimpleNamespace(**_loop_config(module, components))
        tokens = greedy_generate({name: _eager_runner(c) for name, c in components.items()}, io, prompt, max_new_tokens, config)
    except Exception as err:
        raise RunError(f"the greedy loop cannot drive the unexported components: {_one_line(err)}") from err
    return {"tokens": tokens.tolist(), "ms": (time.perf_counter() - start) * 1000}


def _export_component(export: Any, backend: str, name: str, component: torch.nn.Module, config: dict[str, Any], out_dir: Path) -> dict[str, Any]:
    start = time.perf_counter()
    try:
        with torch.no_grad():
            outputs = list(get_leaf_tensors(component(**component.sample_inputs)))
        artifact, facts = export(component, component.sample_inputs, dict(config), out_dir)
    except (InputError, TypeError, ValueError) as err:
        raise InputError(f"component '{name}': {_one_line(err)}") from err
    except Exception as err:
        cause = GenerationExportError(name, f"component '{name}' failed with {backend}: {_one_line(err)}")
        raise ExportError(cause.args[0]) from err
    return {
        "artifact": str(artifact),
        "inputs": facts.get("inputs", component.input_names),
        "outputs": facts.get("outputs", outputs),
        "export_ms": (time.perf_counter() - start) * 1000,
    }


def _prompt_length(prompt: dict[str, torch.Tensor]) -> int:
    return int(prompt["input_ids"].shape[1])


@op("export_generation")
def export_generation(model: str, backend: str, inputs: str, out_dir: str, config: dict[str, Any] | None = None,
                      more_inputs: list[str] | None = None) -> dict[str, Any]:
    """Decompose the loaded model on the generate inputs in ``inputs`` and export every component to
    ``<out_dir>/<component>/``; ``config`` is one backend config for all components. ``more_inputs``
    are the other prompts the components will run on: a model whose prefill only runs at its traced
    length (``prefill_specialises_length``) gets a prefill per length, ``prefill@<length>``, listed in
    the manifest's ``prefill_by_length``. A ``debug_plant`` in ``config`` (test workers only) is planted
    in decode alone, as a wrong decode is what a generation loop must catch."""
    export, module, prompt = get_export(backend), _model(model), read_tensors(inputs)
    config = dict(config or {})
    plant = config.pop("debug_plant", None)
    try:
        components = generation_components(module, prompt)
    except Exception as err:
        raise ExportError(f"decompose_for_generation failed: {_one_line(err)}") from err
    root = Path(out_dir)
    manifest: dict[str, Any] = {"version": MANIFEST_VERSION, "backend": backend, "model_class": type(module).__name__,
                                "config": _loop_config(module, components), "components": {}}
    for name, component in components.items():
        with planted(plant if name == "decode" else None, component):
            manifest["components"][name] = _export_component(export, backend, name, component, config, root / name)
    if more_inputs and "prefill" in components and prefill_specialises_length(components):
        by_length = {str(_prompt_length(prompt)): "prefill"}
        for path in more_inputs:
            other = read_tensors(path)
            length = str(_prompt_length(other))
            if length in by_length:
                continue
            prefill = generation_components(module, other)["prefill"]
            by_length[length] = f"prefill@{length}"
            manifest["components"][by_length[length]] = _export_component(
                export, backend, by_length[length], prefill, config, root / by_length[length])
        manifest["prefill_by_length"] = by_length
    root.mkdir(parents=True, exist_ok=True)
    (root / MANIFEST).write_text(json.dumps(manifest, indent=1))
    return {"manifest": str(root / MANIFEST), **manifest}


def prefill_for(manifest: dict[str, Any], prompt: dict[str, torch.Tensor]) -> dict[str, Any]:
    """The manifest's components for this prompt: with ``prefill_by_length``, the prefill traced at
    the prompt's length as ``prefill``, the other lengths' prefills left out."""
    by_length = manifest.get("prefill_by_length")
    components = {name: entry for name, entry in manifest["components"].items() if not name.startswith("prefill@")}
    if by_length:
        length = str(_prompt_length(prompt))
        if length not in by_length:
            raise InputError(f"this model's prefill runs only at the prompt lengths it was exported for ({', '.join(by_length)}), "
                             f"not {length}; pass the prompt to export_generation in more_inputs.")
        components["prefill"] = manifest["components"][by_length[length]]
    return components


@op("generate_artifact")
def generate_artifact(manifest: str, inputs: str, max_new_tokens: int = 8) -> dict[str, Any]:
    """Greedy generation over the components ``export_generation`` wrote (``manifest`` is its
    ``generation.json``): prefill on the prompt, then decode one token at a time carrying the cache
    tensors. ONNX runs in Python onnxruntime here. Returns the new token ids ``[batch][step]``."""
    path = Path(manifest)
    if not path.is_file():
        raise InputError(f"generation manifest '{manifest}' does not exist; run op 'export_generation' first.")
    spec = json.loads(path.read_text())
    if spec.get("version") != MANIFEST_VERSION:
        raise InputError(f"'{manifest}' is manifest version {spec.get('version')}, this worker reads {MANIFEST_VERSION}; export again.")
    prompt = read_tensors(inputs)
    start = time.perf_counter()
    try:
        chosen = prefill_for(spec, prompt)
        runners = {name: artifact_runner(spec["backend"], Path(entry["artifact"])) for name, entry in chosen.items()}
        io = {name: entry["inputs"] for name, entry in chosen.items()}
        tokens = greedy_generate(runners, io, prompt, max_new_tokens, types.SimpleNamespace(**spec["config"]))
    except InputError:
        raise
    except Exception as err:
        raise RunError(f"{spec['backend']} generation loop failed: {_one_line(err)}") from err
    return {"tokens": tokens.tolist(), "ms": (time.perf_counter() - start) * 1000}
