"""Where an export's time goes, by library stage, without touching the exporter under test.

The exporters call a few library entry points (torch.export, run_decompositions, torch.onnx.export,
ONNXProgram.optimize, ExecuTorch's lowering and to_executorch). For the length of one export op each
is wrapped by a timer that calls the real function; a stage's time excludes the stages it calls, so
the parts add up to the export's time with ``other`` (the exporter's own patches and fixes, saving).
A library missing under a pin set, or an entry point it renamed, is left out, never an error.
"""

from __future__ import annotations

import functools
import importlib
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

# (module, attribute path, stage): the attribute is looked up at call time by the exporters, so
# replacing it for the op's length is seen by them.
ENTRY_POINTS = (
    ("torch.export", "export", "trace"),
    ("torch.export.exported_program", "ExportedProgram.run_decompositions", "decompose"),
    ("torch.onnx", "export", "onnx_translate"),
    ("torch.onnx", "ONNXProgram.optimize", "onnx_optimize"),
    ("executorch.exir", "to_edge_transform_and_lower", "lower"),
    ("executorch.exir", "EdgeProgramManager.to_executorch", "to_executorch"),
)


_INHERITED = object()


def _owner(module: str, path: str) -> tuple[Any, str] | None:
    try:
        owner: Any = importlib.import_module(module)
    except ImportError:
        return None
    *parents, name = path.split(".")
    for part in parents:
        owner = getattr(owner, part, None)
    return (owner, name) if owner is not None and hasattr(owner, name) else None


@contextmanager
def stage_clock() -> Iterator[dict[str, float]]:
    """Yields a dict that fills with milliseconds per stage as the block runs."""
    spent: dict[str, float] = {}
    children: list[float] = []  # time spent in timed stages below the current one
    originals: list[tuple[Any, str, Any]] = []  # _INHERITED: the class had no own attribute to put back

    def timed(fn: Any, stage: str) -> Any:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            children.append(0.0)
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                elapsed = (time.perf_counter() - start) * 1000
                below = children.pop()
                spent[stage] = spent.get(stage, 0.0) + elapsed - below
                if children:
                    children[-1] += elapsed

        return wrapper

    for module, path, stage in ENTRY_POINTS:
        found = _owner(module, path)
        if found is None:
            continue
        owner, name = found
        own = owner.__dict__ if isinstance(owner, type) else vars(owner)
        originals.append((owner, name, own.get(name, _INHERITED)))
        setattr(owner, name, timed(getattr(owner, name), stage))
    try:
        yield spent
    finally:
        for owner, name, original in reversed(originals):
            if original is _INHERITED:
                delattr(owner, name)
            else:
                setattr(owner, name, original)
