import importlib.metadata
import logging

import pytest
import torch
from torch.export import Dim

from hf_exporters import DynamoConfig, DynamoExporter, base
from hf_exporters.utils import get_leaf_tensors

from .tiny_models import build_tiny, text_inputs


def assert_matches_eager(program, model, inputs) -> None:
    with torch.no_grad():
        expected = get_leaf_tensors(model(**inputs))
        actual = get_leaf_tensors(program.module()(**inputs))
    assert list(actual) == list(expected)
    for name, tensor in expected.items():
        assert actual[name].shape == tensor.shape, name
        torch.testing.assert_close(actual[name], tensor, atol=1e-4, rtol=1e-4, msg=name)


def test_dynamic_export_runs_at_other_batch_and_sequence_sizes(tiny_model_type: str) -> None:
    model = build_tiny(tiny_model_type)
    program = DynamoExporter().export(model, text_inputs(model, 2, 7), DynamoConfig(dynamic=True))
    for batch, seq, seed in [(2, 7, 0), (3, 11, 1), (1, 4, 2)]:
        assert_matches_eager(program, model, text_inputs(model, batch, seq, seed))


def test_static_export_rejects_other_shapes() -> None:
    model = build_tiny("llama")
    program = DynamoExporter().export(model, text_inputs(model, 2, 7), DynamoConfig())
    assert_matches_eager(program, model, text_inputs(model, 2, 7))
    with pytest.raises(Exception, match="shape|size|Expected"):
        program.module()(**text_inputs(model, 3, 5))


def test_explicit_dynamic_shapes_with_deferred_runtime_asserts(tiny_model_type: str) -> None:
    model = build_tiny(tiny_model_type)
    batch, seq = Dim("batch", min=1, max=8), Dim("seq", min=2, max=64)
    inputs = text_inputs(model, 2, 8)
    shapes = {name: {0: batch, 1: seq} for name in inputs if name != "decoder_input_ids"}
    if "decoder_input_ids" in inputs:
        shapes["decoder_input_ids"] = {0: batch, 1: Dim("decoder_seq", min=2, max=32)}
    config = DynamoConfig(dynamic_shapes=shapes, prefer_deferred_runtime_asserts_over_guards=True)
    program = DynamoExporter().export(model, inputs, config)
    assert_matches_eager(program, model, text_inputs(model, 3, 12, seed=5))


def test_config_may_be_a_dict() -> None:
    model = build_tiny("gpt2")
    program = DynamoExporter().export(model, text_inputs(model, 2, 5), {"dynamic": True})
    assert_matches_eager(program, model, text_inputs(model, 4, 9, seed=3))


def test_wrong_config_type_names_the_expected_types() -> None:
    model = build_tiny("gpt2")
    with pytest.raises(TypeError, match="Expected config to be a DynamoConfig or dict, got list"):
        DynamoExporter().export(model, text_inputs(model, 2, 5), [])


def test_unknown_config_field_is_named() -> None:
    with pytest.raises(TypeError, match="no field.*'dynamc'"):
        DynamoConfig.from_dict({"dynamc": True})


def test_dynamic_shapes_key_that_is_not_an_input() -> None:
    model = build_tiny("gpt2")
    config = DynamoConfig(dynamic_shapes={"input_idz": {0: Dim.AUTO}})
    with pytest.raises(ValueError, match=r"dynamic_shapes names \['input_idz'\].*inputs are \['input_ids', 'attention_mask'\]"):
        DynamoExporter().export(model, text_inputs(model, 2, 5), config)


def test_sample_inputs_are_left_untouched() -> None:
    model = build_tiny("llama")
    inputs = {**text_inputs(model, 2, 5), "use_cache": True}
    before = {k: v.clone() if isinstance(v, torch.Tensor) else v for k, v in inputs.items()}
    DynamoExporter().export(model, inputs, DynamoConfig(dynamic=True))
    assert inputs.keys() == before.keys()
    assert all(torch.equal(inputs[k], v) if isinstance(v, torch.Tensor) else inputs[k] == v for k, v in before.items())
    assert "forward" not in model.__dict__  # the signature patch is gone


def test_drift_from_the_pin_set_is_logged_once(tmp_path, monkeypatch, caplog) -> None:
    pins = tmp_path / "pins.txt"
    pins.write_text("torch==0.0.1\ntransformers==0.0.2\n")
    monkeypatch.setenv("HF_EXPORTERS_PINS", str(pins))
    monkeypatch.setattr(base, "_WARNED_DRIFT", set())
    with caplog.at_level(logging.WARNING, logger="hf_exporters"):
        DynamoExporter()
        DynamoExporter()
    drift = [r.getMessage() for r in caplog.records if "Version drift" in r.getMessage()]
    assert len(drift) == 1
    assert f"torch: installed {importlib.metadata.version('torch')}, tested 0.0.1" in drift[0]
    assert "transformers: installed" in drift[0] and "tested 0.0.2" in drift[0]


def test_no_drift_warning_on_the_pinned_versions(monkeypatch, caplog) -> None:
    monkeypatch.setattr(base, "_WARNED_DRIFT", set())
    with caplog.at_level(logging.WARNING, logger="hf_exporters"):
        DynamoExporter()
    assert not [r for r in caplog.records if "Version drift" in r.getMessage()]
