"""Backend-keyed registries of reversible patches and in-place FX fixes.

Patches swap an attribute (a torch op, a backend internal, a model method) for the duration of an
export and always restore it, also when the export raises. Fixes repair a graph or program in place
and are never reverted. Adding either is "write a function and decorate it"; the pipelines only call
``apply_patches`` / ``apply_fx_node_fixes`` / ``apply_fx_program_fixes``.

Each may declare the versions it applies to, ``applies_to={"onnxscript": "<0.7.2"}`` (PEP 440
specifiers per package), as onnxscript's torchlib tests gate an xfail with ``enabled_if=...``: a
workaround for an upstream bug is then not applied where the installed release has the fix. The
gate is read against the installed versions each time the pipeline applies its registries.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import torch

from .version_gates import VersionGate, check_gate, gate_is_open, installed_versions

logger = logging.getLogger(__name__)

PatchFactory = Callable[[Any], Any]
NodeFix = Callable[[torch.fx.GraphModule, torch.fx.Node], bool]
ProgramFix = Callable[[Any], None]

_PATCHES: dict[str, list[tuple[Any, str, PatchFactory]]] = {}
_FX_NODE_FIXES: dict[str, list[NodeFix]] = {}
_FX_PROGRAM_FIXES: dict[str, list[ProgramFix]] = {}


@dataclasses.dataclass(frozen=True)
class Registration:
    """One registered patch, fix or translation: what ``active_patches`` lists."""

    kind: str  # "patch", "fx_node_fix", "fx_program_fix", "onnx_translation"
    backend: str
    function: Callable[..., Any]
    applies_to: VersionGate | None

    @property
    def name(self) -> str:
        return f"{self.backend}:{self.function.__name__}"


# Every registration in order, gated or not, also a patch whose targets this environment lacks:
# the listing per pin set must not depend on which packages the current environment has.
_REGISTRATIONS: list[Registration] = []
_GATES: dict[tuple[str, Callable[..., Any]], VersionGate] = {}

_MISSING = object()


def declare(kind: str, backend: str, function: Callable[..., Any], applies_to: Mapping[str, str] | None) -> None:
    """Record ``function`` (and its version gate, validated now) for ``active_patches`` and the pipelines."""
    gate = check_gate(applies_to, function.__name__) if applies_to else None
    if gate:
        _GATES[(backend, function)] = gate
    if not any(r.backend == backend and r.function is function for r in _REGISTRATIONS):
        _REGISTRATIONS.append(Registration(kind, backend, function, gate))


def is_active(backend: str, function: Callable[..., Any], versions: Mapping[str, str] | None = None) -> bool:
    """Whether ``function``'s gate under ``backend`` admits ``versions`` (default: the installed ones)."""
    gate = _GATES.get((backend, function))
    return gate is None or gate_is_open(gate, installed_versions(gate) if versions is None else versions)


def active_patches(versions: Mapping[str, str], backend: str | None = None) -> list[str]:
    """``backend:function`` of every patch, fix and translation that applies under ``versions``
    (``{package: version}``, e.g. a pin file's), in registration order."""
    return [r.name for r in _REGISTRATIONS
            if (backend is None or r.backend == backend) and (r.applies_to is None or gate_is_open(r.applies_to, versions))]


def registrations() -> list[Registration]:
    return list(_REGISTRATIONS)


def unregister(backend: str, function: Callable[..., Any] | None = None) -> None:
    """Remove ``function`` (or everything) registered under ``backend``: for tests that register their own."""
    def keep(fn: Callable[..., Any]) -> bool:
        return function is not None and fn is not function

    _REGISTRATIONS[:] = [r for r in _REGISTRATIONS if r.backend != backend or keep(r.function)]
    for key in [key for key in _GATES if key[0] == backend and not keep(key[1])]:
        del _GATES[key]
    if backend in _PATCHES:
        _PATCHES[backend] = [entry for entry in _PATCHES[backend] if keep(entry[2])]
    for registry in (_FX_NODE_FIXES, _FX_PROGRAM_FIXES):
        if backend in registry:
            registry[backend] = [fn for fn in registry[backend] if keep(fn)]


def _resolve_dotted_path(path: str) -> Any:
    """Import the longest importable module prefix of ``path`` and walk the rest as attributes."""
    parts = path.split(".")
    for split in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        for name in parts[split:]:
            obj = getattr(obj, name)
        return obj
    raise ImportError(f"cannot import any prefix of '{path}'")


