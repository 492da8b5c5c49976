"""hf_exporters: export any Hugging Face PreTrainedModel through one interface.

    exported = DynamoExporter().export(model, inputs, config=DynamoConfig(dynamic=True))
    outputs = exported.module()(**inputs)
"""

from .auto import (
    AUTO_EXPORT_CONFIG_MAPPING, AUTO_EXPORTER_MAPPING, AutoExportConfig, AutoHfExporter, get_hf_exporter, register_export_config,
    register_exporter,
)
from .base import HfExporter
from .decompose import decompose_for_generation, decompose_multimodal, decompose_prefill_decode, is_multimodal
from .configs import DynamoConfig, ExecutorchConfig, ExportConfigMixin, ExportFormat, OnnxConfig
from .exporter_dynamo import DynamoExporter
from .exporter_executorch import ExecutorchExporter
from .exporter_onnx import OnnxExporter
from .generation import GenerationExportError
from .serialization import load

__all__ = [
    "AUTO_EXPORTER_MAPPING", "AUTO_EXPORT_CONFIG_MAPPING", "AutoExportConfig", "AutoHfExporter", "get_hf_exporter", "register_export_config",
    "register_exporter",
    "DynamoConfig", "DynamoExporter", "ExecutorchConfig", "ExecutorchExporter", "ExportConfigMixin", "ExportFormat", "GenerationExportError", "HfExporter", "OnnxConfig", "OnnxExporter",
    "decompose_for_generation", "decompose_multimodal", "decompose_prefill_decode", "is_multimodal", "load",
]
