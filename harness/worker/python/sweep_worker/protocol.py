"""The worker's side of the stdio protocol (the TypeScript side is harness/worker/protocol.ts).

One JSON object per line each way. Requests: ``{"v", "id", "op", "args"}``. Replies:
``{"v", "id", "ok": true, "result", "ms"}`` or ``{"v", "id", "ok": false, "error": {"kind", "type",
"message", "trace", "causes", "native_stderr"?}, "ms"}`` (``causes``: the exception's ``__cause__`` /
``__context__`` chain, outermost first, each ``{"type", "message"}``). On start the worker sends one ``{"v", "event": "ready", ...}`` line.
Tensors never travel in these lines: they are safetensors files whose paths do.

Generation ops (worker/generation_ops.py):

- ``generate_eager {model, inputs, max_new_tokens=8}`` -> ``{tokens, gaps, ms}``: greedy
  ``generate(do_sample=False)`` of exactly that many tokens (no end-of-sequence stop) on the prompt in
  the ``inputs`` file; ``tokens[b][s]`` the new ids, ``gaps[b][s]`` eager's top-2 logit gap.
- ``generate_unexported {model, inputs, max_new_tokens=8}`` -> ``{tokens, ms}``: the same greedy loop
  over the generation components before any export; the harness requires eager's tokens from it
  before it exports, since a loop that cannot drive the model cannot judge an export of it.
  ``tokens`` is null (with ``decompose_error``) when ``decompose_for_generation`` fails: that is the
  exporters' failure, and ``export_generation`` reports it.
- ``export_generation {model, backend, inputs, out_dir, config?}`` -> ``{manifest, version, backend,
  model_class, config, components}``: the components of ``decompose_for_generation`` exported into
  ``out_dir/<component>/``; ``components[name] = {artifact, inputs, outputs, export_ms}`` with the
  artifact's ordered input and output names (cache: ``past_key_values.N.*`` in, ``present.N.*`` out),
  ``config`` the values the loop needs (``decoder_start_token_id``, the ``image_feature_rule`` /
  ``audio_feature_rule`` a multimodal model's encoder output reaches its projector by, and the
  ``image_token_id`` / ``audio_token_id`` its features go over). The
  same object is written to ``out_dir/generation.json``.
- ``generate_artifact {manifest, inputs, max_new_tokens=8}`` -> ``{tokens, ms}``: the greedy loop over
  the exported files (dynamo, executorch, and onnx in Python onnxruntime).

Token ids and gaps are per-step scalars and travel as JSON lists.
"""

from __future__ import annotations

import traceback
from typing import Any

# 2: errors carry their cause chain and any native stderr captured while they happened.
PROTOCOL_VERSION = 2

# Why a request failed, so the harness can tell "your input is wrong" from "the export broke".
ERROR_KINDS = ("input", "load", "export", "run", "internal")


class WorkerError(Exception):
    """An error the worker reports as one line of ``kind``; the worker itself stays usable."""

    kind = "internal"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InputError(WorkerError):
    """The request, or a file it names, is wrong; the message says which input and what to do."""

    kind = "input"


def cause_chain(err: BaseException, limit: int = 16) -> list[dict[str, str]]:
    """``err`` and what led to it, outermost first, as Python prints them: an explicit ``raise ...
    from`` cause, else the exception being handled when this one was raised (unless suppressed)."""
    chain: list[dict[str, str]] = []
    seen: set[int] = set()
    current: BaseException | None = err
    while current is not None and id(current) not in seen and len(chain) < limit:
        seen.add(id(current))
        chain.append({"type": type(current).__name__, "message": " ".join(str(current).split())[:2000]})
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    return chain


def _native_stderr(err: BaseException) -> str | None:
    """Native log text an op attached to an exception in the chain (``native_stderr``)."""
    seen: set[int] = set()
    current: BaseException | None = err
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        text = getattr(current, "native_stderr", None)
        if text:
            return str(text)[-8000:]
        current = current.__cause__ or current.__context__
    return None


def _clip(text: str, keep: int = 6000) -> str:
    # Both ends: the root cause's frames come first in a chained traceback, the raise site last.
    return text if len(text) <= 2 * keep else f"{text[:keep]}\n[... {len(text) - 2 * keep} characters left out ...]\n{text[-keep:]}"


def error_reply(err: BaseException) -> dict[str, Any]:
    """The ``error`` object of a failed reply. ``type`` is the root exception's (a torch
    ``RuntimeError``, not the worker's ``ExportError`` wrapper), which is what a failure is classed by;
    the full chain is in ``causes``."""
    kind = err.kind if isinstance(err, WorkerError) else "internal"
    message = err.message if isinstance(err, WorkerError) else f"{type(err).__name__}: {err}"
    cause = err.__cause__ or err
    body: dict[str, Any] = {
        "kind": kind,
        "type": type(cause).__name__,
        "message": " ".join(message.split("\n")),
        "trace": _clip("".join(traceback.format_exception(err))),
        "causes": cause_chain(err),
    }
    native = _native_stderr(err)
    if native:
        body["native_stderr"] = native
    return body
