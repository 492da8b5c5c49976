"""hf_exporters: export any Hugging Face PreTrainedModel through one interface.

    exported = DynamoExporter().export(model, inputs, config=DynamoConfig(dynamic=True))
    outputs = exported.module()(**inputs)
"""

from .base import HfExporter
from .configs import DynamoConfig, ExportConfigMixin, ExportFormat
from .exporter_dynamo import DynamoExporter
from .exporter_executorch import ExecutorchConfig, ExecutorchExporter
from .exporter_onnx import OnnxConfig, OnnxExporter

__all__ = [
    "DynamoConfig", "DynamoExporter", "ExecutorchConfig", "ExecutorchExporter", "ExportConfigMixin", "ExportFormat", "HfExporter", "OnnxConfig", "OnnxExporter",
]
