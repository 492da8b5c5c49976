"""Getting a model and its sample inputs into the state torch.export expects."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator, MutableMapping
from typing import Any

import torch

from .leaves import cast_leaf_tensors

logger = logging.getLogger(__name__)

# Training-only inputs: export traces inference, and a loss branch would bake labels into the graph.
_LABEL_INPUTS = ("labels", "future_values")
# Flags that steer forward's Python control flow; traced as kwargs they would be baked in anyway, so
# they are popped and set on the config for the duration of the trace instead.
_OUTPUT_FLAGS = ("use_cache", "output_attentions", "output_hidden_states", "return_dict", "return_loss")

InputPreparer = Callable[[torch.nn.Module, MutableMapping[str, Any]], None]
_EXPORT_INPUT_PREPARERS: dict[tuple[str, ...], InputPreparer] = {}


def register_export_input_preparer(*markers: str) -> Callable[[InputPreparer], InputPreparer]:
    """Register ``preparer(model, inputs)`` that writes data-dependent kwargs (grid indices, M-RoPE
    position ids, ...) into ``inputs`` before export. It runs when every marker is an input with a
    non-``None`` value (``"grid_thw"``; ``("input_features", "feature_lens")`` to narrow a match), so
    no list of model types needs keeping, as in transformers.exporters.

    Such values come from Python loops over tensor contents that torch.export cannot trace; computing
    them eagerly and passing them in keeps the graph free of data-dependent control flow.
    """
    if not markers:
        raise ValueError("register_export_input_preparer needs at least one input name, e.g. 'grid_thw'.")

    def decorator(preparer: InputPreparer) -> InputPreparer:
        _EXPORT_INPUT_PREPARERS[tuple(markers)] = preparer
        return preparer

    return decorator


def module_dtype(model: torch.nn.Module) -> torch.dtype:
    for tensor in model.parameters():
        if tensor.is_floating_point():
            return tensor.dtype
    return torch.get_default_dtype()


def module_device(model: torch.nn.Module) -> torch.device:
    for tensor in model.parameters():
        return tensor.device
    return torch.device("cpu")


def prepare_for_export(
    model: torch.nn.Module, inputs: MutableMapping[str, Any]
) -> tuple[torch.nn.Module, MutableMapping[str, Any], dict[str, Any]]:
    """Configure ``model`` and ``inputs`` for export, in place.

    Returns ``(model, inputs, output_flags)``: label inputs are stripped, output flags popped into
    ``output_flags`` (apply them with ``patch_model_config`` during the trace), registered input
    preparers run, and floating inputs cast to the model's dtype and every input moved to its device.
    """
    for name in _LABEL_INPUTS:
        if inputs.pop(name, None) is not None:
            logger.info("dropped '%s' from the export inputs: export traces inference, not the loss", name)
    output_flags = {name: inputs.pop(name) for name in _OUTPUT_FLAGS if name in inputs}
    if output_flags.get("return_loss"):
        logger.info("return_loss=True ignored: the loss is not part of an exported graph")
    output_flags["return_loss"] = False
    for name in [key for key, value in inputs.items() if value is None]:
        del inputs[name]  # None kwargs are defaults already; as traced inputs they only add noise

    model.eval()
    # matched on the inputs as they arrived, so one preparer's additions never trigger another
    present = {name for name, value in inputs.items() if value is not None}
    for markers, preparer in list(_EXPORT_INPUT_PREPARERS.items()):
        if present.issuperset(markers):
            with torch.no_grad():
                preparer(model, inputs)
    dtype, device = module_dtype(model), module_device(model)
    for name, value in list(inputs.items()):
        inputs[name] = cast_leaf_tensors(value, dtype=dtype, device=device)
    return model, inputs, output_flags


def _configs_of(model: torch.nn.Module) -> list[Any]:
    configs: dict[int, Any] = {}
    for module in model.modules():
        config = getattr(module, "config", None)
        if config is not None and hasattr(config, "to_dict"):
            configs[id(config)] = config
    return list(configs.values())


@contextlib.contextmanager
def patch_model_config(model: torch.nn.Module, output_flags: dict[str, Any]) -> Iterator[None]:
    """Set the popped output flags on every (sub)config for the trace and restore them afterwards.

    ``use_mamba_kernels`` is forced off too: the fused kernels are CUDA extensions torch.export
    cannot trace, and every SSM model has a pure PyTorch path.
    """
    overrides = {**output_flags, "use_mamba_kernels": False}
    missing = object()
    saved: list[tuple[Any, str, Any]] = []
    try:
        for config in _configs_of(model):
            for name, value in overrides.items():
                if name == "use_mamba_kernels" and not hasattr(config, name):
                    continue
                saved.append((config, name, getattr(config, name, missing)))
                setattr(config, name, value)
        yield
    finally:
        for config, name, value in reversed(saved):
            if value is missing:
                with contextlib.suppress(AttributeError):
                    delattr(config, name)
            else:
                setattr(config, name, value)
