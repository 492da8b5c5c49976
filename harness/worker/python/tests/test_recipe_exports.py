"""Exporter regressions found on the sweep's own tiny configs and input recipes: the model and the
inputs come from the harness (the generic shrinker and recipe), the export from hf_exporters."""

from __future__ import annotations

import torch
import transformers
from hf_exporters import OnnxConfig, OnnxExporter
from hf_exporters.utils import get_leaf_tensors

from sweep_worker.sample_inputs import build_recipe
from sweep_worker.tiny_config import tiny_config


def assert_close_to_eager(actual: dict[str, torch.Tensor], model, inputs) -> None:
    with torch.no_grad():
        expected = get_leaf_tensors(model(**inputs))
    assert list(actual) == list(expected)
    for name, tensor in expected.items():
        torch.testing.assert_close(actual[name], tensor, atol=1e-4, rtol=1e-4, msg=name)


def test_sliding_window_cache_outputs_export() -> None:
    """Mistral's sliding-window cache layers refer back to their cache; output naming once recursed
    forever on them (RecursionError)."""
    model = transformers.MistralForCausalLM(tiny_config("mistral")).eval()
    inputs, _ = build_recipe(model)
    program = OnnxExporter().export(model, inputs, OnnxConfig(dynamic=True))
    names = list(get_leaf_tensors(model(**inputs)))
    assert_close_to_eager(dict(zip(names, program(**inputs))), model, inputs)


def test_gemma3_sliding_window_cache_exports_with_dynamic_shapes() -> None:
    """Gemma 3's sliding-window layer counts tokens in a plain attribute, a SymInt while tracing with
    dynamic shapes; output naming once copied it with its ShapeEnv and failed under torch 2.15
    ("Mod takes exactly 2 arguments (0 given)")."""
    model = transformers.Gemma3ForCausalLM(tiny_config("gemma3_text")).eval()
    inputs, _ = build_recipe(model)
    program = OnnxExporter().export(model, inputs, OnnxConfig(dynamic=True))
    names = list(get_leaf_tensors(model(**inputs)))
    assert_close_to_eager(dict(zip(names, program(**inputs))), model, inputs)
