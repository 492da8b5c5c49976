"""OnnxExporter: PreTrainedModel -> ``torch.onnx.ONNXProgram`` (``.onnx`` on disk).

Extends DynamoExporter with five stages around ``torch.onnx.export``, numbered and named as in the
reference documentation. Inventory: ``grep -nE "^def (_patch_|_fix_|_aten_)" exporter_onnx.py``.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

import torch

from .configs import OnnxConfig, coerce_config
from .exporter_dynamo import DynamoExporter
from .output_names import patch_model_outputs
from .shared_fx_fixes import fix_contiguous_before_view
from .utils import apply_fx_node_fixes, get_leaf_tensors, register_fx_node_fix, register_patch
from .utils.registries import declare, is_active

aten = torch.ops.aten

# Where the exported outputs' leaf paths are kept in the model, so a consumer can map ONNX output
# names back to eager's flattening even where a name had to change.
OUTPUT_LEAVES_KEY = "hf_exporters.output_leaves"




# ── Stage 1: Torch patches ─────────────────────────────────────────────────────────────────────
# Torch ops torchlib cannot lower, swapped during the trace for export-safe equivalents.


def _cumulative_extreme(x: torch.Tensor, dim: int, largest: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """cummax/cummin as an O(N^2) masked reduction over a lower-triangular window."""
    moved = x.movedim(dim, -1)
    n = moved.shape[-1]
    positions = torch.arange(n, device=x.device)
    window = positions.unsqueeze(1) >= positions.unsqueeze(0)  # [i, j]: j <= i
    info = torch.finfo(x.dtype) if x.is_floating_point() else torch.iinfo(x.dtype)
    fill = info.min if largest else info.max
    candidates = torch.where(window, moved.unsqueeze(-2), torch.full((), fill, dtype=x.dtype, device=x.device))
    values = candidates.amax(-1) if largest else candidates.amin(-1)
    # torch returns the last position holding the running extreme
    hits = window & (moved.unsqueeze(-2) == values.unsqueeze(-1))
    indices = torch.where(hits, positions, torch.full((), -1, device=x.device, dtype=positions.dtype)).amax(-1)
    return values.movedim(-1, dim), indices.movedim(-1, dim)


def _cumulative_patch(largest: bool):
    def factory(original):
        def replacement(x, dim, *args, **kwargs):
            if args or kwargs or not isinstance(x, torch.Tensor):
                return original(x, dim, *args, **kwargs)
            values, indices = _cumulative_extreme(x, dim, largest)
            return torch.return_types.cummax((values, indices)) if largest else torch.return_types.cummin((values, indices))

        return replacement

    return factory


@register_patch("onnx", "torch.cummax", "torch.Tensor.cummax")
def _patch_cummax(original):
    """torchlib's ``aten_cummax`` raises NotImplementedError (onnxscript 0.7.0)."""
    return _cumulative_patch(largest=True)(original)


@register_patch("onnx", "torch.cummin", "torch.Tensor.cummin")
def _patch_cummin(original):
    """torchlib's ``aten_cummin`` raises NotImplementedError (onnxscript 0.7.0)."""
    return _cumulative_patch(largest=False)(original)


@register_patch("onnx", "torch.searchsorted")
def _patch_searchsorted(original):
    """torchlib has no ``aten::searchsorted`` lowering (onnxscript 0.7.0): count the sorted
    elements below each value (``<=`` for ``right=True``) with a broadcast compare and a sum."""

    def replacement(sorted_sequence, values, *, out_int32=False, right=False, side=None, sorter=None, out=None):
        if sorter is not None or out is not None or not isinstance(values, torch.Tensor):
            return original(sorted_sequence, values, out_int32=out_int32, right=right, side=side, sorter=sorter, out=out)
        right = right or side == "right"
        boundaries = sorted_sequence.unsqueeze(-2) if sorted_sequence.dim() > 1 else sorted_sequence
        below = boundaries <= values.unsqueeze(-1) if right else boundaries < values.unsqueeze(-1)
        return below.sum(-1, dtype=torch.int32 if out_int32 else torch.int64)

    return replacement


# ── Stage 2: ONNX patches ──────────────────────────────────────────────────────────────────────


@register_patch("onnx", "torch.onnx._internal.exporter._core._prepare_exported_program_for_export")
def _patch_prepare_for_export(original):
    """Re-run the FX node fixes (Stage 3) right after torch.onnx's ``run_decompositions``, so nodes
    the ONNX decomposition introduces get the same repairs before lowering. Private torch API: when
    a torch upgrade renames it, the patch is skipped at registration and the drift warning says why."""

    def replacement(exported_program, *args, **kwargs):
        exported_program = original(exported_program, *args, **kwargs)
        apply_fx_node_fixes("onnx", exported_program.graph_module)
        return exported_program

    return replacement


# ── Stage 3: FX node fixes ─────────────────────────────────────────────────────────────────────


