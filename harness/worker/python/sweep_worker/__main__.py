"""``python -m sweep_worker``: a long-lived worker speaking the protocol on stdin/stdout."""

from __future__ import annotations

import faulthandler
import json
import logging
import os
import sys
import time
from typing import Any, TextIO


def _protocol_stream() -> TextIO:
    """Keep the real stdout for protocol lines and send everything else that writes there
    (library prints, native code) to stderr, so nothing can corrupt a reply."""
    stream = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return stream


def _reply(stream: TextIO, message: dict[str, Any]) -> None:
    stream.write(json.dumps(message) + "\n")
    stream.flush()


def main() -> None:
    # Models load from folders the harness downloaded into its cache; a config whose defaults fetch
    # more (EdgeTAM's timm backbone) must fail at once, not retry for 20 s or land outside the cache.
    # Set before anything imports huggingface_hub, which reads it once.
    os.environ["HF_HUB_OFFLINE"] = "1"
    out = _protocol_stream()
    # A native crash then leaves the Python stack in stderr, which the harness reports with the job.
    faulthandler.enable(file=sys.stderr)
    logging.basicConfig(level=os.environ.get("SWEEP_WORKER_LOG", "WARNING"), stream=sys.stderr)
    threads = os.environ.get("SWEEP_WORKER_THREADS")
    import torch

    if threads:
        torch.set_num_threads(int(threads))
    from .implementations import load_implementations
    from .ops import OPS
    from .protocol import PROTOCOL_VERSION, WorkerError, error_reply
    from .tensor_files import IO_MS

    load_implementations()  # ours, and only the peer files the harness names in SWEEP_WORKER_PEERS

    _reply(out, {"v": PROTOCOL_VERSION, "event": "ready", **OPS["hello"]()})
    for line in sys.stdin:
        if not line.strip():
            continue
        start = time.perf_counter()
        io_before = IO_MS[0]
        request_id = None
        try:
            request = json.loads(line)
            request_id = request.get("id")
            if request.get("v") != PROTOCOL_VERSION:
                raise WorkerError(f"protocol version {request.get('v')} != worker's {PROTOCOL_VERSION}; update the harness or the worker so they match.")
            name = request.get("op")
            if name == "shutdown":
                _reply(out, {"v": PROTOCOL_VERSION, "id": request_id, "ok": True, "result": {}, "ms": 0})
                return
            if name not in OPS:
                raise WorkerError(f"unknown op '{name}'; known ops: {', '.join(sorted(OPS))}.")
            args = request.get("args") or {}
            try:
                result = OPS[name](**args)
            except TypeError as err:
                if "argument" in str(err) and err.__traceback__ and err.__traceback__.tb_next is None:
                    raise WorkerError(f"op '{name}' got bad arguments: {err}.") from err
                raise
            reply = {"ok": True, "result": result}
        except Exception as err:  # every failure becomes a reply; the worker keeps serving
            reply = {"ok": False, "error": error_reply(err)}
        elapsed = (time.perf_counter() - start) * 1000
        _reply(out, {"v": PROTOCOL_VERSION, "id": request_id, **reply, "ms": elapsed, "io_ms": IO_MS[0] - io_before})


if __name__ == "__main__":
    main()