def register_patch(
    backend: str, *paths: str, applies_to: Mapping[str, str] | None = None
) -> Callable[[PatchFactory], PatchFactory]:
    """Register ``factory(original) -> replacement`` for every dotted path in ``paths`` under ``backend``.

    Owners are resolved now, at decoration time. A path whose owner cannot be resolved (an optional
    backend not installed, a model class absent from this transformers) is skipped with a debug log,
    so one exporter module can name targets across versions. ``applies_to`` (``{"torch": "<2.14"}``)
    limits the patch to the versions that need it.
    """
    if not paths:
        raise ValueError(f"register_patch('{backend}') needs at least one dotted path such as 'torch.split'.")

    def decorator(factory: PatchFactory) -> PatchFactory:
        declare("patch", backend, factory, applies_to)
        for path in paths:
            owner_path, _, attr = path.rpartition(".")
            if not owner_path:
                raise ValueError(f"register_patch: '{path}' has no owner; write it as 'module.attribute'.")
            try:
                owner = _resolve_dotted_path(owner_path)
            except (ImportError, AttributeError) as err:
                logger.debug("patch target %s skipped: %s", path, err)
                continue
            _PATCHES.setdefault(backend, []).append((owner, attr, factory))
        return factory

    return decorator


@contextlib.contextmanager
def patch_attribute(obj: Any, attribute: str, factory: PatchFactory) -> Iterator[None]:
    """Set ``obj.<attribute> = factory(original)`` for the block; restore the original on exit."""
    # Look in __dict__ first so a class that inherits the attribute gets it removed, not shadowed, on exit.
    own = obj.__dict__.get(attribute, _MISSING) if hasattr(obj, "__dict__") else _MISSING
    original = getattr(obj, attribute)
    setattr(obj, attribute, factory(original))
    try:
        yield
    finally:
        if own is _MISSING and isinstance(obj, type):
            delattr(obj, attribute)
        else:
            setattr(obj, attribute, own if own is not _MISSING else original)


@contextlib.contextmanager
def patch_attributes(patches: Iterable[tuple[Any, str, PatchFactory]]) -> Iterator[None]:
    with contextlib.ExitStack() as stack:
        for obj, attribute, factory in patches:
            stack.enter_context(patch_attribute(obj, attribute, factory))
        yield


def apply_patches(backend: str) -> contextlib.AbstractContextManager[None]:
    """Context manager installing every patch registered for ``backend`` whose gate admits the installed versions."""
    return patch_attributes([entry for entry in _PATCHES.get(backend, []) if is_active(backend, entry[2])])


def register_fx_node_fix(backend: str, *, applies_to: Mapping[str, str] | None = None) -> Callable[[NodeFix], NodeFix]:
    """Register ``fix(gm, node) -> bool``; returning True consumes the node (later fixes skip it)."""

    def decorator(fix: NodeFix) -> NodeFix:
        declare("fx_node_fix", backend, fix, applies_to)
        _FX_NODE_FIXES.setdefault(backend, []).append(fix)
        return fix

    return decorator


def register_fx_program_fix(backend: str, *, applies_to: Mapping[str, str] | None = None) -> Callable[[ProgramFix], ProgramFix]:
    """Register ``fix(exported_program) -> None``, run in registration order."""

    def decorator(fix: ProgramFix) -> ProgramFix:
        declare("fx_program_fix", backend, fix, applies_to)
        _FX_PROGRAM_FIXES.setdefault(backend, []).append(fix)
        return fix

    return decorator


def apply_fx_node_fixes(backend: str, graph_module: torch.fx.GraphModule) -> None:
    """Run the node fixes over every ``call_function`` node of ``graph_module`` and its sub-graphs, then DCE."""
    fixes = [fix for fix in _FX_NODE_FIXES.get(backend, []) if is_active(backend, fix)]
    if not fixes:
        return
    for module in list(graph_module.modules()):
        if not isinstance(module, torch.fx.GraphModule):
            continue
        for node in list(module.graph.nodes):
            if node.op != "call_function" or getattr(node, "_erased", False):
                continue
            for fix in fixes:
                if fix(module, node):
                    break
        try:
            # Fixes leave producers without users; drop them so the next lowering never sees them.
            module.graph.eliminate_dead_code()
            module.recompile()
        except (SystemError, KeyError) as err:  # torch raises these on graphs it cannot recompile yet
            logger.debug("dead-code elimination skipped on %s: %s", type(module).__name__, err)


def apply_fx_program_fixes(backend: str, exported_program: Any) -> None:
    for fix in _FX_PROGRAM_FIXES.get(backend, []):
        if is_active(backend, fix):
            fix(exported_program)
