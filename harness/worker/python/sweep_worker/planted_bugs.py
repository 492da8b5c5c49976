"""Export bugs planted on purpose, to prove the harness catches what it claims to catch.

Offered only to a worker started with SWEEP_WORKER_DEBUG=1. Each bug lives inside the traced
graph (a forward hook runs under torch.export), so every backend's artifact carries it while eager,
run after the export with the hook removed, stays right.
"""

from __future__ import annotations

import contextlib
import functools
import os
import signal
import time
from collections.abc import Iterator
from typing import Any

import torch

from .protocol import InputError


def _seq_one(module: torch.nn.Module, args: tuple, kwargs: dict[str, Any], output: Any) -> Any:
    # Bumps the first output only when the sequence length is 1, computed with tensor ops so the
    # graph stays dynamic: the bug shows at one size, exactly what a specialising patch does.
    ids = kwargs.get("input_ids", args[0] if args else None)
    if not isinstance(ids, torch.Tensor):
        return output
    first_key = next(iter(output.keys())) if hasattr(output, "keys") else None
    first = output[first_key] if first_key is not None else output[0]
    is_one = (torch.ones_like(ids).sum(-1) == 1).to(first.dtype)
    bumped = first + 0.5 * is_one.reshape(is_one.shape + (1,) * (first.dim() - is_one.dim()))
    if first_key is not None:
        output[first_key] = bumped
        return output
    return (bumped, *output[1:])


def _data_dependent(module: torch.nn.Module, args: tuple, kwargs: dict[str, Any], output: Any) -> Any:
    # Python control flow on a tensor's value, as a model that checks its inputs with ``if (x > t).any():``
    # does: eager takes a branch, torch.export cannot trace one (a guard on a data-dependent value).
    first = output[next(iter(output.keys()))] if hasattr(output, "keys") else output[0]
    if bool((first.abs() > 1e30).any()):
        raise ValueError("never: the outputs of a tiny model stay far below 1e30")
    return output


def _swap_cache(output: Any) -> Any:
    # A decode whose cache outputs are laid out wrong (each layer's key and value swapped) but keep
    # their shapes: nothing fails, only the tokens after the first decode step go wrong.
    present = output.get("present") if isinstance(output, dict) else None
    for layer in (present or {}).values():
        if "key" in layer and "value" in layer:
            layer["key"], layer["value"] = layer["value"], layer["key"]
    return output


@contextlib.contextmanager
def _wrong_weight(model: torch.nn.Module) -> Iterator[None]:
    # One row of one weight off by 1%, as a wrong scale, a dropped bias fold or a stale tensor in a
    # conversion would leave it: nothing fails and the outputs move a little, which the comparison's
    # tolerance must still catch on a model whose logits reach 30. The last linear layer is the
    # output head of a language model, so the row is one token's logit. The parameter is swapped,
    # not edited in place, so the artifact holds the wrong copy and eager keeps the right one.
    linears = [m for m in model.modules() if isinstance(m, torch.nn.Linear) and m.weight.dim() == 2]
    if not linears:
        raise InputError(f"debug_plant 'wrong-weight' needs a torch.nn.Linear in the model; {type(model).__name__} has none.")
    layer = linears[-1]
    original = layer.weight
    wrong = original.detach().clone()
    wrong[0] *= 1.01
    layer.weight = torch.nn.Parameter(wrong, requires_grad=original.requires_grad)
    try:
        yield
    finally:
        layer.weight = original


def _segfault() -> None:
    os.kill(os.getpid(), signal.SIGSEGV)


def _hang() -> None:
    time.sleep(3600)


def _exhaust_memory() -> None:
    held = []
    while True:  # as a runaway export does, until the harness's memory limit kills the worker
        held.append(torch.ones(64 << 18))
        time.sleep(0.01)


PLANTS = {"seq-one": _seq_one, "data-dependent": _data_dependent}
# Bugs on a module's outputs, planted by wrapping its forward: exporters that trace ``module.forward``
# directly (a generation component's) never run forward hooks.
OUTPUT_PLANTS = {"swap-cache": _swap_cache}
# Bugs in the weights the export sees, planted for the duration of the export.
WEIGHT_PLANTS = {"wrong-weight": _wrong_weight}
# Faults of the export itself, to prove one job's crash, hang or memory blow-up costs only that job.
FAULTS = {"segfault": _segfault, "hang": _hang, "exhaust-memory": _exhaust_memory}


def _installed_satisfies(requirement: str) -> bool:
    # ``NAME@onnxscript>=0.7.2``: the bug is there only where that package's installed version
    # matches, as a regression that one release of one package brings (the bisect's own test)
    from importlib.metadata import PackageNotFoundError, version

    from packaging.requirements import InvalidRequirement, Requirement

    try:
        parsed = Requirement(requirement)
    except InvalidRequirement as err:
        raise InputError(f"debug_plant version condition '{requirement}' is not a requirement (write it as 'package>=1.2'): {err}") from None
    try:
        return parsed.specifier.contains(version(parsed.name), prereleases=True)
    except PackageNotFoundError:
        return False


@contextlib.contextmanager
def planted(name: str | None, model: torch.nn.Module) -> Iterator[None]:
    if name is None:
        yield
        return
    if os.environ.get("SWEEP_WORKER_DEBUG") != "1":
        raise InputError("debug_plant is a test-only export option; start the worker with SWEEP_WORKER_DEBUG=1.")
    name, _, condition = name.partition("@")
    if condition and not _installed_satisfies(condition):
        yield
        return
    if name in FAULTS:
        FAULTS[name]()
    if name in OUTPUT_PLANTS:
        original = model.forward
        model.forward = functools.wraps(original)(lambda *args, **kwargs: OUTPUT_PLANTS[name](original(*args, **kwargs)))
        try:
            yield
        finally:
            del model.forward
        return
    if name in WEIGHT_PLANTS:
        with WEIGHT_PLANTS[name](model):
            yield
        return
    if name not in PLANTS:
        raise InputError(f"unknown debug_plant '{name}'; known: {', '.join([*PLANTS, *OUTPUT_PLANTS, *WEIGHT_PLANTS, *FAULTS])}.")
    handle = model.register_forward_hook(PLANTS[name], with_kwargs=True)
    try:
        yield
    finally:
        handle.remove()
