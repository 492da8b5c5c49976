"""Other exporters of a backend ("implementations"), measured on the same jobs and runtimes as ours.

``ours`` is each backend's own ``export`` (``backends.py``). A peer is a Python file outside this
package that the harness names in ``HF_EXPORTERS_WORKER_PEERS`` (paths joined by ``os.pathsep``);
the worker imports each at start, and the file calls ``register_implementation`` once per backend it
covers. This package never imports a peer's exporters: a peer is loaded only when the harness asks.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .backends import get_backend
from .protocol import InputError

OURS = "ours"
PEERS_ENV = "HF_EXPORTERS_WORKER_PEERS"

ExportFn = Callable[..., tuple[Path, dict[str, Any]]]

# backend -> implementation name -> export, with the Backend.export signature and contract: the same
# files in out_dir and the same facts, so the backend's run and the harness's runtimes take them as is.
_IMPLEMENTATIONS: dict[str, dict[str, ExportFn]] = {}
# peer file -> why it did not load, so an export asking for its implementation can say so
_PEER_FAILURES: dict[str, str] = {}


def register_implementation(name: str, backend: str) -> Callable[[ExportFn], ExportFn]:
    """Decorate ``export(model, inputs, config, out_dir) -> (artifact, facts)`` as ``name`` of ``backend``."""
    if name == OURS:
        raise ValueError(f"'{OURS}' is each backend's own export; register a peer under another name.")

    def decorator(export: ExportFn) -> ExportFn:
        _IMPLEMENTATIONS.setdefault(backend, {})[name] = export
        return export

    return decorator


def implementations(backend: str) -> list[str]:
    return [OURS, *sorted(_IMPLEMENTATIONS.get(backend, {}))]


def get_export(backend: str, implementation: str | None = None) -> ExportFn:
    spec = get_backend(backend)
    if implementation in (None, OURS):
        return spec.export
    found = _IMPLEMENTATIONS.get(backend, {}).get(implementation)
    if found is None:
        failures = "".join(f" Peer file '{path}' failed to load: {why}." for path, why in _PEER_FAILURES.items())
        raise InputError(
            f"unknown implementation '{implementation}' for backend '{backend}'; known: {', '.join(implementations(backend))}. "
            f"Peers are Python files named in {PEERS_ENV} when the worker starts "
            f"(export-sweep run --implementation upstream sets it).{failures}"
        )
    return found


def load_peers(paths: str | None = None) -> list[str]:
    """Import every peer file in ``paths`` (default: ``$HF_EXPORTERS_WORKER_PEERS``); returns those loaded.

    A file that fails to import is reported on stderr and remembered, not fatal: the worker keeps
    serving ours, and an export asking for the missing implementation names the failure."""
    paths = os.environ.get(PEERS_ENV, "") if paths is None else paths
    loaded = []
    for path in filter(None, paths.split(os.pathsep)):
        name = f"hf_exporters_peer_{Path(path).stem}"
        try:
            spec = importlib.util.spec_from_file_location(name, path)
            if spec is None or spec.loader is None:
                raise ImportError(f"not a Python file: '{path}'")
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            spec.loader.exec_module(module)
            loaded.append(path)
        except Exception as err:  # a broken peer must not take ours down with it
            sys.modules.pop(name, None)
            _PEER_FAILURES[path] = f"{type(err).__name__}: {str(err).strip().splitlines()[0] if str(err).strip() else ''}"
            print(f"hf_exporters.worker: peer '{path}' failed to load:\n{traceback.format_exc()}", file=sys.stderr)
    return loaded
