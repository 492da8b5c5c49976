"""Auto classes: a backend chosen at runtime from a config or a dict, and a third-party backend
registered and picked the same way."""

import dataclasses
import logging

import pytest
import torch

from hf_exporters import (
    AUTO_EXPORT_CONFIG_MAPPING, AUTO_EXPORTER_MAPPING, AutoExportConfig, AutoHfExporter, DynamoConfig, DynamoExporter,
    ExecutorchConfig, ExecutorchExporter, ExportFormat, OnnxConfig, OnnxExporter, get_hf_exporter, register_export_config,
    register_exporter,
)

from .tiny_models import build_tiny, text_inputs


@pytest.mark.parametrize(("name", "config_class", "exporter_class"), [
    ("dynamo", DynamoConfig, DynamoExporter), ("onnx", OnnxConfig, OnnxExporter), ("executorch", ExecutorchConfig, ExecutorchExporter),
])
def test_from_dict_and_from_config_pick_the_backend(name, config_class, exporter_class) -> None:
    config = AutoExportConfig.from_dict({"export_format": name, "dynamic": True})
    assert type(config) is config_class and config.dynamic is True
    assert config.export_format is ExportFormat(name)
    assert type(AutoHfExporter.from_config(config)) is exporter_class
    assert type(AutoHfExporter.from_config(config.to_dict())) is exporter_class
    assert type(get_hf_exporter({"export_format": ExportFormat(name)})) is exporter_class


def test_auto_export_runs_and_matches_eager() -> None:
    model = build_tiny("llama")
    inputs = text_inputs(model, 2, 7)
    config = AutoExportConfig.from_dict({"export_format": "dynamo", "dynamic": True})
    program = AutoHfExporter.from_config(config).export(model, inputs, config=config)
    other = text_inputs(model, 3, 5, seed=1)
    with torch.no_grad():
        torch.testing.assert_close(program.module()(**other)["logits"], model(**other).logits, atol=1e-4, rtol=1e-4)


def test_unknown_format_names_the_known_ones() -> None:
    with pytest.raises(ValueError, match=r"Unknown exporter type, got 'tensorflow'.*\['dynamo', 'executorch', 'onnx'\]"):
        AutoExportConfig.from_dict({"export_format": "tensorflow"})
    with pytest.raises(ValueError, match="must contain key 'export_format'"):
        AutoExportConfig.from_dict({"dynamic": True})
    with pytest.raises(ValueError, match=r"Unsupported export config.*Registered exporters: \['dynamo', 'executorch', 'onnx'\]"):
        AutoHfExporter.from_config({"export_format": "tensorflow"})
    with pytest.raises(TypeError, match="DynamoConfig has no field"):
        AutoExportConfig.from_dict({"export_format": "dynamo", "dynamik": True})


def test_auto_classes_are_not_instantiated() -> None:
    with pytest.raises(OSError, match="from_config"):
        AutoHfExporter()
    with pytest.raises(OSError, match="from_dict"):
        AutoExportConfig()
    with pytest.raises(NotImplementedError, match="from_config"):
        AutoHfExporter.from_pretrained("org/model")


def test_a_third_party_backend_is_registered_and_picked(caplog) -> None:
    @register_export_config("traced-twice")
    @dataclasses.dataclass
    class TracedTwiceConfig(DynamoConfig):
        export_format: str = "traced-twice"
        repeats: int = 2

    @register_exporter("traced-twice")
    class TracedTwiceExporter(DynamoExporter):
        config_class = TracedTwiceConfig

        def export(self, model, sample_inputs, config):
            return [super(TracedTwiceExporter, self).export(model, sample_inputs, config) for _ in range(config.repeats)]

    try:
        config = AutoExportConfig.from_dict({"export_format": "traced-twice", "repeats": 3})
        assert type(config) is TracedTwiceConfig and config.to_dict()["export_format"] == "traced-twice"
        exporter = AutoHfExporter.from_config(config)
        assert type(exporter) is TracedTwiceExporter
        model = build_tiny("bert")
        programs = exporter.export(model, text_inputs(model, 2, 5), config)
        assert len(programs) == 3 and all(isinstance(p, torch.export.ExportedProgram) for p in programs)

        with caplog.at_level(logging.WARNING, logger="hf_exporters"):
            register_exporter("traced-twice")(DynamoExporter)
        assert "already registered and will be overwritten" in caplog.text
    finally:
        AUTO_EXPORTER_MAPPING.pop("traced-twice", None)
        AUTO_EXPORT_CONFIG_MAPPING.pop("traced-twice", None)


def test_half_registered_format_says_which_decorator_is_missing(caplog) -> None:
    @register_export_config("config-only")
    @dataclasses.dataclass
    class ConfigOnly(DynamoConfig):
        export_format: str = "config-only"

    try:
        with caplog.at_level(logging.WARNING, logger="hf_exporters"):
            assert AutoHfExporter.supports_export_format({"export_format": "config-only"}) is False
        assert "@register_exporter('config-only')" in caplog.text
    finally:
        AUTO_EXPORT_CONFIG_MAPPING.pop("config-only", None)


def test_registration_needs_the_right_base_class() -> None:
    with pytest.raises(TypeError, match="subclass of HfExporter"):
        register_exporter("bad")(dict)
    with pytest.raises(TypeError, match="subclass of ExportConfigMixin"):
        register_export_config("bad")(DynamoExporter)
