"""Sample forward inputs built from a model's signature and config.

Seeded, so eager and every exported artifact see identical tensors. Batch and sequence default to 2
and 7: a size of 1 would make torch.export specialise that dimension (0/1 specialisation,
https://github.com/pytorch/pytorch/issues/151582) and hide dynamic-shape bugs.
"""

from __future__ import annotations

import inspect
from typing import Any

import torch

from .protocol import InputError


def _text_config(config: Any) -> Any:
    return getattr(config, "get_text_config", lambda **_: config)(decoder=True)


def forward_parameters(model: torch.nn.Module) -> list[str]:
    return list(inspect.signature(model.forward).parameters)


def build_sample_inputs(model: torch.nn.Module, batch: int = 2, seq: int = 7, seed: int = 0) -> dict[str, torch.Tensor]:
    if batch < 1 or seq < 1:
        raise InputError(f"sample input sizes must be >= 1, got batch={batch} seq={seq}; pass positive sizes.")
    params = forward_parameters(model)
    config = model.config
    vocab = getattr(_text_config(config), "vocab_size", None) or getattr(config, "vocab_size", None)
    generator = torch.Generator().manual_seed(seed)
    inputs: dict[str, torch.Tensor] = {}
    if "input_ids" in params:
        if not vocab:
            raise InputError(f"{type(model).__name__} takes input_ids but its config has no vocab_size; set it in config.json.")
        inputs["input_ids"] = torch.randint(0, vocab, (batch, seq), generator=generator)
    if "attention_mask" in params:
        inputs["attention_mask"] = torch.ones(batch, seq, dtype=torch.long)
    type_vocab = getattr(config, "type_vocab_size", 0) or 0
    if "token_type_ids" in params and type_vocab > 0:
        inputs["token_type_ids"] = torch.randint(0, type_vocab, (batch, seq), generator=generator)
    if "decoder_input_ids" in params and getattr(config, "is_encoder_decoder", False):
        decoder_seq = max(2, seq // 2)
        inputs["decoder_input_ids"] = torch.randint(0, vocab, (batch, decoder_seq), generator=generator)
    if not inputs:
        raise InputError(
            f"no sample-input recipe fits {type(model).__name__} (forward takes {params[:6]}...); "
            "pass inputs as a safetensors file instead."
        )
    return inputs
