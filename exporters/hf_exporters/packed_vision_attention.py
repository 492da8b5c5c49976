"""Packed vision attention as one masked attention, so torch.export can trace it.

Qwen2-VL-style encoders (and Qwen-Omni's audio towers) pack every image's patches into one sequence.
Outside flash attention they attend image by image, ``torch.split(x, lengths.tolist())`` over the
segment lengths read from ``cu_seqlens``: tensor contents, so torch.export stops there ("Could not
guard on data-dependent expression Eq(u12, 0)", https://github.com/pytorch/pytorch/issues/158786).
Their flash branch hands the same boundaries (``cu_seq_lens_q``/``_k``) to a varlen kernel instead.
During the trace the patch sends each such attention down that branch, to a function registered here
that computes exactly the per-segment attention: the model's own attention (eager or SDPA) over the
whole packed sequence under a block-diagonal mask built from the boundaries by comparisons, which
ONNX and ExecuTorch lower. Segments of any lengths stay exact (no reshape into equal-length chunks),
and the program reads the boundaries at run time, so one export serves every split of its patch count.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import torch

from .utils import register_patch

# transformers takes the varlen branch for any implementation whose name contains "flash"
# (is_flash_attention_requested); the name says what it is underneath.
VARLEN_AS_MASK = "flash_varlen_as_block_mask"

_INNER: dict[int, str] = {}  # id(attention module) -> the implementation it was configured with


def _block_diagonal_mask(cu_q: torch.Tensor, cu_k: torch.Tensor, length_q: int, length_k: int, dtype: torch.dtype) -> torch.Tensor:
    """Additive ``(1, 1, q, k)`` mask: 0 where query and key fall in the same segment, else the
    dtype's minimum. A position's segment is the count of boundaries at or below it."""
    positions_q = torch.arange(length_q, device=cu_q.device)
    positions_k = torch.arange(length_k, device=cu_k.device)
    segment_q = (positions_q[:, None] >= cu_q[None, 1:].to(positions_q.dtype)).sum(-1)
    segment_k = (positions_k[:, None] >= cu_k[None, 1:].to(positions_k.dtype)).sum(-1)
    same = segment_q[:, None] == segment_k[None, :]
    blocked = torch.full((length_q, length_k), torch.finfo(dtype).min, dtype=dtype, device=cu_q.device)
    return torch.where(same, torch.zeros_like(blocked), blocked)[None, None]


def _attention_of(module: torch.nn.Module, implementation: str) -> Callable[..., Any]:
    from transformers.modeling_utils import ALL_ATTENTION_FUNCTIONS

    if implementation == "eager":  # each modeling file defines its own eager attention
        eager = getattr(sys.modules[type(module).__module__], "eager_attention_forward", None)
        if eager is not None:
            return eager
        implementation = "sdpa"
    return ALL_ATTENTION_FUNCTIONS[implementation]


def varlen_as_block_mask(
    module: torch.nn.Module,
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    attention_mask: torch.Tensor | None = None,
    cu_seq_lens_q: torch.Tensor | None = None,
    cu_seq_lens_k: torch.Tensor | None = None,
    max_length_q: Any = None,
    max_length_k: Any = None,
    **kwargs: Any,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """The varlen attention a flash kernel computes from ``cu_seq_lens_q``/``_k``, as the module's
    configured attention under a block-diagonal mask (``max_length_*`` only size flash's tiles)."""
    if cu_seq_lens_q is None:
        raise ValueError(f"{VARLEN_AS_MASK} needs the segment boundaries cu_seq_lens_q; {type(module).__name__} passed none.")
    cu_k = cu_seq_lens_q if cu_seq_lens_k is None else cu_seq_lens_k
    mask = _block_diagonal_mask(cu_seq_lens_q, cu_k, query.shape[-2], key.shape[-2], query.dtype)
    if attention_mask is not None:
        mask = mask + attention_mask
    attend = _attention_of(module, _INNER.get(id(module), "sdpa"))
    return attend(module, query, key, value, attention_mask=mask, **kwargs)


def _register_attention() -> None:
    from transformers import AttentionInterface

    AttentionInterface.register(VARLEN_AS_MASK, varlen_as_block_mask)


_register_attention()


@register_patch(
    "dynamo",
    "transformers.models.cohere_compass.modeling_cohere_compass.CohereCompassVisionAttention.forward",
    "transformers.models.cosmos3_edge.modeling_cosmos3_edge.Cosmos3EdgeVisionAttention.forward",
    "transformers.models.ernie4_5_vl_moe.modeling_ernie4_5_vl_moe.Ernie4_5_VLMoeVisionAttention.forward",
    "transformers.models.exaone4_5.modeling_exaone4_5.Exaone4_5_VisionAttention.forward",
    "transformers.models.glm4v.modeling_glm4v.Glm4vVisionAttention.forward",
    "transformers.models.glm4v_moe.modeling_glm4v_moe.Glm4vMoeVisionAttention.forward",
    "transformers.models.glm5_next.modeling_glm5_next.Glm5NextVisionAttention.forward",
    "transformers.models.glm_image.modeling_glm_image.GlmImageVisionAttention.forward",
    "transformers.models.glm_ocr.modeling_glm_ocr.GlmOcrVisionAttention.forward",
    "transformers.models.hunyuan_vl.modeling_hunyuan_vl.HunYuanVLVisionAttention.forward",
    "transformers.models.kimi_k25.modeling_kimi_k25.Kimi_K25VisionAttention.forward",
    "transformers.models.minicpmv4_6.modeling_minicpmv4_6.MiniCPMV4_6VisionAttention.forward",
    "transformers.models.muse_glimmer.modeling_muse_glimmer.MuseGlimmerVisionAttention.forward",
    "transformers.models.paddleocr_vl.modeling_paddleocr_vl.PaddleOCRVisionAttention.forward",
    "transformers.models.qwen2_5_omni.modeling_qwen2_5_omni.Qwen2_5OmniAudioAttention.forward",
    "transformers.models.qwen2_5_omni.modeling_qwen2_5_omni.Qwen2_5OmniVisionAttention.forward",
    "transformers.models.qwen2_5_vl.modeling_qwen2_5_vl.Qwen2_5_VLVisionAttention.forward",
    "transformers.models.qwen2_vl.modeling_qwen2_vl.VisionAttention.forward",
    "transformers.models.qwen3_5.modeling_qwen3_5.Qwen3_5VisionAttention.forward",
    "transformers.models.qwen3_5_moe.modeling_qwen3_5_moe.Qwen3_5MoeVisionAttention.forward",
    "transformers.models.qwen3_asr.modeling_qwen3_asr.Qwen3ASRAudioAttention.forward",
    "transformers.models.qwen3_omni_moe.modeling_qwen3_omni_moe.Qwen3OmniMoeAudioAttention.forward",
    "transformers.models.qwen3_omni_moe.modeling_qwen3_omni_moe.Qwen3OmniMoeVisionAttention.forward",
    "transformers.models.qwen3_vl.modeling_qwen3_vl.Qwen3VLVisionAttention.forward",
    "transformers.models.qwen3_vl_moe.modeling_qwen3_vl_moe.Qwen3VLMoeVisionAttention.forward",
    "transformers.models.qwen4_exp.modeling_qwen4_exp.Qwen4ExpVisionAttention.forward",
    "transformers.models.video_llama_3.modeling_video_llama_3.VideoLlama3VisionAttention.forward",
)
def _packed_attention_as_varlen(original: Callable[..., Any]) -> Callable[..., Any]:
    from transformers.utils.generic import is_flash_attention_requested

    def forward(self: Any, *args: Any, **kwargs: Any) -> Any:
        config = self.config
        inner = config._attn_implementation
        if is_flash_attention_requested(config):
            return original(self, *args, **kwargs)  # a real varlen kernel already: nothing to split
        _INNER[id(self)] = inner or "sdpa"
        # the internal field, not the property: the property's setter would also rewrite sub-configs
        config._attn_implementation_internal = VARLEN_AS_MASK
        try:
            return original(self, *args, **kwargs)
        finally:
            config._attn_implementation_internal = inner
            _INNER.pop(id(self), None)

    return forward
