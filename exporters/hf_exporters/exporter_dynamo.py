"""DynamoExporter: PreTrainedModel -> torch.export ``ExportedProgram``.

The stages below carry the same numbers and names as the reference documentation, so the file you
read and the doc you read are the same map. ``DynamoExporter.export`` composes them; the ONNX and
ExecuTorch exporters build on ``_trace``.
"""

from __future__ import annotations

import contextlib
import copy
import enum
import inspect
import json
import logging
import sys
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from typing import Any

import torch
import torch.utils._pytree as pytree
from torch.export import Dim, ExportedProgram

from .base import HfExporter
from .configs import DynamoConfig, coerce_config
from .utils import apply_fx_program_fixes, apply_patches, patch_model_config, prepare_for_export, register_patch
from .utils.forward_swap import replace_forward

logger = logging.getLogger(__name__)


# ── Stage 1: Model signature patch ─────────────────────────────────────────────────────────────

@contextlib.contextmanager
def patch_forward_signature(model: torch.nn.Module, inputs: Mapping[str, Any]) -> Iterator[None]:
    """Give ``model.forward`` an explicit flat signature naming exactly the input keys.

    HF forwards end in ``**kwargs: Unpack[TransformersKwargs]``; torch.export bundles extra kwargs
    into that one parameter and then cannot match ``dynamic_shapes`` to them
    (https://github.com/pytorch/pytorch/issues/164313). An explicit signature avoids the bundle.
    """
    names = list(inputs)
    original = model.forward

    def forward(*args: Any, **kwargs: Any) -> Any:
        kwargs.update(zip(names, args))
        return original(**kwargs)

    forward.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None) for name in names]
    )
    with replace_forward(model, forward):
        yield


# ── Stage 2: Model patches ─────────────────────────────────────────────────────────────────────
# Reversible swaps of non-exportable model code, registered with @register_patch("dynamo", ...) in
# this section and installed by apply_patches("dynamo") for the trace (the ONNX and ExecuTorch
# exporters trace through it too). Each names the model-side bug it works around. A patch with
# enough code to be an idea of its own lives in its own module, imported here to register it.

from . import rwkv_scan  # noqa: E402,F401  (RWKV's WKV loop in closed form for a dynamic sequence)
from . import grad_mode_regions  # noqa: E402,F401  (a program fix: no-output grad-mode blocks, which a saved .pt2 cannot load)
from . import packed_vision_attention  # noqa: E402,F401  (Qwen2-VL-style packed attention as one block-masked attention)
from . import empty_weights  # noqa: E402,F401  (a program fix: zero-element weights a .pt2 could not save)
from . import ceil_sizes  # noqa: E402,F401  (a program fix: math.ceil of a size ratio, which a .pt2 could not save)


@register_patch("dynamo", "transformers.cache_utils.LinearAttentionLayer.update_conv_state")
def _conv_state_prefill_without_a_length_branch(original: Callable[..., torch.Tensor]) -> Callable[..., torch.Tensor]:
    # At prefill, transformers left-pads a prompt shorter than the conv kernel in a Python branch on
    # its length. torch.export keeps the branch of the traced sample (length >= kernel) and guards
    # on it, so a dynamic export of every Mamba2-style mixer (Bamba, NemotronH, Qwen3.5, FalconH1,
    # LFM2, ...) fails below the kernel size (dynamo: "Guard failed: input_ids.size()[1] >= 4") or,
    # where the guard is dropped (ONNX), returns conv states of the prompt's length instead of the
    # kernel's. Padding by the whole kernel at every length stores the same state without a branch;
    # the returned states are longer by zeros on the left, which every caller's causal conv ignores
    # (each keeps the last seq_len outputs). Decode steps and record_past keep the original.
    def update_conv_state(self: Any, conv_states: torch.Tensor, state_idx: int = 0, conv_kernel_size: int | None = None, **kwargs: Any) -> torch.Tensor:
        if self.record_past or (self.is_conv_states_initialized[state_idx] and self.has_previous_state[state_idx]):
            return original(self, conv_states, state_idx, conv_kernel_size, **kwargs)
        if not self.is_conv_states_initialized[state_idx]:
            self.lazy_initialization(conv_states=conv_states, state_idx=state_idx, conv_kernel_size=conv_kernel_size)
        self.has_previous_state[state_idx] = True
        kernel = self.conv_kernel_size[state_idx]
        padded = torch.nn.functional.pad(conv_states, (kernel, 0))
        self.conv_states[state_idx].copy_(padded[..., -kernel:])
        return padded

    return update_conv_state


