"""Loading a model from a local checkpoint folder, safely.

Only ``config.json`` + ``*.safetensors`` are read. Custom code (``auto_map``) is refused unless the
caller passes ``trust_remote_code=True`` on the user's explicit request, and pickle checkpoints
(``*.bin``, ``*.pt``) are never loaded: unpickling runs arbitrary code.

With trust, a folder whose ``auto_map`` names a model class is loaded through that auto class, so
the repo's own class runs; loading the stock class its ``architectures`` names instead would test
code the repo does not ship (a user found ``BertModel`` tested in place of the repo's subclass).
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
    # transformers stands a placeholder in for a class whose packages are missing; it is a class of
    # the catalog all the same, so say which package, not that the name is unknown
    needs = getattr(cls, "_backends", None)
    if needs and not (isinstance(cls, type) and issubclass(cls, torch.nn.Module)):
        raise ImportError(
            f"model class '{name}' needs {', '.join(needs)}, which this pin set does not install: add it to the "
            "pin set's .in file (pins/README.md) where a release fits the pinned torch, or give the class an expectation."
        )
    if not (isinstance(cls, type) and issubclass(cls, torch.nn.Module)):
        raise InputError(f"model class '{name}' is not a transformers model class; use a name such as LlamaForCausalLM.")
    return cls


def _stock_auto_classes(architecture: str) -> list[str]:
    """The auto classes whose own mapping holds ``architecture`` (``BertModel`` -> ``AutoModel``)."""
    import transformers

    found = []
    for name in dir(transformers):
        if not name.startswith("AutoModel"):
            continue
        mapping = getattr(getattr(transformers, name, None), "_model_mapping", None)
        names = getattr(mapping, "_model_mapping", {})  # model_type -> class name(s), read without importing them
        if any(architecture == n or (isinstance(n, (tuple, list)) and architecture in n) for n in names.values()):
            found.append(name)
    return found


def remote_auto_class(folder: Path, config: dict[str, Any], model_class: str | None) -> str:
    """The ``auto_map`` key to load the repo's own model class through.

    Picked, in order: the auto class the caller named; the entry whose class is ``architectures[0]``;
    the entry for the auto class that would load ``architectures[0]`` if it were stock (the task it
    maps to); the only model entry. Never an auto class ``auto_map`` lacks: transformers would fall
    back to the stock class there.
    """
    config_path = folder / "config.json"
    auto_map = config.get("auto_map")
    if not isinstance(auto_map, dict):
        raise InputError(f"'{config_path}': auto_map must be an object such as {{\"AutoModel\": \"modeling_x.MyModel\"}}; fix the config.")
    entries = {key: ref for key, ref in auto_map.items() if key.startswith("AutoModel")}
    if not entries:
        raise InputError(
            f"'{config_path}' has auto_map entries {sorted(auto_map)} but none for a model class (AutoModel...): there is no "
            "repo model code to test; remove auto_map to test the stock class its architectures name."
        )
    for key, ref in entries.items():
        if not isinstance(ref, str) or "--" in ref:
            # "other/repo--modeling.X" would import code from a repo that was never downloaded or reviewed
            raise InputError(
                f"'{config_path}': auto_map {key} is {ref!r}; export-sweep loads only code shipped in the repo itself "
                "(\"module.Class\"): copy that module into the repo."
            )
    if model_class:
        if model_class not in entries:
            raise InputError(f"'{config_path}': auto_map has no {model_class}; it has {sorted(entries)}: pass one of those.")
        return model_class
    architecture = next(iter(config.get("architectures") or []), None)
    named = [key for key, ref in entries.items() if ref.rsplit(".", 1)[-1] == architecture]
    stock = [key for key in _stock_auto_classes(architecture) if key in entries] if architecture else []
    chosen = named or stock or (list(entries) if len(entries) == 1 else [])
    if not chosen:
        raise InputError(
            f"'{config_path}': auto_map has model entries {sorted(entries)} and none fits architectures[0] "
            f"{architecture!r}; pass the auto class to load (model_class, e.g. {sorted(entries)[0]})."
        )
    return chosen[0]


def remote_code_info(model: torch.nn.Module, folder: Path) -> dict[str, Any] | None:
    """What ran when the class is the repo's own: its module (as the repo names the file), class and the
    repo's ``*.py`` files; None for a class of the installed transformers."""
    module = type(model).__module__
    if not module.startswith("transformers_modules."):  # where transformers imports repo code from
        return None
    files = sorted(str(p.relative_to(folder)) for p in folder.rglob("*.py"))
    from transformers import GenerationMixin

    generative = isinstance(model, GenerationMixin)  # remote classes are in no catalog, so ask the class
    return {"module": module.rsplit(".", 1)[-1], "class": type(model).__name__, "files": files, "generative": generative}


def _load_remote(folder: Path, config: dict[str, Any], model_class: str | None) -> torch.nn.Module:
    import transformers

    auto_name = remote_auto_class(folder, config, model_class)
    ref = config["auto_map"][auto_name]
    try:
        model = getattr(transformers, auto_name).from_pretrained(
            str(folder), local_files_only=True, use_safetensors=True, trust_remote_code=True
        )
    except Exception as err:
        raise LoadError(f"{auto_name}.from_pretrained('{folder}', trust_remote_code=True) for auto_map {ref} failed: {type(err).__name__}: {err}") from err
    if remote_code_info(model, folder) is None or type(model).__name__ != ref.rsplit(".", 1)[-1]:
        raise LoadError(
            f"'{folder}': auto_map {auto_name} names {ref}, but transformers loaded {type(model).__module__}.{type(model).__name__}; "
            "refusing to test a class the repo did not name. Check the auto_map entry and the module it points to."
        )
    return model.eval()


def load_model(folder_arg: str, model_class: str | None = None, trust_remote_code: bool = False) -> torch.nn.Module:
    folder = Path(folder_arg)
    config = read_config(folder)
    check_folder(folder, config, trust_remote_code)
    if trust_remote_code and "auto_map" in config:
        return _load_remote(folder, config, model_class)
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
