"""Code written against transformers.exporters runs on hf_exporters: the same public names take the
same parameters. The pinned transformers' own module is the reference (imported here only to
compare; hf_exporters never imports it). Deliberate differences are listed in docs/upstream-api.md
and checked here to behave as that table says."""

from __future__ import annotations

import importlib
import inspect

import pytest
import torch
import transformers

import hf_exporters
from hf_exporters import DynamoConfig, DynamoExporter, OnnxConfig, OnnxExporter, decompose_prefill_decode
from hf_exporters.exporter_onnx import disambiguate_io_names

from .tiny_models import build_tiny, text_inputs

# (our module, upstream module, public name)
SAME_SIGNATURE = [
    ("hf_exporters.utils", "transformers.exporters.utils", name)
    for name in ("patch_attribute", "patch_attributes", "apply_patches", "register_patch", "register_fx_node_fix",
                 "register_fx_program_fix", "apply_fx_node_fixes", "apply_fx_program_fixes", "get_leaf_tensors",
                 "cast_leaf_tensors", "prepare_for_export", "decompose_prefill_decode", "decompose_multimodal",
                 "decompose_for_generation", "is_multimodal", "register_export_input_preparer")
] + [
    ("hf_exporters.exporter_dynamo", "transformers.exporters.exporter_dynamo", "get_auto_dynamic_shapes"),
    ("hf_exporters.exporter_dynamo", "transformers.exporters.exporter_dynamo", "patch_model_config"),
    ("hf_exporters.exporter_onnx", "transformers.exporters.exporter_onnx", "disambiguate_io_names"),
    ("hf_exporters.exporter_executorch", "transformers.exporters.exporter_executorch", "prepare_for_xnnpack"),
    ("hf_exporters.exporter_executorch", "transformers.exporters.exporter_executorch", "prepare_for_cuda"),
    ("hf_exporters.auto", "transformers.exporters.auto", "register_exporter"),
    ("hf_exporters.auto", "transformers.exporters.auto", "register_export_config"),
    ("hf_exporters.auto", "transformers.exporters.auto", "get_hf_exporter"),
]
SAME_METHODS = [
    ("HfExporter", name) for name in ("validate_environment", "export", "export_for_generation")
] + [("DynamoExporter", "export"), ("OnnxExporter", "export"), ("ExecutorchExporter", "export"),
     ("AutoHfExporter", "from_config"), ("AutoHfExporter", "supports_export_format"), ("AutoExportConfig", "from_dict")]


def _parameters(fn) -> list[tuple[str, object]]:
    """Names and kinds, up to the keyword-only ones (ours may add keyword-only options)."""
    return [(p.name, p.kind) for p in inspect.signature(fn).parameters.values() if p.kind is not p.KEYWORD_ONLY]


@pytest.mark.parametrize(("ours", "theirs", "name"), SAME_SIGNATURE, ids=[f"{m}.{n}" for _, m, n in SAME_SIGNATURE])
def test_function_takes_upstreams_parameters(ours: str, theirs: str, name: str) -> None:
    mine, upstream = getattr(importlib.import_module(ours), name), getattr(importlib.import_module(theirs), name)
    assert _parameters(mine) == _parameters(upstream)


@pytest.mark.parametrize(("cls", "method"), SAME_METHODS, ids=[f"{c}.{m}" for c, m in SAME_METHODS])
def test_method_takes_upstreams_parameters(cls: str, method: str) -> None:
    upstream = importlib.import_module("transformers.exporters")
    assert _parameters(getattr(getattr(hf_exporters, cls), method)) == _parameters(getattr(getattr(upstream, cls), method))


