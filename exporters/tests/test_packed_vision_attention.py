"""Packed vision encoders (Qwen2-VL style) export: the attention they split image by image on tensor
contents is traced as one block-masked attention, which reads the image boundaries at run time."""

import pytest
import torch
import transformers
from torch.fx.experimental.symbolic_shapes import GuardOnDataDependentSymNode

from hf_exporters import DynamoConfig, DynamoExporter, OnnxConfig, OnnxExporter
from hf_exporters.packed_vision_attention import VARLEN_AS_MASK
from hf_exporters.utils import get_leaf_tensors

TRACED = [[1, 4, 4], [1, 4, 6]]  # two images of different sizes: segments of 16 and 24 patches
RESPLIT = [[1, 4, 8], [1, 4, 2]]  # the same 40 patches cut elsewhere: 32 and 8


def tiny_vision_tower(attention: str) -> torch.nn.Module:
    from transformers.models.qwen3_vl.configuration_qwen3_vl import Qwen3VLVisionConfig

    config = Qwen3VLVisionConfig(depth=2, hidden_size=32, num_heads=2, intermediate_size=64, patch_size=4,
                                 temporal_patch_size=2, spatial_merge_size=2, out_hidden_size=32,
                                 num_position_embeddings=16, deepstack_visual_indexes=[1])
    torch.manual_seed(0)
    model = transformers.Qwen3VLVisionModel(config).eval()
    model.config._attn_implementation = attention
    return model


def images(grids: list[list[int]], seed: int) -> dict[str, torch.Tensor]:
    grid_thw = torch.tensor(grids)
    generator = torch.Generator().manual_seed(seed)
    return {"hidden_states": torch.randn(int(grid_thw.prod(-1).sum()), 3 * 2 * 4 * 4, generator=generator), "grid_thw": grid_thw}


def assert_matches_eager(actual: dict[str, torch.Tensor], model: torch.nn.Module, inputs: dict[str, torch.Tensor]) -> None:
    with torch.no_grad():
        expected = get_leaf_tensors(model(**inputs))
    assert list(actual) == list(expected)
    for name, tensor in expected.items():
        torch.testing.assert_close(actual[name], tensor, atol=1e-5, rtol=1e-4, msg=name)


def test_plain_export_stops_at_the_per_image_split() -> None:
    with pytest.raises(GuardOnDataDependentSymNode, match="data-dependent expression"):
        torch.export.export(tiny_vision_tower("sdpa"), (), images(TRACED, 0), strict=False)


@pytest.mark.parametrize("attention", ["sdpa", "eager"])
def test_the_program_attends_within_each_image_wherever_the_images_split(attention: str) -> None:
    model = tiny_vision_tower(attention)
    program = DynamoExporter().export(model, images(TRACED, 0), DynamoConfig())
    assert model.config._attn_implementation == attention  # the trace's switch is undone
    for grids, seed in [(TRACED, 0), (RESPLIT, 1)]:
        inputs = images(grids, seed)
        assert_matches_eager(get_leaf_tensors(program.module()(**inputs)), model, inputs)


def test_the_onnx_file_attends_within_each_image_wherever_the_images_split() -> None:
    model = tiny_vision_tower("sdpa")
    program = OnnxExporter().export(model, images(TRACED, 0), OnnxConfig())
    names = [value.name for value in program.model.graph.outputs]
    for grids, seed in [(TRACED, 0), (RESPLIT, 1)]:
        inputs = images(grids, seed)
        assert_matches_eager(dict(zip(names, program(**inputs))), model, inputs)


def test_the_varlen_attention_needs_the_boundaries() -> None:
    model = tiny_vision_tower("sdpa")
    attention = model.blocks[0].attn
    q = torch.rand(1, 2, 5, 16)
    from transformers.modeling_utils import ALL_ATTENTION_FUNCTIONS

    with pytest.raises(ValueError, match=f"^{VARLEN_AS_MASK} needs the segment boundaries cu_seq_lens_q; Qwen3VLVisionAttention passed none"):
        ALL_ATTENTION_FUNCTIONS[VARLEN_AS_MASK](attention, q, q, q, None)
