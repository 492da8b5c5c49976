"""Version gates: which package releases a patch or fix applies to.

A gate maps package names to PEP 440 specifiers, ``{"onnxscript": "<0.7.2", "torch": ">=2.12"}``;
it is open when every named package's version satisfies its specifier. A package that is not
installed (or not in the versions given) closes the gate: a workaround for a package's bug has
nothing to work around without the package.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from ..pins import _normalise, base_version, installed_version

VersionGate = dict[str, SpecifierSet]


def check_gate(applies_to: Mapping[str, str], owner: str) -> VersionGate:
    """Parse ``applies_to`` once, at registration, so a typo fails on import and names the patch."""
    gate: VersionGate = {}
    for package, specifier in applies_to.items():
        try:
            gate[_normalise(package)] = SpecifierSet(specifier)
        except InvalidSpecifier as err:
            raise ValueError(
                f"{owner}: applies_to[{package!r}] = {specifier!r} is not a PEP 440 specifier; write e.g. '<2.14' or '>=0.7,<0.7.2'."
            ) from err
    return gate


def gate_is_open(gate: VersionGate, versions: Mapping[str, str]) -> bool:
    """Whether every package of ``gate`` has a version in ``versions`` that its specifier admits.

    Local build tags are dropped first (``2.15.0+cu132`` is ``2.15.0``), and pre-releases count as
    PEP 440 orders them: ``<2.14`` admits ``2.13.0rc1`` but not ``2.14.0.dev...`` (a nightly of the
    release that has the fix)."""
    known = {_normalise(name): version for name, version in versions.items()}
    for package, specifier in gate.items():
        version = known.get(package)
        if version is None:
            return False
        try:
            parsed = Version(base_version(version))
        except InvalidVersion:
            return False
        if not specifier.contains(parsed, prereleases=True):
            return False
    return True


@functools.lru_cache(maxsize=None)
def _installed(package: str) -> str | None:
    # importlib.metadata scans sys.path on every call; the installed set does not change in a process
    return installed_version(package)


def installed_versions(packages: Mapping[str, object] | list[str]) -> dict[str, str]:
    """``{package: installed version}`` for those of ``packages`` that are installed."""
    found = {package: _installed(package) for package in packages}
    return {package: version for package, version in found.items() if version is not None}
