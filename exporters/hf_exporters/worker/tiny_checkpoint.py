"""Writing a small, seeded-random checkpoint folder from a config, as a hub would serve it."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

import torch

from .model_folder import resolve_model_class
from .protocol import InputError
from .tiny_config import tiny_config_for_class


def make_tiny_checkpoint(
    model_class: str, model_type: str, config: dict[str, Any], seed: int, out_dir: str, shrink: bool = False
) -> dict[str, Any]:
    from transformers import AutoConfig

    cls = resolve_model_class(model_class)
    try:
        model_config = tiny_config_for_class(cls, model_type, config) if shrink else AutoConfig.for_model(model_type, **config)
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
