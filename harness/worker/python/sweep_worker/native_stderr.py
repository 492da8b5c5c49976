"""Capturing what native code (ExecuTorch's C++ runtime) logs to fd 2 during one call, so an
error like "method->execute() failed with error 0x12" can carry the log line that explains it."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator


class NativeLog:
    text = ""

    def lines(self, limit: int = 3) -> list[str]:
        # ExecuTorch prefixes its log lines with "[file.cpp:line]"; keep the first ones, they say why
        return [line.strip() for line in self.text.splitlines() if line.startswith("[")][:limit]


@contextlib.contextmanager
def capture_native_stderr() -> Iterator[NativeLog]:
    log = NativeLog()
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as capture:
        os.dup2(capture.fileno(), 2)
        try:
            yield log
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            log.text = capture.read().decode("utf-8", "replace")
            sys.stderr.write(log.text)  # still in the worker's stderr tail for the harness
