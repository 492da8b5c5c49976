import torch

from hf_exporters.utils import patch_model_config, prepare_for_export

from .tiny_models import build_tiny, text_inputs


def test_labels_are_stripped_and_output_flags_returned() -> None:
    model = build_tiny("llama")
    inputs = {**text_inputs(model, 2, 5), "labels": torch.zeros(2, 5, dtype=torch.long), "use_cache": False,
              "return_dict": True, "output_attentions": None}
    _, prepared, flags = prepare_for_export(model, inputs)
    assert "labels" not in prepared and "use_cache" not in prepared and "return_dict" not in prepared
    assert flags == {"use_cache": False, "return_dict": True, "output_attentions": None, "return_loss": False}
    assert prepared is inputs  # documented as in place


def test_inputs_are_cast_to_the_model_dtype() -> None:
    model = build_tiny("bert").to(torch.float64)
    inputs = {**text_inputs(model, 1, 4), "inputs_embeds": torch.ones(1, 4, 32)}
    _, prepared, _ = prepare_for_export(model, inputs)
    assert prepared["inputs_embeds"].dtype == torch.float64
    assert prepared["input_ids"].dtype == torch.long
    assert not model.training


def test_model_config_flags_are_patched_and_restored() -> None:
    model = build_tiny("llama")
    before = model.config.use_cache
    with patch_model_config(model, {"use_cache": not before}):
        assert model.config.use_cache is (not before)
    assert model.config.use_cache is before


def test_input_preparers_run_when_all_their_markers_are_inputs() -> None:
    """Upstream's dispatch: by the inputs present (non-None), not by a list of model types."""
    from hf_exporters.utils.prepare import _EXPORT_INPUT_PREPARERS, register_export_input_preparer

    seen = []

    @register_export_input_preparer("input_ids", "token_type_ids")
    def add_lengths(model, inputs):
        seen.append(sorted(inputs))
        inputs["lengths"] = inputs["input_ids"].ne(0).sum(-1)

    try:
        model = build_tiny("bert")
        inputs = text_inputs(model, 2, 5)
        prepare_for_export(model, {**inputs, "token_type_ids": None})  # a None marker is absent
        assert seen == []
        _, prepared, _ = prepare_for_export(model, {**inputs, "token_type_ids": torch.zeros(2, 5, dtype=torch.long)})
        assert len(seen) == 1 and torch.equal(prepared["lengths"], inputs["input_ids"].ne(0).sum(-1))
    finally:
        del _EXPORT_INPUT_PREPARERS[("input_ids", "token_type_ids")]