@register_patch(
    "dynamo",
    "transformers.models.internvl.modeling_internvl.InternVLModel.pixel_shuffle",
    "transformers.models.qianfan_ocr.modeling_qianfan_ocr.QianfanOCRModel.pixel_shuffle",
)
def _pixel_shuffle_in_whole_numbers(original: Callable[..., torch.Tensor]) -> Callable[..., torch.Tensor]:
    # InternVL's pixel shuffle checks ``height % scale_factor`` with the float 0.5. On a dynamic
    # image size torch's value-range analysis bounds a modulo by a float divisor as [0.5, -0.5]
    # (``ValueRanges.mod`` takes ``abs(divisor) - 1`` for the upper end) and the export fails with
    # "ValueRangeError: Invalid ranges [0.500000000000000:-0.500000000000000]". The same shuffle by the
    # whole factor 1 / scale_factor (2) has the same views and no float in any size.
    def pixel_shuffle(self: Any, vision_features: torch.Tensor, scale_factor: float = 0.5) -> torch.Tensor:
        factor = round(1 / scale_factor)
        if factor * scale_factor != 1:
            return original(self, vision_features, scale_factor)
        batch, width, height, channels = vision_features.size()
        torch._check(height % factor == 0, lambda: "Height must be divisible by 1 / scale_factor for proper downsampling.")
        torch._check(width % factor == 0, lambda: "Width must be divisible by 1 / scale_factor for proper downsampling.")
        shuffled = vision_features.view(batch, width, height // factor, channels * factor).permute(0, 2, 1, 3).contiguous()
        shuffled = shuffled.view(batch, height // factor, width // factor, channels * factor * factor)
        return shuffled.permute(0, 2, 1, 3).contiguous()

    return pixel_shuffle


@register_patch("dynamo", "transformers.models.llava.modeling_llava.LlavaModel.get_image_features")
def _image_features_without_a_list_over_the_batch(original: Callable[..., Any]) -> Callable[..., Any]:
    # LLaVA hands its forward the projected features as ``list(image_features)``, one tensor per
    # image, which the forward concatenates again. A Python list over a tensor's first dim needs its
    # length, so torch.export specialises the image batch to the traced one ("Guard failed:
    # pixel_values.size()[0] == 2"). With the projector's output folded into one row the list has
    # one element, and its concatenation is the same [images * tokens, dim] tensor.
    def get_image_features(self: Any, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("image_sizes") is not None:  # split per image size: not the list over the batch
            return original(self, *args, **kwargs)
        fold = self.multi_modal_projector.register_forward_hook(lambda _module, _inputs, out: out.reshape(1, -1, out.shape[-1]))
        try:
            return original(self, *args, **kwargs)
        finally:
            fold.remove()

    return get_image_features


# ── Stage 3: Pytree registration ───────────────────────────────────────────────────────────────
# torch.export flattens inputs and outputs as pytrees. transformers' Cache classes are plain Python
# objects, not registered nodes ("not a known type ... register a pytree",
# https://github.com/pytorch/pytorch/issues/136582), so every cache class gets one generic,
# reflection-driven flattener: tensors become leaves, everything else a JSON context.

_OPAQUE: list[Any] = []  # objects with no JSON form (configs, callables), referenced by index


def _opaque_ref(obj: Any) -> dict[str, Any]:
    for index, known in enumerate(_OPAQUE):
        if known is obj:
            return {"_t": "ref", "v": index}
    _OPAQUE.append(obj)
    return {"_t": "ref", "v": len(_OPAQUE) - 1}


def _qualified_name(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


def _class_from_name(name: str) -> type:
    module, _, qualname = name.partition(":")
    obj: Any = sys.modules[module]
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


def _flatten_to_context(obj: Any, leaves: list[Any]) -> Any:
    if isinstance(obj, (torch.Tensor, torch.SymInt, torch.SymFloat, torch.SymBool)):
        leaves.append(obj)
        return {"_t": "leaf"}
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, torch.dtype):
        return {"_t": "dtype", "v": str(obj).removeprefix("torch.")}
    if isinstance(obj, torch.device):
        return {"_t": "device", "v": str(obj)}
    if isinstance(obj, enum.Enum):
        return {"_t": "enum", "cls": _qualified_name(type(obj)), "v": obj.name}
    if isinstance(obj, (list, tuple)) and type(obj) in (list, tuple):
        return {"_t": type(obj).__name__, "v": [_flatten_to_context(item, leaves) for item in obj]}
    if type(obj) is dict and all(isinstance(key, (str, int)) for key in obj):
        return {"_t": "map", "v": [[key, _flatten_to_context(value, leaves)] for key, value in obj.items()]}
    if hasattr(obj, "__dict__") and not isinstance(obj, (type, torch.nn.Module)) and not callable(obj):
        attrs = {name: _flatten_to_context(value, leaves) for name, value in vars(obj).items()}
        return {"_t": "obj", "cls": _qualified_name(type(obj)), "v": attrs}
    return _opaque_ref(obj)


def _unflatten_from_context(context: Any, leaves: Iterator[Any]) -> Any:
    if not isinstance(context, dict):
        return context
    tag, value = context["_t"], context.get("v")
    if tag == "leaf":
        return next(leaves)
    if tag == "dtype":
        return getattr(torch, value)
    if tag == "device":
        return torch.device(value)
    if tag == "enum":
        return _class_from_name(context["cls"])[value]
    if tag in ("list", "tuple"):
        items = [_unflatten_from_context(item, leaves) for item in value]
        return items if tag == "list" else tuple(items)
    if tag == "map":
        return {key: _unflatten_from_context(item, leaves) for key, item in value}
    if tag == "obj":
        cls = _class_from_name(context["cls"])
        obj = cls.__new__(cls)
        obj.__dict__.update({name: _unflatten_from_context(item, leaves) for name, item in value.items()})
        return obj
    if tag == "ref":
        return _OPAQUE[value]
    raise ValueError(f"unknown pytree context tag {tag!r}")


def _flatten_object(obj: Any) -> tuple[list[Any], str]:
    leaves: list[Any] = []
    attrs = {name: _flatten_to_context(value, leaves) for name, value in vars(obj).items()}
    # A string context is hashable and compares by value, which treespec equality needs.
    return leaves, json.dumps(attrs, sort_keys=False)


def _flatten_object_with_keys(obj: Any) -> tuple[list[tuple[Any, Any]], str]:
    leaves, context = _flatten_object(obj)
    return [(pytree.SequenceKey(index), leaf) for index, leaf in enumerate(leaves)], context


def _unflatten_object(cls: type, leaves: Any, context: str) -> Any:
    obj = cls.__new__(cls)
    leaf_iter = iter(leaves)
    obj.__dict__.update({name: _unflatten_from_context(value, leaf_iter) for name, value in json.loads(context).items()})
    return obj


def _register_object_pytree(cls: type) -> None:
    if cls in pytree.SUPPORTED_NODES:
        return
    pytree.register_pytree_node(
        cls,
        _flatten_object,
        lambda leaves, context, cls=cls: _unflatten_object(cls, leaves, context),
        serialized_type_name=_qualified_name(cls),
        flatten_with_keys_fn=_flatten_object_with_keys,
    )


def _all_subclasses(cls: type) -> list[type]:
    found: list[type] = []
    for sub in cls.__subclasses__():
        found += [sub, *_all_subclasses(sub)]
    return found


def register_cache_pytrees() -> None:
    """Register every transformers ``Cache`` subclass as a pytree node (needed to trace, and to load
    a saved program whose signature holds a cache). Nested objects travel in the node's context."""
    from transformers.cache_utils import Cache

    for cls in dict.fromkeys([Cache, *_all_subclasses(Cache)]):
        _register_object_pytree(cls)


def register_cache_pytrees_for_model(model: torch.nn.Module) -> None:
    """``register_cache_pytrees`` plus every ``*Cache`` class defined beside the model that is not a
    ``Cache`` (legacy SSM caches). ``ModelOutput`` subclasses register themselves in transformers."""
    from transformers.cache_utils import Cache

    register_cache_pytrees()
    module = sys.modules.get(type(model).__module__)
    for name, value in vars(module).items() if module else []:
        if isinstance(value, type) and name.endswith("Cache") and not issubclass(value, Cache):
            _register_object_pytree(value)


# ── Stage 4: Dynamic shapes ────────────────────────────────────────────────────────────────────

def get_auto_dynamic_shapes(inputs: Any) -> Any:
    """``Dim.AUTO`` on every dimension of every tensor in ``inputs``, in the structure torch.export expects.

    Objects (caches, model outputs) are registered pytree nodes, whose spec is the list of their
    flattened leaves' specs.
    """
    if isinstance(inputs, torch.Tensor):
        return {dim: Dim.AUTO for dim in range(inputs.dim())}
    if type(inputs) is dict:
        return {key: get_auto_dynamic_shapes(value) for key, value in inputs.items()}
    if type(inputs) in (list, tuple):
        return type(inputs)(get_auto_dynamic_shapes(value) for value in inputs)
    if type(inputs) in pytree.SUPPORTED_NODES and not isinstance(inputs, (list, tuple, dict)):
        children, _ = pytree.SUPPORTED_NODES[type(inputs)].flatten_fn(inputs)
        return [get_auto_dynamic_shapes(child) for child in children]
    return None


def resolve_dynamic_shapes(inputs: Mapping[str, Any], config: DynamoConfig) -> dict[str, Any] | None:
    """The ``dynamic_shapes`` torch.export gets: the explicit ones (checked), auto ones, or none."""
    if config.dynamic_shapes is not None:
        unknown = [name for name in config.dynamic_shapes if name not in inputs]
        if unknown:
            raise ValueError(
                f"dynamic_shapes names {unknown}, which are not inputs of this export; the inputs are "
                f"{list(inputs)}. Rename or remove those keys."
            )
        # torch.export wants a spec for every input; inputs the user left out stay static
        return {name: config.dynamic_shapes.get(name) for name in inputs}
    if config.dynamic:
        return {name: get_auto_dynamic_shapes(value) for name, value in inputs.items()}
    return None


# ── Stage 5: Model state cleanup ───────────────────────────────────────────────────────────────

# Non-Cache tensors that some forwards stash on a module; after a trace they hold FakeTensors,
# which break the next eager forward.
_STATEFUL_CACHE_ATTRS = [
    "_cached_keys",  # glm_moe_dsa
    "_cached_decode_position_ids",  # glm_image
    "_prefill_len",  # glm_image
    "cached_rotary_positional_embedding",  # wav2vec2_bert
    "cached_sequence_length",  # seamless_m4t
]


@contextlib.contextmanager
def reset_model_state(model: torch.nn.Module) -> Iterator[None]:
    saved: list[tuple[torch.nn.Module, str, Any]] = []
    for module in model.modules():
        for attr in _STATEFUL_CACHE_ATTRS:
            if attr in module.__dict__:
                saved.append((module, attr, module.__dict__[attr]))
                setattr(module, attr, None)
    try:
        yield
    finally:
        for module, attr, value in saved:
            setattr(module, attr, value)


# ── Exporter ───────────────────────────────────────────────────────────────────────────────────

class DynamoExporter(HfExporter):
    """Exporter that converts a PreTrainedModel to an ``ExportedProgram``.

    Example:
        >>> exported = DynamoExporter().export(model, inputs, config=DynamoConfig(dynamic=True))
        >>> outputs = exported.module()(**inputs)
    """

    required_packages = ["torch", "transformers"]
    min_versions = {"torch": "2.11.0"}
    tested_versions = {"torch": "2.12.0"}
    config_class: type[DynamoConfig] = DynamoConfig
    patch_backends: tuple[str, ...] = ("dynamo",)

    def export(
        self, model: torch.nn.Module, sample_inputs: MutableMapping[str, Any], config: DynamoConfig | dict[str, Any]
    ) -> ExportedProgram:
        config = coerce_config(config, self.config_class)
        with self.backend_patches():
            program, _ = self._trace(model, sample_inputs, config)
        return program

    def backend_patches(self) -> contextlib.ExitStack:
        """Every patch registered for this exporter's backends, installed for the ``with`` block."""
        stack = contextlib.ExitStack()
        for backend in self.patch_backends:
            stack.enter_context(apply_patches(backend))
        return stack

    def _trace(
        self, model: torch.nn.Module, sample_inputs: Mapping[str, Any], config: DynamoConfig
    ) -> tuple[ExportedProgram, dict[str, Any]]:
        """torch.export the model (stages 1, 3, 4, 5; the caller installs the stage-2 patches).
        Returns the program and the inputs as traced (labels and output flags removed)."""
        if not isinstance(sample_inputs, Mapping):
            raise TypeError(
                f"sample_inputs must be a mapping of forward kwargs (e.g. a tokenizer's BatchEncoding), got "
                f"{type(sample_inputs).__name__}."
            )
        model, inputs, output_flags = prepare_for_export(model, dict(sample_inputs))
        register_cache_pytrees_for_model(model)
        dynamic_shapes = resolve_dynamic_shapes(inputs, config)
        with reset_model_state(model), patch_model_config(model, output_flags), patch_forward_signature(model, inputs):
            # The trace may update caches in place; the caller's inputs must come out untouched.
            program = torch.export.export(
                model,
                args=(),
                kwargs=copy.deepcopy(inputs),
                dynamic_shapes=dynamic_shapes,
                strict=config.strict,
                prefer_deferred_runtime_asserts_over_guards=config.prefer_deferred_runtime_asserts_over_guards,
            )
        apply_fx_program_fixes("dynamo", program)  # e.g. grad_mode_regions.py: what a saved .pt2 could not load
        return program, inputs
