"""The files an implementation's export leaves in its ``out_dir``, which the runners open: a .pt2, or a
.pte with ``model.pte.json`` beside it naming its flat inputs and outputs (and the planned ranges)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch


def save_pt2(program: torch.export.ExportedProgram, out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "model.pt2"
    torch.export.save(program, str(path))
    return path


def save_pte(manager: Any, out_dir: Path, io: dict[str, Any]) -> Path:
    """``manager``: an ExecuTorch program manager; ``io``: its ``inputs``, ``outputs`` and ``leaves``
    names, and optionally ``bounds`` (kept beside the .pte, out of the export's reply: a cache has
    hundreds of inputs)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "model.pte"
    with open(path, "wb") as file:
        manager.write_to_file(file)
    path.with_suffix(".pte.json").write_text(json.dumps(io))
    return path


def pte_io(path: Path) -> dict[str, Any]:
    """What ``save_pte`` wrote beside ``path``."""
    names_file = path.with_suffix(".pte.json")
    if not names_file.is_file():
        from .protocol import InputError

        raise InputError(f"'{names_file}' is missing; it names the inputs and outputs of '{path.name}'. Export again.")
    return json.loads(names_file.read_text())
