"""Exporter regressions found on the sweep's own tiny configs and input recipes: the model and the
inputs come from the harness (the generic shrinker and recipe), the export from hf_exporters."""

from __future__ import annotations

import pytest
import torch
import transformers
from hf_exporters import OnnxConfig, OnnxExporter
from hf_exporters.utils import get_leaf_tensors

from sweep_worker.sample_inputs import build_recipe
from sweep_worker.tiny_config import tiny_config


# Mistral's sliding-window cache layers refer back to their cache; output naming once recursed forever
# on them (RecursionError). Gemma 3's sliding-window layer counts tokens in a plain attribute, a SymInt
# while tracing with dynamic shapes; output naming once copied it with its ShapeEnv and failed under
# torch 2.15 ("Mod takes exactly 2 arguments (0 given)").
@pytest.mark.parametrize(("model_type", "model_class"), [("mistral", "MistralForCausalLM"), ("gemma3_text", "Gemma3ForCausalLM")])
def test_sliding_window_cache_exports_with_dynamic_shapes(model_type: str, model_class: str) -> None:
    model = getattr(transformers, model_class)(tiny_config(model_type)).eval()
    inputs, _ = build_recipe(model)
    program = OnnxExporter().export(model, inputs, OnnxConfig(dynamic=True))
    with torch.no_grad():
        expected = get_leaf_tensors(model(**inputs))
    torch.testing.assert_close(dict(zip(expected, program(**inputs))), expected, atol=1e-4, rtol=1e-4)
