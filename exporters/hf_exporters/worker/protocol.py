"""The worker's side of the stdio protocol (the TypeScript side is harness/worker/protocol.ts).

One JSON object per line each way. Requests: ``{"v", "id", "op", "args"}``. Replies:
``{"v", "id", "ok": true, "result", "ms"}`` or ``{"v", "id", "ok": false, "error": {"kind", "type",
"message", "trace"}, "ms"}``. On start the worker sends one ``{"v", "event": "ready", ...}`` line.
Tensors never travel in these lines: they are safetensors files whose paths do.

Generation ops (worker/generation_ops.py):

- ``generate_eager {model, inputs, max_new_tokens=8}`` -> ``{tokens, gaps, ms}``: greedy
  ``generate(do_sample=False)`` of exactly that many tokens (no end-of-sequence stop) on the prompt in
  the ``inputs`` file; ``tokens[b][s]`` the new ids, ``gaps[b][s]`` eager's top-2 logit gap.
- ``export_generation {model, backend, inputs, out_dir, config?}`` -> ``{manifest, version, backend,
  model_class, config, components}``: the components of ``decompose_for_generation`` exported into
  ``out_dir/<component>/``; ``components[name] = {artifact, inputs, outputs, export_ms}`` with the
  artifact's ordered input and output names (cache: ``past_key_values.N.*`` in, ``present.N.*`` out),
  ``config`` the values the loop needs (``decoder_start_token_id``, LLaVA's feature selection). The
  same object is written to ``out_dir/generation.json``.
- ``generate_artifact {manifest, inputs, max_new_tokens=8}`` -> ``{tokens, ms}``: the greedy loop over
  the exported files (dynamo, executorch, and onnx in Python onnxruntime).

Token ids and gaps are per-step scalars and travel as JSON lists.
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
