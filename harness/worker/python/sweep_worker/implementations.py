"""Whose exporter makes an artifact ("implementations"): ours and each peer, measured on the same
jobs and runtimes.

Every implementation is an adapter file outside this package that registers one export per backend
with ``register_implementation``: ``harness/peers/ours_exporters.py`` (``hf_exporters``, always
loaded) and the peers the harness names in ``SWEEP_WORKER_PEERS`` (paths joined by
``os.pathsep``), such as ``harness/peers/upstream_exporters.py``. The worker imports no exporter
itself, so ours and upstream's reach it the same way, and runs every artifact with the same runners.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .protocol import InputError
from .runners import check_backend

OURS = "ours"
PEERS_ENV = "SWEEP_WORKER_PEERS"
# harness/worker/python/sweep_worker -> harness/peers
OURS_FILE = Path(__file__).resolve().parents[3] / "peers" / "ours_exporters.py"

ExportFn = Callable[..., tuple[Path, dict[str, Any]]]

# backend -> implementation name -> export(model, inputs, config, out_dir) -> (artifact, facts): the
# same files in out_dir and the same facts, so the runners and the harness's runtimes take them as is.
_IMPLEMENTATIONS: dict[str, dict[str, ExportFn]] = {}
# adapter file -> why it did not load, so an export asking for its implementation can say so
_FAILURES: dict[str, str] = {}


def register_implementation(name: str, backend: str) -> Callable[[ExportFn], ExportFn]:
    """Decorate ``export(model, inputs, config, out_dir) -> (artifact, facts)`` as ``name`` of ``backend``."""
    check_backend(backend)

    def decorator(export: ExportFn) -> ExportFn:
        _IMPLEMENTATIONS.setdefault(backend, {})[name] = export
        return export

    return decorator


def implementations(backend: str) -> list[str]:
    return sorted(_IMPLEMENTATIONS.get(backend, {}))


def get_export(backend: str, implementation: str | None = None) -> ExportFn:
    check_backend(backend)
    if not _IMPLEMENTATIONS:
        load_implementations()
    found = _IMPLEMENTATIONS.get(backend, {}).get(implementation or OURS)
    if found is None:
        failures = "".join(f" Adapter file '{path}' failed to load: {why}." for path, why in _FAILURES.items())
        raise InputError(
            f"unknown implementation '{implementation or OURS}' for backend '{backend}'; known: {', '.join(implementations(backend))}. "
            f"Peers are Python files named in {PEERS_ENV} when the worker starts "
            f"(export-sweep run --implementation upstream sets it).{failures}"
        )
    return found


def load_implementations(peers: str | None = None) -> list[str]:
    """Import ours and every peer file in ``peers`` (default: ``$SWEEP_WORKER_PEERS``); returns those loaded.

    A file that fails to import is reported on stderr and remembered, not fatal: the worker keeps
    serving the others, and an export asking for the missing implementation names the failure."""
    peers = os.environ.get(PEERS_ENV, "") if peers is None else peers
    loaded = []
    for path in [str(OURS_FILE), *filter(None, peers.split(os.pathsep))]:
        name = f"sweep_worker_adapter_{Path(path).stem}"
        if name in sys.modules:
            loaded.append(path)
            continue
        try:
            spec = importlib.util.spec_from_file_location(name, path)
            if spec is None or spec.loader is None:
                raise ImportError(f"not a Python file: '{path}'")
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            spec.loader.exec_module(module)
            loaded.append(path)
        except Exception as err:  # a broken adapter must not take the others down with it
            sys.modules.pop(name, None)
            _FAILURES[path] = f"{type(err).__name__}: {str(err).strip().splitlines()[0] if str(err).strip() else ''}"
            print(f"sweep_worker: adapter '{path}' failed to load:\n{traceback.format_exc()}", file=sys.stderr)
    return loaded
