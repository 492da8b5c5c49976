"""The worker's operations: one function per protocol ``op``, registered by name."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from hf_exporters.pins import installed_version

from .catalog import list_model_classes
from .implementations import OURS, get_export
from .model_folder import load_model, remote_code_info
from .output_signal import require_signal
from .planted_bugs import planted
from .stage_clock import stage_clock
from .protocol import PROTOCOL_VERSION, InputError, WorkerError
from .runners import check_backend, run_artifact
from .sample_inputs import build_recipe, inputs_not_fed
from .tensor_files import read_tensors, write_tensors
from .tiny_checkpoint import make_tiny_checkpoint
from .tiny_probe import probe_tiny

Op = Callable[..., dict[str, Any]]
OPS: dict[str, Op] = {}
_MODELS: dict[str, torch.nn.Module] = {}


class ExportError(WorkerError):
    kind = "export"


class RunError(WorkerError):
    kind = "run"


def op(name: str, *, debug: bool = False) -> Callable[[Op], Op]:
    def decorator(fn: Op) -> Op:
        # Crash and hang ops exist to test the harness's isolation; a normal worker never offers them.
        if not debug or os.environ.get("SWEEP_WORKER_DEBUG") == "1":
            OPS[name] = fn
        return fn

    return decorator


def _model(handle: str) -> torch.nn.Module:
    if handle not in _MODELS:
        raise InputError(f"no loaded model '{handle}'; load it first (op 'load'). Loaded: {sorted(_MODELS) or 'none'}.")
    return _MODELS[handle]


def _one_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return f"{type(err).__name__}: {text[0] if text else ''}".strip()


def _timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    value = fn()
    return value, (time.perf_counter() - start) * 1000


@op("hello")
def hello() -> dict[str, Any]:
    packages = ("torch", "transformers", "onnx", "onnxscript", "onnxruntime", "executorch", "safetensors")
    return {
        "protocol": PROTOCOL_VERSION, "pid": os.getpid(), "threads": torch.get_num_threads(),
        "versions": {p: installed_version(p) for p in packages},
    }


@op("catalog")
def catalog() -> dict[str, Any]:
    return {"classes": list_model_classes()}


@op("make_tiny")
def make_tiny(
    model_class: str, model_type: str, out_dir: str, config: dict[str, Any] | None = None, seed: int = 0, shrink: bool = False
) -> dict[str, Any]:
    """A checkpoint from ``config`` (class defaults + these values), or with ``shrink`` from the
    generic tiny-config rules with ``config`` as per-architecture overrides on top."""
    return make_tiny_checkpoint(model_class, model_type, config or {}, seed, out_dir, shrink=shrink)


@op("probe_tiny")
def probe(model_class: str, model_type: str, overrides: dict[str, Any] | None = None, seed: int = 0) -> dict[str, Any]:
    return probe_tiny(model_class, model_type, overrides, seed)


@op("load")
def load(model_dir: str, handle: str | None = None, model_class: str | None = None, trust_remote_code: bool = False) -> dict[str, Any]:
    model, ms = _timed(lambda: load_model(model_dir, model_class, trust_remote_code))
    handle = handle or f"m{len(_MODELS) + 1}"
    _MODELS[handle] = model
    loaded = {"handle": handle, "class": type(model).__name__, "parameters": sum(p.numel() for p in model.parameters()), "load_ms": ms}
    remote = remote_code_info(model, Path(model_dir))
    return {**loaded, "remote_code": remote} if remote else loaded


@op("unload")
def unload(handle: str) -> dict[str, Any]:
    _MODELS.pop(handle, None)
    return {"handle": handle}


@op("sample_inputs")
def sample_inputs(model: str, out: str, batch: int = 2, seq: int = 7, seed: int = 0, padding: str = "none") -> dict[str, Any]:
    """Recipe inputs written to ``out``; ``dynamic`` says which dims may vary, and within what range;
    ``fed`` the inputs written and ``not_fed`` the modality inputs the forward takes that the recipe
    fed nothing of (the harness marks such a job ``partial``); ``sequence_offset`` the tokens the recipe
    adds to ``input_ids`` beyond ``seq`` (image or audio placeholders), which the ``sequence`` ranges include."""
    module = _model(model)
    inputs, dynamic = build_recipe(module, batch=batch, seq=seq, seed=seed, padding=padding)
    # the tokens the recipe put in input_ids beyond the seq asked for (image or audio placeholders):
    # the "sequence" ranges in dynamic count them, the seq a caller asks for does not
    ids = inputs.get("input_ids")
    offset = max(0, ids.shape[-1] - seq) if isinstance(ids, torch.Tensor) and ids.dim() >= 2 else 0
    return {"path": out, "tensors": write_tensors(inputs, out), "dynamic": dynamic, "sequence_offset": offset,
            "fed": sorted(inputs), "not_fed": inputs_not_fed(module, inputs)}


@op("eager")
def eager(model: str, inputs: str, out: str, sample: bool = False) -> dict[str, Any]:
    """``sample``: the job's sample shape, whose outputs must vary for its comparisons to mean anything."""
    module, feeds = _model(model), read_tensors(inputs)
    try:
        with torch.no_grad():
            outputs, ms = _timed(lambda: module(**feeds))
        if sample:
            require_signal(outputs)
    except Exception as err:
        raise RunError(f"eager forward failed: {_one_line(err)}") from err
    return {"path": out, "tensors": write_tensors(outputs, out), "eager_ms": ms}


