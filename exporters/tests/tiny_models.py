"""Tiny seeded models built from configs, the same five architectures the default sweep covers."""

from __future__ import annotations

import torch
import transformers

TINY = {
    "llama": ("LlamaForCausalLM", dict(vocab_size=128, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                       num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=128)),
    "qwen3": ("Qwen3ForCausalLM", dict(vocab_size=128, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                       num_attention_heads=4, num_key_value_heads=2, head_dim=8, max_position_embeddings=128)),
    "gpt2": ("GPT2LMHeadModel", dict(vocab_size=128, n_embd=32, n_layer=2, n_head=4, n_positions=128)),
    "bert": ("BertModel", dict(vocab_size=128, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                               intermediate_size=64, max_position_embeddings=128, type_vocab_size=2)),
    "t5": ("T5ForConditionalGeneration", dict(vocab_size=128, d_model=32, d_kv=8, d_ff=64, num_layers=2,
                                              num_decoder_layers=2, num_heads=4, decoder_start_token_id=0)),
}


def build_tiny(model_type: str) -> torch.nn.Module:
    class_name, overrides = TINY[model_type]
    torch.manual_seed(0)
    config = transformers.AutoConfig.for_model(model_type, **overrides)
    return getattr(transformers, class_name)(config).eval()


def text_inputs(model: torch.nn.Module, batch: int, seq: int, seed: int = 0) -> dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    vocab = model.config.vocab_size
    inputs = {
        "input_ids": torch.randint(0, vocab, (batch, seq), generator=generator),
        "attention_mask": torch.ones(batch, seq, dtype=torch.long),
    }
    if model.config.model_type == "bert":
        inputs["token_type_ids"] = torch.randint(0, 2, (batch, seq), generator=generator)
    if model.config.is_encoder_decoder:
        inputs["decoder_input_ids"] = torch.randint(0, vocab, (batch, max(2, seq // 2)), generator=generator)
    return inputs

