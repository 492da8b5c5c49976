"""Writing a small, seeded-random checkpoint folder from a config, as a hub would serve it."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch

from .model_folder import resolve_model_class
from .protocol import InputError, cause_chain
from .tiny_config import tiny_config_for_class


def _json_floats(model_type: str, config: dict[str, Any]) -> dict[str, Any]:
    """JSON writes 10.0 as 10, and config classes that validate their fields refuse an int where
    they declare a float; a whole number given for a field whose default is a float is that float."""
    from transformers import CONFIG_MAPPING

    try:
        defaults = CONFIG_MAPPING[model_type]()
    except Exception:  # noqa: BLE001 - no default instance to learn types from: leave the values as given
        return config
    return {key: float(value) if type(value) is int and isinstance(getattr(defaults, key, None), float) else value
            for key, value in config.items()}


@contextmanager
def _refusing_hub_downloads(model_class: str, model_type: str) -> Iterator[None]:
    """An offline refusal (the worker runs with HF_HUB_OFFLINE=1) as an InputError saying what to do."""
    try:
        yield
    except OSError as err:
        if not {"LocalEntryNotFoundError", "OfflineModeIsEnabled"} & {link["type"] for link in cause_chain(err)}:
            raise
        raise InputError(
            f"{model_class}: its '{model_type}' defaults fetch files from the Hugging Face Hub while building ({err.__class__.__name__}); "
            "the worker never downloads on its own (HF_HUB_OFFLINE=1, sweep_worker/__main__.py): give the class a tinyConfig "
            "in harness/architectures/architectures.json that needs no hub file, or install the package it falls back to"
        ) from err


def make_tiny_checkpoint(
    model_class: str, model_type: str, config: dict[str, Any], seed: int, out_dir: str, shrink: bool = False
) -> dict[str, Any]:
    from transformers import AutoConfig

    cls = resolve_model_class(model_class)
    with _refusing_hub_downloads(model_class, model_type):
        try:
            model_config = tiny_config_for_class(cls, model_type, config) if shrink else AutoConfig.for_model(model_type, **_json_floats(model_type, config))
        except (ValueError, TypeError) as err:
            raise InputError(f"cannot build a '{model_type}' config from {sorted(config)}: {err}") from err
        torch.manual_seed(seed)
        model = cls(model_config).eval()
    target = Path(out_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    # Written beside the target and renamed, so a crash never leaves a half checkpoint to be reused.
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        model.save_pretrained(staging, safe_serialization=True)
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return {
        "dir": str(target),
        "parameters": sum(p.numel() for p in model.parameters()),
        "files": sorted(p.name for p in target.iterdir()),
    }