@op("export")
def export(
    model: str, backend: str, inputs: str, out_dir: str, config: dict[str, Any] | None = None, implementation: str | None = None
) -> dict[str, Any]:
    """``implementation``: whose exporter makes the artifact (default ours; peers in implementations.py)."""
    export_fn, module, feeds = get_export(backend, implementation), _model(model), read_tensors(inputs)
    label = backend if implementation in (None, OURS) else f"{implementation} {backend}"
    config = dict(config or {})
    plant = config.pop("debug_plant", None)
    try:
        with planted(plant, module), stage_clock() as stages:
            (artifact, facts), ms = _timed(lambda: export_fn(module, feeds, config, Path(out_dir)))
    except (InputError, TypeError, ValueError) as err:
        # the exporters raise these for a bad config or dynamic_shapes, which is the caller's to fix
        if isinstance(err, InputError):
            raise
        raise InputError(_one_line(err)) from err
    except Exception as err:
        raise ExportError(f"{label} export failed: {_one_line(err)}") from err
    size = sum(f.stat().st_size for f in artifact.parent.iterdir() if f.name.startswith(artifact.name))  # with sidecars
    stages["other"] = max(0.0, ms - sum(stages.values()))
    return {"artifact": str(artifact), "bytes": size, "export_ms": ms, "export_stages_ms": stages, **facts}


@op("run")
def run(backend: str, artifact: str, inputs: str, out: str) -> dict[str, Any]:
    check_backend(backend)
    feeds, path = read_tensors(inputs), Path(artifact)
    if not path.is_file():
        raise InputError(f"artifact '{artifact}' does not exist; export it first (op 'export').")
    try:
        outputs, ms = _timed(lambda: run_artifact(backend, path, feeds))
    except Exception as err:
        raise RunError(f"{backend} artifact run failed: {_one_line(err)}") from err
    return {"path": out, "tensors": write_tensors(outputs, out), "run_ms": ms}


@op("time_runs")
def time_runs(model: str, inputs: str, backend: str | None = None, artifact: str | None = None, iterations: int = 20) -> dict[str, Any]:
    """Median latency of eager and of the artifact in the backend's Python runtime, same inputs:
    the baselines the benchmarks hold onnxruntime-node against."""
    module, feeds = _model(model), read_tensors(inputs)

    def median_ms(fn: Callable[[], Any]) -> float:
        fn()  # warm-up: first runs pay allocation and kernel selection
        times = []
        for _ in range(iterations):
            start = time.perf_counter()
            fn()
            times.append((time.perf_counter() - start) * 1000)
        return sorted(times)[len(times) // 2]

    with torch.no_grad():
        result = {"eager_ms": median_ms(lambda: module(**feeds))}
    if backend and artifact:
        # the runner keeps its session, so runs after the first are steady state
        result["artifact_ms"] = median_ms(lambda: run_artifact(backend, Path(artifact), feeds))
    return result


@op("debug.segfault", debug=True)
def debug_segfault() -> dict[str, Any]:
    os.kill(os.getpid(), signal.SIGSEGV)
    return {}


@op("debug.allocate", debug=True)
def debug_allocate(mb: int = 1 << 20, step_mb: int = 64, pause_s: float = 0.01) -> dict[str, Any]:
    """Grows resident memory step by step, as a runaway export does, until ``mb`` or the pool stops it."""
    held = []
    for _ in range(mb // step_mb):
        held.append(torch.ones(step_mb * (1 << 18)))  # float32: 4 bytes each, touched so it is resident
        time.sleep(pause_s)
    return {"mb": len(held) * step_mb}


@op("debug.hang", debug=True)
def debug_hang(seconds: float = 3600) -> dict[str, Any]:
    time.sleep(seconds)
    return {}


# Generation ops live in their own module and register into OPS on import.
from . import generation_ops  # noqa: E402,F401
