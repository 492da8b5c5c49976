"""What the generation tests judge exported tokens by; test code, so it ships with no wheel."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from hf_exporters.generation import GenerationComponent


def compare_tokens(eager: torch.Tensor, exported: torch.Tensor, gaps: torch.Tensor, tie_threshold: float = 1e-4) -> dict[str, Any]:
    """Per row, steps until the first difference; a first difference where eager's top-2 gap is
    below ``tie_threshold`` is a tie (later steps follow another prefix and are not compared)."""
    rows = []
    for row in range(eager.shape[0]):
        differs = (eager[row] != exported[row]).nonzero()
        first = int(differs[0]) if len(differs) else None
        rows.append({
            "matched_steps": eager.shape[1] if first is None else first,
            "first_difference": first,
            "tie": first is not None and float(gaps[row, first]) < tie_threshold,
        })
    return {
        "steps": int(eager.shape[1]),
        "rows": rows,
        "ties": sum(row["tie"] for row in rows),
        "ok": all(row["first_difference"] is None or row["tie"] for row in rows),
    }


def component_io(components: Mapping[str, GenerationComponent]) -> dict[str, list[str]]:
    return {name: component.input_names for name, component in components.items()}
