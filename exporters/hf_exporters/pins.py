"""The versions the exporters are validated against, and the drift check against them.

The pin set is ``pins/baseline.txt`` of the repository this package sits in (or the file named by
``HF_EXPORTERS_PINS``); an installed copy without the repository falls back to each exporter's
``tested_versions``.
"""

from __future__ import annotations

import functools
import importlib.metadata
import logging
import os
import re
from pathlib import Path

logger = logging.getLogger("hf_exporters")

_DEFAULT_PINS = Path(__file__).resolve().parents[2] / "pins" / "baseline.txt"
_PIN_LINE = re.compile(r"^\s*([A-Za-z0-9_.\-]+)\s*==\s*([^\s;#]+)")


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@functools.lru_cache(maxsize=None)
def read_pin_file(path: str) -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in Path(path).read_text().splitlines():
        match = _PIN_LINE.match(line)
        if match:
            pins[_normalise(match.group(1))] = match.group(2)
    return pins


def pinned_versions() -> dict[str, str]:
    path = os.environ.get("HF_EXPORTERS_PINS") or os.environ.get("EXPORT_SWEEP_PINS") or str(_DEFAULT_PINS)
    return read_pin_file(path) if Path(path).is_file() else {}


def installed_version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def base_version(version: str) -> str:
    """``2.12.0+cu130`` -> ``2.12.0``: local build tags say how it was built, not which API it has."""
    return version.split("+", 1)[0]


def version_drift(packages: list[str], tested: dict[str, str]) -> dict[str, tuple[str, str]]:
    """``{package: (installed, expected)}`` for every installed package whose version differs."""
    expected = {**{_normalise(k): v for k, v in tested.items()}, **pinned_versions()}
    drift = {}
    for package in packages:
        want, have = expected.get(_normalise(package)), installed_version(package)
        if want and have and base_version(have) != base_version(want):
            drift[package] = (have, want)
    return drift
