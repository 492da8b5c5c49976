"""Backend-keyed registries of reversible patches and in-place FX fixes.

Patches swap an attribute (a torch op, a backend internal, a model method) for the duration of an
export and always restore it, also when the export raises. Fixes repair a graph or program in place
and are never reverted. Adding either is "write a function and decorate it"; the pipelines only call
``apply_patches`` / ``apply_fx_node_fixes`` / ``apply_fx_program_fixes``.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import torch

logger = logging.getLogger(__name__)

PatchFactory = Callable[[Any], Any]
NodeFix = Callable[[torch.fx.GraphModule, torch.fx.Node], bool]
ProgramFix = Callable[[Any], None]

_PATCHES: dict[str, list[tuple[Any, str, PatchFactory]]] = {}
_FX_NODE_FIXES: dict[str, list[NodeFix]] = {}
_FX_PROGRAM_FIXES: dict[str, list[ProgramFix]] = {}

_MISSING = object()


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


def register_patch(backend: str, *paths: str) -> Callable[[PatchFactory], PatchFactory]:
    """Register ``factory(original) -> replacement`` for every dotted path in ``paths`` under ``backend``.

    Owners are resolved now, at decoration time. A path whose owner cannot be resolved (an optional
    backend not installed, a model class absent from this transformers) is skipped with a debug log,
    so one exporter module can name targets across versions.
    """
    if not paths:
        raise ValueError(f"register_patch('{backend}') needs at least one dotted path such as 'torch.split'.")

    def decorator(factory: PatchFactory) -> PatchFactory:
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
    """Context manager installing every patch registered for ``backend``."""
    return patch_attributes(list(_PATCHES.get(backend, [])))


def register_fx_node_fix(backend: str) -> Callable[[NodeFix], NodeFix]:
    """Register ``fix(gm, node) -> bool``; returning True consumes the node (later fixes skip it)."""

    def decorator(fix: NodeFix) -> NodeFix:
        _FX_NODE_FIXES.setdefault(backend, []).append(fix)
        return fix

    return decorator


def register_fx_program_fix(backend: str) -> Callable[[ProgramFix], ProgramFix]:
    """Register ``fix(exported_program) -> None``, run in registration order."""

    def decorator(fix: ProgramFix) -> ProgramFix:
        _FX_PROGRAM_FIXES.setdefault(backend, []).append(fix)
        return fix

    return decorator


def apply_fx_node_fixes(backend: str, graph_module: torch.fx.GraphModule) -> None:
    """Run the node fixes over every ``call_function`` node of ``graph_module`` and its sub-graphs, then DCE."""
    fixes = _FX_NODE_FIXES.get(backend, [])
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
        fix(exported_program)
