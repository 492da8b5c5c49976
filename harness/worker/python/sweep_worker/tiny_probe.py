"""Does a tiny config of a class instantiate and run one eager forward? The coverage measure."""

from __future__ import annotations

import time
from typing import Any

import torch

from .model_folder import resolve_model_class
from .output_signal import require_signal
from .sample_inputs import build_recipe
from .tiny_config import tiny_config_for_class


def probe_tiny(model_class: str, model_type: str, overrides: dict[str, Any] | None = None, seed: int = 0) -> dict[str, Any]:
    """``{ok, stage, error, parameters, ms}``; ``stage`` is where it failed: config, instantiate,
    inputs, forward or outputs (every floating-point output constant). Never raises for the model's
    own faults: a failure is a result here."""
    start = time.perf_counter()
    stage = "config"
    try:
        cls = resolve_model_class(model_class)
        config = tiny_config_for_class(cls, model_type, overrides)
        stage = "instantiate"
        torch.manual_seed(seed)
        model = cls(config).eval()
        stage = "inputs"
        inputs, _ = build_recipe(model)
        stage = "forward"
        with torch.no_grad():
            outputs = model(**inputs)
        stage = "outputs"  # a model whose outputs are all constant cannot tell a right export from a wrong one
        require_signal(outputs)
    except Exception as err:  # any failure of a third-party model is data for the coverage report
        first = (str(err).strip().splitlines() or [""])[0][:300]
        return {"ok": False, "stage": stage, "error": f"{type(err).__name__}: {first}", "ms": (time.perf_counter() - start) * 1000}
    return {
        "ok": True,
        "parameters": sum(p.numel() for p in model.parameters()),
        "ms": (time.perf_counter() - start) * 1000,
    }