@register_fx_node_fix("onnx")
def _fix_sort_stable(gm: torch.fx.GraphModule, node: torch.fx.Node) -> bool:
    """``aten.sort.stable`` has no torchlib lowering ("No ONNX function found"); ONNX TopK-based sort
    is the only one, so lower it as ``aten.sort.default`` (ties may order differently)."""
    if node.target is not aten.sort.stable:
        return False
    schema = dict(zip(("self", "stable", "dim", "descending"), node.args))
    schema.update(node.kwargs)
    node.target = aten.sort.default
    node.args = (schema["self"], schema.get("dim", -1), schema.get("descending", False))
    node.kwargs = {}
    return True


@register_fx_node_fix("onnx")
def _fix_fill_diagonal_inplace(gm: torch.fx.GraphModule, node: torch.fx.Node) -> bool:
    """In-place ``fill_diagonal_`` decomposes to ``prims.as_strided_scatter``, which torchlib cannot
    lower. For a matrix it is ``masked_fill`` where row == column (``wrap`` only matters for tall
    matrices, which then are left alone)."""
    if node.target is not aten.fill_diagonal_.default:
        return False
    target, value = node.args[0], node.args[1]
    wrap = node.args[2] if len(node.args) > 2 else node.kwargs.get("wrap", False)
    val = target.meta.get("val") if isinstance(target, torch.fx.Node) else None
    if val is None or val.dim() != 2 or (wrap and val.shape[0] > val.shape[1] + 1):
        return False
    graph = gm.graph
    with graph.inserting_before(node):
        sizes = [graph.call_function(aten.sym_size.int, (target, d)) for d in (0, 1)]
        rows = graph.call_function(aten.arange.default, (sizes[0],), {"device": val.device})
        cols = graph.call_function(aten.arange.default, (sizes[1],), {"device": val.device})
        diagonal = graph.call_function(
            aten.eq.Tensor, (graph.call_function(aten.unsqueeze.default, (rows, 1)), graph.call_function(aten.unsqueeze.default, (cols, 0)))
        )
        filled = graph.call_function(aten.masked_fill.Scalar, (target, diagonal, value))
    filled.meta.update(node.meta)
    # the in-place op's result and every later read of its input are the filled tensor now
    node.replace_all_uses_with(filled)
    order = {n: i for i, n in enumerate(graph.nodes)}
    for user in list(target.users):
        if user is not filled and order[user] > order[node]:
            user.replace_input_with(target, filled)
    graph.erase_node(node)
    return True


register_fx_node_fix("onnx")(fix_contiguous_before_view)


# ── Stage 4: ONNX translations ─────────────────────────────────────────────────────────────────


def _translation_table() -> dict[Any, Any]:
    """The lowerings installed onnxscript needs: each is declared with the onnxscript releases whose
    torchlib lowering it replaces, so one that torchlib has fixed is left to torchlib."""
    try:
        from . import onnx_translations as t
    except ImportError:  # onnxscript missing: OnnxExporter's environment check says so
        return {}
    entries = [
        # onnxscript 0.7.2's torchlib scatters one value per selected element (measured: plain export
        # is right under 0.7.2, wrong under 0.7.0; 0.7.1's source still lowers it as Where)
        (aten.index_put.default, t._aten_index_put, {"onnxscript": "<0.7.2"}),
        (aten.bincount.default, t._aten_bincount, None),
        # torchlib broadcasts a same-rank mask from 0.7.1 on (pytorch/pytorch#186146 in its source;
        # measured: right under 0.7.2, wrong under 0.7.0)
        (aten.masked_scatter.default, t._aten_masked_scatter, {"onnxscript": "<0.7.1"}),
        (aten._grouped_mm.default, t._aten_grouped_mm, None),
        (aten.sym_numel.default, t._aten_sym_numel, None),
    ]
    with contextlib.suppress(ImportError, AttributeError):
        import transformers.integrations.moe  # noqa: F401  (registers transformers::grouped_mm_fallback)

        entries.append((torch.ops.transformers.grouped_mm_fallback.default, t._aten_grouped_mm, None))
    table = {}
    for target, lowering, applies_to in entries:
        declare("onnx_translation", "onnx", lowering, applies_to)
        if is_active("onnx", lowering):
            table[target] = lowering
    return table


_ONNX_TRANSLATION_TABLE: dict[Any, Any] = _translation_table()


# ── Stage 5: ONNX IR fixes ─────────────────────────────────────────────────────────────────────


def _fix_ir_topk_sorted(graph_like: Any) -> None:
    """Force ``TopK(sorted=1)``: with ``sorted=0`` the order is unspecified and ORT's CUDA EP returns
    another order than CPU and eager, so outputs built from it differ between runtimes."""
    import onnx_ir as ir

    for node in ir.traversal.RecursiveGraphIterator(graph_like):
        if node.op_type == "TopK" and node.domain in ("", "ai.onnx"):
            node.attributes["sorted"] = ir.AttrInt64("sorted", 1)


_IR_FIXES = [_fix_ir_topk_sorted]


def apply_onnx_ir_fixes(onnx_program: Any) -> None:
    """Apply every IR fix to the top-level graph and to every function of the program's model."""
    for fix in _IR_FIXES:
        fix(onnx_program.model.graph)
        for function in onnx_program.model.functions.values():
            fix(function)


