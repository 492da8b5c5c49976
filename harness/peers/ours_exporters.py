"""Our exporters (``hf_exporters``), registered as implementation ``ours`` of each worker backend.

The worker loads this file as it loads every implementation's (``upstream_exporters.py`` beside it):
the harness reaches the system under test only through this adapter, and the artifact cache hashes
``hf_exporters`` with this file as ours, apart from the worker that drives them. Each export leaves
the artifact in ``out_dir`` and returns the facts the worker's runners and the harness's runtimes
read: for ONNX and ExecuTorch the ordered input and output names and each output's eager leaf path.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from hf_exporters import DynamoExporter, ExecutorchExporter, OnnxExporter
from hf_exporters.exporter_onnx import OUTPUT_LEAVES_KEY
from sweep_worker.artifact_files import save_pt2, save_pte
from sweep_worker.dynamic_shapes_json import export_config
from sweep_worker.implementations import register_implementation

IMPLEMENTATION = "ours"


@register_implementation(IMPLEMENTATION, "dynamo")
def export_dynamo(model: torch.nn.Module, inputs: dict[str, torch.Tensor], config: dict[str, Any], out_dir: Path) -> tuple[Path, dict[str, Any]]:
    return save_pt2(DynamoExporter().export(model, inputs, export_config(config)), out_dir), {}


@register_implementation(IMPLEMENTATION, "onnx")
def export_onnx(model: torch.nn.Module, inputs: dict[str, torch.Tensor], config: dict[str, Any], out_dir: Path) -> tuple[Path, dict[str, Any]]:
    path = out_dir / "model.onnx"
    program = OnnxExporter().export(model, inputs, {**export_config(config), "output_path": str(path)})
    graph = program.model.graph
    outputs = [value.name for value in graph.outputs]
    leaves = json.loads(program.model.metadata_props.get(OUTPUT_LEAVES_KEY, "null")) or outputs
    return path, {"inputs": [value.name for value in graph.inputs], "outputs": outputs, "leaves": leaves}


@register_implementation(IMPLEMENTATION, "executorch")
def export_executorch(model: torch.nn.Module, inputs: dict[str, torch.Tensor], config: dict[str, Any], out_dir: Path) -> tuple[Path, dict[str, Any]]:
    manager = ExecutorchExporter().export(model, inputs, export_config(config))
    # A .pte takes and returns flat tensor lists; the names travel beside it.
    io = {"inputs": manager.hf_input_names, "outputs": manager.hf_output_names, "leaves": manager.hf_output_names}
    return save_pte(manager, out_dir, {**io, "bounds": manager.hf_input_bounds}), io
