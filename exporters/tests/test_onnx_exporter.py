import json
import os

import onnx
import onnxruntime as ort
import pytest
import torch

from hf_exporters import OnnxConfig, OnnxExporter
from hf_exporters.exporter_onnx import OUTPUT_LEAVES_KEY, disambiguate_io_names
from hf_exporters.utils import get_leaf_tensors

from .tiny_models import build_tiny, text_inputs


def run_file(path, inputs: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    outputs = session.run(None, {name: tensor.numpy() for name, tensor in inputs.items()})
    return {meta.name: torch.from_numpy(value) for meta, value in zip(session.get_outputs(), outputs)}


def assert_close_to_eager(actual: dict[str, torch.Tensor], model, inputs) -> None:
    with torch.no_grad():
        expected = get_leaf_tensors(model(**inputs))
    assert list(actual) == list(expected)
    for name, tensor in expected.items():
        torch.testing.assert_close(actual[name], tensor, atol=1e-4, rtol=1e-4, msg=name)


def test_in_memory_program_is_named_like_eager_and_called_by_keyword(tiny_model_type: str) -> None:
    model = build_tiny(tiny_model_type)
    inputs = text_inputs(model, 2, 7)
    program = OnnxExporter().export(model, inputs, OnnxConfig(dynamic=True))
    assert [v.name for v in program.model.graph.inputs] == list(inputs)
    expected_names = list(get_leaf_tensors(model(**inputs)))
    assert [v.name for v in program.model.graph.outputs] == expected_names
    for batch, seq, seed in [(2, 7, 0), (1, 1, 1), (3, 12, 2)]:
        feeds = text_inputs(model, batch, seq, seed)
        reversed_feeds = dict(reversed(list(feeds.items())))  # keyword order must not matter
        assert_close_to_eager(dict(zip(expected_names, program(**reversed_feeds))), model, feeds)


def test_keyword_call_names_missing_and_unknown_inputs() -> None:
    model = build_tiny("gpt2")
    program = OnnxExporter().export(model, text_inputs(model, 2, 5), OnnxConfig())
    with pytest.raises(ValueError, match=r"missing \['attention_mask'\], unexpected \['attention_masks'\]"):
        program(input_ids=torch.zeros(2, 5, dtype=torch.long), attention_masks=torch.ones(2, 5, dtype=torch.long))


def test_file_on_disk_with_external_data(tmp_path) -> None:
    model = build_tiny("llama")
    path = tmp_path / "model.onnx"
    OnnxExporter().export(model, text_inputs(model, 2, 7), {"dynamic": True, "output_path": str(path)})
    assert sorted(os.listdir(tmp_path)) == ["model.onnx", "model.onnx_data"]
    proto = onnx.load(str(path), load_external_data=False)
    large = [init for init in proto.graph.initializer if len(init.raw_data) > 1024 or init.data_location == onnx.TensorProto.EXTERNAL]
    assert large and all(init.data_location == onnx.TensorProto.EXTERNAL for init in large)
    assert json.loads({p.key: p.value for p in proto.metadata_props}[OUTPUT_LEAVES_KEY])[0] == "logits"
    feeds = text_inputs(model, 3, 4, seed=9)
    assert_close_to_eager(run_file(path, feeds), model, feeds)


def test_external_data_false_embeds_the_weights(tmp_path) -> None:
    model = build_tiny("bert")
    path = tmp_path / "model.onnx"
    OnnxExporter().export(model, text_inputs(model, 2, 7), OnnxConfig(output_path=path, external_data=False))
    assert os.listdir(tmp_path) == ["model.onnx"]
    feeds = text_inputs(model, 2, 7)
    assert_close_to_eager(run_file(path, feeds), model, feeds)


def test_optimize_false_keeps_the_unoptimised_graph() -> None:
    model = build_tiny("llama")
    inputs = text_inputs(model, 2, 7)
    optimised = OnnxExporter().export(model, inputs, OnnxConfig(dynamic=True))
    raw = OnnxExporter().export(model, inputs, OnnxConfig(dynamic=True, optimize=False))
    assert len(list(raw.model.graph)) > len(list(optimised.model.graph))
    names = list(get_leaf_tensors(model(**inputs)))
    assert_close_to_eager(dict(zip(names, raw(**inputs))), model, inputs)


def test_export_params_false_writes_a_weight_free_graph(tmp_path) -> None:
    model = build_tiny("llama")
    path = tmp_path / "model.onnx"
    program = OnnxExporter().export(model, text_inputs(model, 2, 7), OnnxConfig(output_path=path, export_params=False))
    assert os.listdir(tmp_path) == ["model.onnx"]
    assert len(onnx.load(str(path)).graph.initializer) == 0
    assert len(program.model.graph.initializers) == 0
    embedded = tmp_path / "embedded" / "model.onnx"
    OnnxExporter().export(model, text_inputs(model, 2, 7), OnnxConfig(output_path=embedded, external_data=False))
    weight_bytes = sum(p.numel() * p.element_size() for p in model.parameters())
    assert embedded.stat().st_size - path.stat().st_size > 0.9 * weight_bytes


def test_keep_initializers_as_inputs_lists_weights_as_inputs(tmp_path) -> None:
    model = build_tiny("gpt2")
    path = tmp_path / "model.onnx"
    OnnxExporter().export(model, text_inputs(model, 2, 5), OnnxConfig(output_path=path, keep_initializers_as_inputs=True))
    graph = onnx.load(str(path)).graph
    input_names = {i.name for i in graph.input}
    assert {"input_ids", "attention_mask"} < input_names
    assert {init.name for init in graph.initializer} <= input_names and len(graph.initializer) > 0


def test_config_type_is_checked() -> None:
    model = build_tiny("gpt2")
    with pytest.raises(TypeError, match="Expected config to be a OnnxConfig or dict"):
        OnnxExporter().export(model, text_inputs(model, 2, 5), object())


def test_colliding_output_names_are_disambiguated() -> None:
    inputs, outputs = disambiguate_io_names(["input_ids", "past_key_values.0.key", "x"], ["logits", "past_key_values.0.key", "x"])
    assert inputs == ["input_ids", "past_key_values.0.key", "x"]
    assert outputs == ["logits", "present.0.key", "output.x"]
