"""Whether a model's eager outputs can tell a right export from a wrong one.

A tiny model whose activations collapse (MobileViTV2's and EfficientNet's tiny configs end in all-zero
logits) gives every export a max error of exactly 0, so its jobs would pass whatever the exporter did.
Such a job is the harness's problem, a tiny config to fix, never a verdict on the exporter.
"""

from __future__ import annotations

from typing import Any

import torch
from hf_exporters.utils import get_leaf_tensors


def constant_outputs(outputs: Any) -> str | None:
    """``None`` when some floating-point output varies; else what each holds (``logits: all 0``).
    Outputs of one element, and models with no floating-point output, are no evidence either way."""
    leaves = {name: leaf for name, leaf in get_leaf_tensors(outputs).items() if leaf.is_floating_point() and leaf.numel() > 1}
    if not leaves or any(bool(leaf.max() != leaf.min()) for leaf in leaves.values()):
        return None
    shown = [f"{name}: all {leaf.flatten()[0].item():g}" for name, leaf in list(leaves.items())[:3]]
    return ", ".join(shown) + (f" and {len(leaves) - 3} more" if len(leaves) > 3 else "")


def require_signal(outputs: Any) -> None:
    constant = constant_outputs(outputs)
    if constant is not None:
        raise ValueError(
            f"every floating-point output is constant ({constant}), so no export could be told from a wrong one; "
            "the tiny config collapses the activations: give the architecture a tinyConfig in "
            "harness/architectures/architectures.json"
        )
