"""Shared machinery of the exporters: registries, leaf traversal, input preparation."""

from ..decompose import decompose_for_generation, decompose_multimodal, decompose_prefill_decode, is_multimodal
from .leaves import cast_leaf_tensors, duplicate_leaf_tensors, get_leaf_tensors, map_leaf_tensors
from .prepare import (
    module_device,
    module_dtype,
    patch_model_config,
    prepare_for_export,
    register_export_input_preparer,
)
from .registries import (
    _FX_NODE_FIXES,
    _FX_PROGRAM_FIXES,
    _PATCHES,
    Registration,
    active_patches,
    apply_fx_node_fixes,
    apply_fx_program_fixes,
    apply_patches,
    patch_attribute,
    patch_attributes,
    register_fx_node_fix,
    register_fx_program_fix,
    register_patch,
    registrations,
    unregister,
)

__all__ = [
    "_FX_NODE_FIXES", "_FX_PROGRAM_FIXES", "_PATCHES", "Registration", "active_patches",
    "apply_fx_node_fixes", "apply_fx_program_fixes", "apply_patches",
    "cast_leaf_tensors", "decompose_for_generation", "decompose_multimodal", "decompose_prefill_decode", "is_multimodal", "duplicate_leaf_tensors", "get_leaf_tensors", "map_leaf_tensors",
    "module_device", "module_dtype", "patch_attribute", "patch_attributes", "patch_model_config",
    "prepare_for_export", "register_export_input_preparer",
    "register_fx_node_fix", "register_fx_program_fix", "register_patch", "registrations", "unregister",
]
