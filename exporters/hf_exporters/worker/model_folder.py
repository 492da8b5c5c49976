"""Loading a model from a local checkpoint folder, safely.

Only ``config.json`` + ``*.safetensors`` are read. Custom code (``auto_map``) is refused unless the
caller passes ``trust_remote_code=True`` on the user's explicit request, and pickle checkpoints
(``*.bin``, ``*.pt``) are never loaded: unpickling runs arbitrary code.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch

from .protocol import InputError, WorkerError

_PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl")


class LoadError(WorkerError):
    kind = "load"


def read_config(folder: Path) -> dict[str, Any]:
    config_path = folder / "config.json"
    if not folder.is_dir():
        raise InputError(f"model folder '{folder}' does not exist; pass a folder holding config.json and model.safetensors.")
    if not config_path.is_file():
        raise InputError(f"model folder '{folder}' has no config.json; pass a checkpoint folder (config.json + model.safetensors).")
    try:
        return json.loads(config_path.read_text())
    except json.JSONDecodeError as err:
        raise InputError(f"'{config_path}' is not valid JSON ({err.msg} at line {err.lineno}); fix or regenerate it.") from err


def check_folder(folder: Path, config: dict[str, Any], trust_remote_code: bool) -> None:
    if "auto_map" in config and not trust_remote_code:
        raise InputError(
            f"'{folder / 'config.json'}' declares auto_map (custom modelling code); export-sweep never runs "
            "remote code unless you pass --trust-remote-code."
        )
    if any(folder.glob("*.safetensors")):
        return
    pickles = sorted(p.name for p in folder.iterdir() if p.suffix in _PICKLE_SUFFIXES)
    if pickles:
        raise InputError(
            f"model folder '{folder}' holds only pickle weights ({', '.join(pickles)}); export-sweep loads "
            "safetensors only. Convert them with save_pretrained(..., safe_serialization=True) where you trust the file."
        )
    raise InputError(f"model folder '{folder}' has no *.safetensors weights; add model.safetensors next to config.json.")


def resolve_model_class(name: str) -> type:
    import transformers

    cls = getattr(transformers, name, None)
    if not (isinstance(cls, type) and issubclass(cls, torch.nn.Module)):
        raise InputError(f"model class '{name}' is not a transformers model class; use a name such as LlamaForCausalLM.")
    return cls


def load_model(folder_arg: str, model_class: str | None = None, trust_remote_code: bool = False) -> torch.nn.Module:
    folder = Path(folder_arg)
    config = read_config(folder)
    check_folder(folder, config, trust_remote_code)
    name = model_class or next(iter(config.get("architectures") or []), None)
    if not name:
        raise InputError(f"'{folder / 'config.json'}' names no architectures; pass the model class explicitly (e.g. BertModel).")
    cls = resolve_model_class(name)
    try:
        model = cls.from_pretrained(
            str(folder), local_files_only=True, use_safetensors=True, trust_remote_code=trust_remote_code
        )
    except Exception as err:
        raise LoadError(f"{name}.from_pretrained('{folder}') failed: {type(err).__name__}: {err}") from err
    return model.eval()
