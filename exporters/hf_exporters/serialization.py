"""Loading a saved ``.pt2`` in any process.

``torch.export.save`` writes the program's input and output structure as pytree specs that name
their classes (``transformers.modeling_outputs.CausalLMOutputWithPast``, our
``transformers.cache_utils:DynamicCache``). ``torch.export.load`` can only rebuild a class that is
registered in the loading process, and transformers registers a ``ModelOutput`` only when its
module is imported (lazily), so a fresh process fails with "Deserializing ... in pytree is not
registered". ``load`` registers every class the file names before loading it.
"""

from __future__ import annotations

import importlib
import json
import os
import zipfile
from collections.abc import Iterator
from typing import Any

import torch
from torch.utils import _pytree as pytree

from .exporter_dynamo import _register_object_pytree, register_cache_pytrees


def _spec_types(spec: Any) -> Iterator[str]:
    if isinstance(spec, dict):
        if isinstance(spec.get("type"), str):
            yield spec["type"]
        for child in spec.get("children_spec") or []:
            yield from _spec_types(child)
    elif isinstance(spec, list):
        for item in spec:
            yield from _spec_types(item)


def spec_type_names(path: str | os.PathLike) -> set[str]:
    """The serialized class names in the input and output specs of every module call in ``path``."""
    names: set[str] = set()
    with zipfile.ZipFile(path) as archive:
        for member in archive.namelist():
            if "/models/" not in member or not member.endswith(".json"):
                continue
            program = json.loads(archive.read(member))
            for call in program.get("graph_module", {}).get("module_call_graph", []):
                signature = call.get("signature") or {}
                for key in ("in_spec", "out_spec"):
                    if signature.get(key):
                        names.update(_spec_types(json.loads(signature[key])))
    return names


def _import_longest_prefix(dotted: str) -> Any:
    parts = dotted.split(".")
    for end in range(len(parts) - 1, 0, -1):
        try:
            return importlib.import_module(".".join(parts[:end]))
        except ImportError:
            continue
    return None


def _register(name: str) -> None:
    if name in pytree.SERIALIZED_TYPE_TO_PYTHON_TYPE:
        return
    if ":" in name:  # ours: module:qualname (exporter_dynamo's generic object flattener)
        module_name, qualname = name.split(":", 1)
        owner: Any = importlib.import_module(module_name)
        for part in qualname.split("."):
            owner = getattr(owner, part)
        _register_object_pytree(owner)
    else:  # a ModelOutput: importing its module registers it (transformers does it per subclass)
        _import_longest_prefix(name)
    if name not in pytree.SERIALIZED_TYPE_TO_PYTHON_TYPE:
        raise NotImplementedError(
            f"the saved program's signature names {name!r}, which this process cannot rebuild; "
            "install the transformers version it was exported with (see the file's torch_version and your pins)."
        )


def load(path: str | os.PathLike, **kwargs: Any) -> torch.export.ExportedProgram:
    """``torch.export.load`` for a program exported by hf_exporters (or transformers), in a fresh
    process too: the output and cache classes its signature names are registered first."""
    register_cache_pytrees()
    for name in sorted(spec_type_names(path)):
        _register(name)
    return torch.export.load(path, **kwargs)
