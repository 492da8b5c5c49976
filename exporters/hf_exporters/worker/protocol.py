"""The worker's side of the stdio protocol (the TypeScript side is harness/worker/protocol.ts).

One JSON object per line each way. Requests: ``{"v", "id", "op", "args"}``. Replies:
``{"v", "id", "ok": true, "result", "ms"}`` or ``{"v", "id", "ok": false, "error": {"kind", "type",
"message", "trace"}, "ms"}``. On start the worker sends one ``{"v", "event": "ready", ...}`` line.
Tensors never travel in these lines: they are safetensors files whose paths do.
"""

from __future__ import annotations

PROTOCOL_VERSION = 1

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
