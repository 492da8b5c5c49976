"""Stage 2 model patch: RWKV's WKV recurrence without a Python loop over the sequence.

Off CUDA, transformers runs RWKV's time mixing as ``for current_index in range(seq_length)``, so
torch.export unrolls it for the traced length and a dynamic export is one of that length only
("Guard failed: input_ids.size()[1] == 7"; ONNX and ExecuTorch fail at other lengths the same way;
the loop-over-a-dynamic-dim limit is https://github.com/pytorch/pytorch/issues/105279). The loop is
a linear recurrence, so every step has a closed form: the output at step t weighs key i < t by
``exp(k_i + (t-1-i) * w)``, its own key by ``exp(k_t + u)`` and the carried state by
``exp(t * w)``, and the state after the last step weighs key i by ``exp(k_i + (T-1-i) * w)``. Both
are evaluated over a ``[batch, T, T, channels]`` grid against a running maximum, as the loop keeps
one for stability. That grid costs O(T^2) memory, so the closed form replaces the loop only when the
sequence length is symbolic; a static export keeps the loop, which is linear and exact.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from .utils import register_patch

_NO_STATE_MAX = -1e38  # the loop's starting maximum when no state is passed


def _initial_state(key: torch.Tensor, state: Any) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    if state is not None:
        return state[0], state[1], state[2]
    zeros = torch.zeros_like(key[:, 0], dtype=torch.float32)
    return zeros, zeros, zeros + _NO_STATE_MAX


def _weighted(weights: torch.Tensor, values: torch.Tensor, axis: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Numerator and denominator terms over ``axis`` of ``weights`` (log-scale, already shifted)."""
    scale = torch.exp(weights)
    return (scale * values).sum(axis), scale.sum(axis)


def wkv_closed_form(time_decay: torch.Tensor, time_first: torch.Tensor, key: torch.Tensor, value: torch.Tensor, state: Any = None, return_state: bool = False) -> tuple[torch.Tensor, Any]:
    """What ``rwkv_linear_attention_cpu`` returns, computed for every step at once."""
    seq = key.shape[1]
    num, den, top = _initial_state(key, state)
    decay = -torch.exp(time_decay.float())
    keys, values = key.float(), value.float()
    steps = torch.arange(seq, device=key.device, dtype=torch.float32)

    # log weight of key i at output t: (t-1-i) * w after it, u on its own step, none before it
    lag = steps[:, None] - steps[None, :] - 1
    past = keys[:, None, :, :] + lag[None, :, :, None] * decay
    own = (keys + time_first)[:, None, :, :].expand_as(past)
    logs = torch.where((lag >= 0)[None, :, :, None], past, torch.where((lag == -1)[None, :, :, None], own, float("-inf")))
    carried = top[:, None, :] + steps[None, :, None] * decay  # the state's log scale at step t
    peak = torch.maximum(logs.amax(dim=2), carried)
    numerator, denominator = _weighted(logs - peak[:, :, None, :], values[:, None, :, :], axis=2)
    kept = torch.exp(carried - peak)
    output = ((kept * num[:, None] + numerator) / (kept * den[:, None] + denominator)).to(key.dtype)

    if not (return_state or state is not None):
        return output, state
    final_logs = keys + (seq - 1 - steps)[None, :, None] * decay
    final_carried = top + seq * decay
    final_top = torch.maximum(final_logs.amax(dim=1), final_carried)
    final_num, final_den = _weighted(final_logs - final_top[:, None, :], values, axis=1)
    final_kept = torch.exp(final_carried - final_top)
    return output, [final_kept * num + final_num, final_kept * den + final_den, final_top]


@register_patch("dynamo", "transformers.models.rwkv.modeling_rwkv.rwkv_linear_attention_cpu")
def _wkv_without_a_loop_over_a_dynamic_sequence(original: Callable[..., Any]) -> Callable[..., Any]:
    def rwkv_linear_attention_cpu(time_decay, time_first, key, value, state=None, return_state=False):
        if isinstance(key.shape[1], torch.SymInt):
            return wkv_closed_form(time_decay, time_first, key, value, state=state, return_state=return_state)
        return original(time_decay, time_first, key, value, state=state, return_state=return_state)

    return rwkv_linear_attention_cpu
