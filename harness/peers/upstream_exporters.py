"""The peer we compare against: the pinned transformers' own exporters (``transformers.exporters``),
registered as implementation ``upstream`` of each worker backend.

The worker imports this file only when the harness names it in ``SWEEP_WORKER_PEERS``
(``export-sweep run --implementation upstream``); ``hf_exporters`` itself never imports it, nor
``transformers.exporters``. Upstream's exporters run as a user calls them, with their own configs
and their own documented way to save; what they cannot export is a result, not something to patch
here. The only code here is naming glue, so that each export leaves the same files and returns the
same facts as ours (``ours_exporters.py`` beside it) and the worker's ``run`` op,
onnxruntime-node and Python onnxruntime take upstream's artifacts exactly as they take ours:

- ONNX outputs are named by upstream's own leaf paths (``past_key_values.layers.0.keys``, an
  ``output.`` prefix where a name is also an input's); ours are named by eager's leaf paths.
- A ``.pte``'s ``forward`` takes and returns flat lists; the sidecar ``model.pte.json`` names them.

Both are resolved the same way: one eager forward on the sample inputs before the export, and each
output tensor matched by identity to the eager leaf path (``hf_exporters.utils.get_leaf_tensors``)
that the harness compares it with. That forward, a few ms on a tiny model, is counted in export_ms.
"""

from __future__ import annotations

import copy
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import torch
from torch.utils import _pytree as pytree

from hf_exporters.utils import get_leaf_tensors
from sweep_worker.artifact_files import save_pt2, save_pte
from sweep_worker.dynamic_shapes_json import export_config
from sweep_worker.implementations import register_implementation

IMPLEMENTATION = "upstream"


def _eager_outputs(model: torch.nn.Module, inputs: dict[str, Any]) -> Any:
    """One eager forward on a copy of the inputs (upstream's export may pop or cast them in place)."""
    with torch.no_grad():
        return model(**copy.deepcopy(dict(inputs)))


class _LeafNames:
    """Eager's leaf path of a tensor of one eager output, by identity; a tensor found under two paths
    gets them in order."""

    def __init__(self, outputs: Any) -> None:
        self._paths: dict[int, list[str]] = defaultdict(list)
        for path, tensor in get_leaf_tensors(outputs).items():
            self._paths[id(tensor)].append(path)

    def __call__(self, tensor: Any, fallback: str) -> str:
        paths = self._paths.get(id(tensor))
        return paths.pop(0) if paths else fallback


@register_implementation(IMPLEMENTATION, "dynamo")
def export_dynamo(model: torch.nn.Module, inputs: dict[str, torch.Tensor], config: dict[str, Any], out_dir: Path) -> tuple[Path, dict[str, Any]]:
    from transformers.exporters import DynamoExporter

    return save_pt2(DynamoExporter().export(model, dict(inputs), export_config(config)), out_dir), {}


@register_implementation(IMPLEMENTATION, "onnx")
def export_onnx(model: torch.nn.Module, inputs: dict[str, torch.Tensor], config: dict[str, Any], out_dir: Path) -> tuple[Path, dict[str, Any]]:
    import onnx
    from transformers.exporters import OnnxExporter
    from transformers.exporters.utils import get_leaf_tensors as upstream_leaf_tensors

    from hf_exporters.exporter_onnx import OUTPUT_LEAVES_KEY

    eager = _eager_outputs(model, inputs)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "model.onnx"
    # upstream's documented way to save: output_path in the config (torch.onnx.export writes the file)
    OnnxExporter().export(model, dict(inputs), {**export_config(config), "output_path": str(path)})

    # What was written is what a user of upstream gets; read the names from the file itself.
    saved = onnx.load(str(path), load_external_data=False)
    input_names = [value.name for value in saved.graph.input]
    output_names = [value.name for value in saved.graph.output]
    upstream_leaves = upstream_leaf_tensors(eager)  # the walk upstream names its outputs with
    eager_name = _LeafNames(eager)
    leaves = []
    for name in output_names:
        path_in_upstream = name.removeprefix("output.") if name not in upstream_leaves else name
        leaves.append(eager_name(upstream_leaves.get(path_in_upstream), name))
    # Python onnxruntime (the worker's run op) reads the same names from the file's metadata.
    entry = next((prop for prop in saved.metadata_props if prop.key == OUTPUT_LEAVES_KEY), None) or saved.metadata_props.add()
    entry.key, entry.value = OUTPUT_LEAVES_KEY, json.dumps(leaves)
    onnx.save(saved, str(path))
    return path, {"inputs": input_names, "outputs": output_names, "leaves": leaves}


def _input_order(program: Any) -> list[str]:
    """The names of the flat inputs a ``.pte``'s forward takes, from the program's input spec."""
    spec = program.call_spec.in_spec
    positions = pytree.tree_unflatten(list(range(spec.num_leaves)), spec)
    names = [""] * spec.num_leaves
    for key_path, position in pytree.tree_flatten_with_path(positions)[0]:
        # ((args...), {kwargs}): drop the args/kwargs level, keep the dotted path below it
        names[position] = ".".join(str(getattr(key, "key", getattr(key, "idx", key))) for key in key_path[1:])
    return names


@register_implementation(IMPLEMENTATION, "executorch")
def export_executorch(model: torch.nn.Module, inputs: dict[str, torch.Tensor], config: dict[str, Any], out_dir: Path) -> tuple[Path, dict[str, Any]]:
    from transformers.exporters import ExecutorchExporter

    eager = _eager_outputs(model, inputs)
    manager = ExecutorchExporter().export(model, dict(inputs), export_config(config))
    # The .pte returns the program's outputs flattened by pytree, the order tree_leaves gives eager's.
    eager_name = _LeafNames(eager)
    flat = pytree.tree_leaves(eager)
    outputs = [eager_name(leaf, f"output.{index}") for index, leaf in enumerate(flat)]
    io = {"inputs": _input_order(manager.exported_program()), "outputs": outputs, "leaves": outputs}
    return save_pte(manager, out_dir, io), io