@pytest.mark.parametrize("name", ["DynamoConfig", "OnnxConfig", "ExecutorchConfig", "ExportConfigMixin", "ExportFormat"])
def test_configs_module_exports_every_config_with_upstreams_fields(name: str) -> None:
    ours, upstream = importlib.import_module("hf_exporters.configs"), importlib.import_module("transformers.exporters.configs")
    mine, theirs = getattr(ours, name), getattr(upstream, name)
    assert getattr(hf_exporters, name) is mine
    if name == "ExportFormat":
        assert {f.value for f in theirs} <= {f.value for f in mine}
        return
    # every upstream field with its default; ours adds only documented options
    defaults = {k: v for k, v in vars(theirs()).items()} if name != "ExportConfigMixin" else {}
    for field, default in defaults.items():
        value = getattr(mine(), field)
        assert (value.value if hasattr(value, "value") else value) == (default.value if hasattr(default, "value") else default), field
    assert set(vars(mine()) if name != "ExportConfigMixin" else ()) - set(defaults) <= {"upstream_io_names"}


def test_exporter_modules_reexport_their_config() -> None:
    from hf_exporters import configs, exporter_executorch, exporter_onnx

    assert exporter_onnx.OnnxConfig is configs.OnnxConfig and exporter_executorch.ExecutorchConfig is configs.ExecutorchConfig


def test_disambiguate_io_names_ours_and_upstreams() -> None:
    inputs, outputs = ["input_ids", "past_key_values.0.key", "x"], ["logits", "past_key_values.0.key", "x"]
    upstream = importlib.import_module("transformers.exporters.exporter_onnx").disambiguate_io_names
    assert disambiguate_io_names(inputs, outputs) == (inputs, ["logits", "present.0.key", "output.x"])
    assert disambiguate_io_names(inputs, outputs, upstream=True) == upstream(list(inputs), list(outputs))
    assert inputs == ["input_ids", "past_key_values.0.key", "x"]  # neither call changed the caller's lists


def test_onnx_cache_names_upstream_style_still_run_by_keyword() -> None:
    """A decode step whose cache goes in and out: ours names the outputs present.N.*, upstream's
    prefixes both sides, and the program still takes its inputs by leaf name."""
    model = build_tiny("llama")
    prompt = text_inputs(model, 1, 5)
    _, decode = decompose_prefill_decode(model, prompt)["decode"]
    ours = OnnxExporter().export(model, decode, OnnxConfig())
    theirs = OnnxExporter().export(model, decode, OnnxConfig(upstream_io_names=True))
    our_inputs = [v.name for v in ours.model.graph.inputs]
    their_inputs = [v.name for v in theirs.model.graph.inputs]
    assert "past_key_values.0.key" in our_inputs and "present.0.key" in [v.name for v in ours.model.graph.outputs]
    assert "input.past_key_values.0.key" in their_inputs
    assert "output.past_key_values.0.key" in [v.name for v in theirs.model.graph.outputs]
    feeds = {name: value for name, value in hf_exporters.utils.get_leaf_tensors(decode).items()}
    for a, b in zip(ours(**feeds), theirs(**feeds)):
        torch.testing.assert_close(a, b)


def test_generation_config_is_what_generate_runs_with_and_is_not_changed() -> None:
    model = build_tiny("llama")
    prompt = text_inputs(model, 1, 5)
    config = transformers.GenerationConfig(cache_implementation="static", max_cache_len=16, pad_token_id=0)
    before = config.to_dict()
    components = hf_exporters.decompose_for_generation(model, prompt, generation_config=config)
    assert config.to_dict() == before
    decode_cache = components["decode"][1]["past_key_values"]
    assert type(decode_cache).__name__ == "StaticCache"
    artifacts = DynamoExporter().export_for_generation(model, prompt, DynamoConfig(), generation_config=config)
    assert list(artifacts) == ["prefill", "decode"]
    # the static cache is fixed at max_cache_len in the exported decode's inputs
    cache_inputs = [node.meta["val"].shape for node in artifacts["decode"].graph.nodes
                    if node.op == "placeholder" and "past_key_values" in node.name]
    assert cache_inputs and all(shape[2] == 16 for shape in cache_inputs)


def test_multi_token_decode_says_what_to_do() -> None:
    model = build_tiny("llama")
    with pytest.raises(NotImplementedError, match="multi_token_decode=False"):
        decompose_prefill_decode(model, text_inputs(model, 1, 5), multi_token_decode=True)