# ── Exporter ───────────────────────────────────────────────────────────────────────────────────


def disambiguate_io_names(
    inputs_names: list[str], outputs_names: list[str], *, upstream: bool = False
) -> tuple[list[str], list[str]]:
    """``(inputs_names, outputs_names)`` with no name on both sides (a cache going in and out).

    Ours keeps every input name and renames the colliding output: ``past_key_values.*`` ->
    ``present.*`` (the name ONNX runtimes' generation loops look for), anything else gets an
    ``output.`` prefix. ``upstream=True`` gives transformers.exporters' names instead: the input gets an
    ``input.`` prefix and the output an ``output.`` one. Neither list passed in is changed (upstream
    renames them in place).
    """
    taken = set(inputs_names) & set(outputs_names)
    if upstream:
        return ([f"input.{n}" if n in taken else n for n in inputs_names],
                [f"output.{n}" if n in taken else n for n in outputs_names])
    renamed = []
    for name in outputs_names:
        if name in taken:
            name = "present." + name.removeprefix("past_key_values.") if name.startswith("past_key_values.") else "output." + name
        renamed.append(name)
    return list(inputs_names), renamed


def _program_class() -> type:
    from torch.onnx import ONNXProgram

    class HfOnnxProgram(ONNXProgram):
        """An ``ONNXProgram`` whose keyword call matches inputs by name, never by position, so
        ``onnx_program(**inputs)`` cannot feed ``attention_mask`` where ``input_ids`` belongs."""

        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            if args or not kwargs:
                return super().__call__(*args, **kwargs)
            leaves = get_leaf_tensors(kwargs)
            # with upstream_io_names a cache input is named "input.<leaf>"; its leaf is still "<leaf>"
            names = [value.name for value in self.model.graph.inputs]
            leaf_names = [name if name in leaves else name.removeprefix("input.") for name in names]
            missing = [name for name, leaf in zip(names, leaf_names) if leaf not in leaves]
            unknown = [name for name in leaves if name not in leaf_names]
            if missing or unknown:
                raise ValueError(
                    f"ONNX program inputs are {names}; missing {missing}, unexpected {unknown}. Pass exactly those names."
                )
            return super().__call__(*[leaves[leaf] for leaf in leaf_names])

    return HfOnnxProgram


def save_onnx_program(program: Any, path: str | os.PathLike, config: OnnxConfig) -> Path:
    """Write ``program`` to ``path``; weights go to ``<name>.onnx_data`` beside it when
    ``external_data``, are left out when not ``export_params``, and also become inputs with
    ``keep_initializers_as_inputs``. The in-memory model is left as it was."""
    import onnx_ir as ir

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    graph = program.model.graph
    initializers, inputs = dict(graph.initializers), list(graph.inputs)
    if not config.export_params:
        graph.initializers.clear()
    if config.keep_initializers_as_inputs:
        graph.inputs.extend(initializers.values())
    try:
        ir.save(program.model, path, external_data=f"{path.name}_data" if config.external_data and config.export_params else None)
    finally:
        if not config.export_params:
            graph.initializers.update(initializers)
        if config.keep_initializers_as_inputs:
            graph.inputs.clear()
            graph.inputs.extend(inputs)
    return path


class OnnxExporter(DynamoExporter):
    """Exporter that converts a PreTrainedModel to an ONNX ``ONNXProgram``.

    Example:
        >>> onnx_program = OnnxExporter().export(model, inputs, config=OnnxConfig(dynamic=True))
        >>> outputs = onnx_program(**inputs)  # run in memory (onnxruntime)
        >>> OnnxExporter().export(model, inputs, config=OnnxConfig(output_path="model.onnx"))
    """

    required_packages = ["torch", "transformers", "onnx", "onnxscript", "onnxruntime"]
    tested_versions = {"torch": "2.12.0", "onnx": "1.21.0", "onnxscript": "0.7.0"}
    config_class = OnnxConfig
    patch_backends = ("dynamo", "onnx")

    def export(self, model: torch.nn.Module, sample_inputs: MutableMapping[str, Any], config: OnnxConfig | dict[str, Any]) -> Any:
        config = coerce_config(config, OnnxConfig)
        with patch_model_outputs(model) as record, self.backend_patches():
            exported, inputs = self._trace(model, sample_inputs, config)
            apply_fx_node_fixes("onnx", exported.graph_module)
            input_names, output_names = disambiguate_io_names(
                list(get_leaf_tensors(inputs)), record.names, upstream=config.upstream_io_names
            )
            program = torch.onnx.export(
                exported,
                f=None,
                input_names=input_names,
                output_names=output_names,
                opset_version=config.opset_version,
                custom_translation_table=_ONNX_TRANSLATION_TABLE,
                optimize=config.optimize,
                external_data=config.external_data,
                verbose=False,
            )
        program = _program_class()(program.model, program.exported_program)
        apply_onnx_ir_fixes(program)
        program.model.metadata_props[OUTPUT_LEAVES_KEY] = json.dumps(record.names)
        if config.output_path is not None:
            save_onnx_program(program, config.output_path, config)
        if not config.export_params:
            program.model.graph.initializers.clear()
        return program
