"""The worker's one runner per backend, on files as the sweep writes them: forward runs, the planned
ExecuTorch ranges read beside the .pte, and the generation loop over exported components."""

from __future__ import annotations

import pytest
import torch
import transformers
from hf_exporters.executorch_bounds import ExecutorchInputShapeError

from sweep_worker.implementations import get_export
from sweep_worker.ops import OPS
from sweep_worker.protocol import InputError
from sweep_worker.runners import run_artifact
from sweep_worker.tensor_files import write_tensors

STEPS = 8


class Scale(torch.nn.Module):
    def forward(self, x):
        return x * 2


def test_executorch_run_reads_the_ranges_beside_the_pte(tmp_path) -> None:
    """The sweep's path: ours exports with Dim.AUTO (capped for planning) and the runner runs the file."""
    path, _ = get_export("executorch")(Scale(), {"x": torch.rand(3, 10)}, {"dynamic": True}, tmp_path)
    x = torch.rand(5, 20)
    torch.testing.assert_close(run_artifact("executorch", path, {"x": x})["output"], x * 2)
    # torch.export's floor of 2 on an auto dim is no limit of the runtime: batch 1 / length 1 run
    one = torch.rand(1, 1)
    torch.testing.assert_close(run_artifact("executorch", path, {"x": one})["output"], one * 2)
    with pytest.raises(ExecutorchInputShapeError, match=r"'x' dim 1 is 65, above the bound 64"):
        run_artifact("executorch", path, {"x": torch.rand(3, 65)})


@pytest.mark.parametrize("backend", ["dynamo", "onnx", "executorch"])
def test_every_backend_names_a_missing_input(backend: str, tmp_path) -> None:
    class Add(torch.nn.Module):
        def forward(self, x, y):
            return x + y

    path, _ = get_export(backend)(Add(), {"x": torch.rand(2, 3), "y": torch.rand(2, 3)}, {}, tmp_path)
    # torch.export's own check names the expected keywords; the others say which input is missing
    missing = r"expected \['x', 'y'\]" if backend == "dynamo" else r"needs inputs \['y'\]"
    with pytest.raises((ValueError, InputError), match=missing):
        run_artifact(backend, path, {"x": torch.rand(2, 3)})


def _tiny_gpt2_and_prompt() -> tuple[torch.nn.Module, dict[str, torch.Tensor]]:
    """Batch 2, 9 tokens, the second row left-padded by 3; initialised wide so greedy decoding does not
    repeat one token (a repeated token would hide a wrong cache)."""
    torch.manual_seed(0)
    model = transformers.GPT2LMHeadModel(transformers.GPT2Config(
        vocab_size=128, n_embd=32, n_layer=2, n_head=4, n_positions=128, bos_token_id=1, eos_token_id=2, initializer_range=0.5)).eval()
    generator = torch.Generator().manual_seed(1)
    ids = torch.randint(3, 120, (2, 9), generator=generator)
    mask = torch.ones(2, 9, dtype=torch.long)
    mask[1, :3], ids[1, :3] = 0, 0
    return model, {"input_ids": ids, "attention_mask": mask}


@pytest.mark.parametrize("backend", ["dynamo", "onnx"])  # ExecuTorch: the default sweep's generate jobs
def test_worker_generation_ops(backend: str, tmp_path) -> None:
    """The worker's ops end to end on a saved checkpoint: eager tokens, exported files with their
    manifest, and the loop over those files give the same ids."""
    model, prompt = _tiny_gpt2_and_prompt()
    model.save_pretrained(tmp_path / "ckpt")
    handle = OPS["load"](model_dir=str(tmp_path / "ckpt"), handle=f"gen-{backend}")["handle"]
    write_tensors(prompt, tmp_path / "prompt.safetensors")
    try:
        eager = OPS["generate_eager"](model=handle, inputs=str(tmp_path / "prompt.safetensors"), max_new_tokens=STEPS)
        unexported = OPS["generate_unexported"](model=handle, inputs=str(tmp_path / "prompt.safetensors"), max_new_tokens=STEPS)
        assert unexported["tokens"] == eager["tokens"]  # the loop's glue, before any export
        exported = OPS["export_generation"](model=handle, backend=backend, inputs=str(tmp_path / "prompt.safetensors"),
                                            out_dir=str(tmp_path / "out"), config={"dynamic": True})
        decode = exported["components"]["decode"]
        assert [n for n in decode["inputs"] if n.startswith("past_key_values.")][:2] == ["past_key_values.0.key", "past_key_values.0.value"]
        assert "present.1.value" in decode["outputs"] and "logits" in decode["outputs"]
        generated = OPS["generate_artifact"](manifest=exported["manifest"], inputs=str(tmp_path / "prompt.safetensors"),
                                             max_new_tokens=STEPS)
    finally:
        OPS["unload"](handle=handle)
    assert len(eager["tokens"]) == 2 and len(eager["tokens"][0]) == STEPS and len(eager["gaps"][0]) == STEPS
    assert generated["tokens"] == eager["tokens"]

def _loaded_tiny(tmp_path, class_name: str, model_type: str, fed: str) -> tuple[str, str]:
    """The tiny model saved and loaded by the worker, its recipe's left-padded prompt (which feeds
    ``fed``) written beside it: ``(handle, prompt file)``."""
    from sweep_worker.sample_inputs import _architecture_rows, build_recipe
    from sweep_worker.tiny_config import tiny_config

    row = {k: v for k, v in _architecture_rows().get(model_type, {}).get("tinyConfig", {}).items() if not k.startswith("$")}
    torch.manual_seed(0)
    model = getattr(transformers, class_name)(tiny_config(model_type, row or None)).eval()
    inputs, _ = build_recipe(model, batch=2, seq=5, padding="left")
    assert fed in inputs
    model.save_pretrained(tmp_path / "ckpt")
    write_tensors(inputs, tmp_path / "prompt.safetensors")
    return OPS["load"](model_dir=str(tmp_path / "ckpt"), handle=f"{model_type}-loop")["handle"], str(tmp_path / "prompt.safetensors")


def _refused_by_the_loop(tmp_path, class_name: str, model_type: str, fed: str, message: str) -> None:
    """The loop over the tiny model's unexported components refuses with ``message``."""
    from sweep_worker.ops import RunError

    handle, prompt = _loaded_tiny(tmp_path, class_name, model_type, fed)
    try:
        with pytest.raises(RunError, match=rf"cannot drive the unexported components: {message}"):
            OPS["generate_unexported"](model=handle, inputs=prompt, max_new_tokens=STEPS)
    finally:
        OPS["unload"](handle=handle)


def test_a_loop_that_cannot_drive_the_unexported_components_says_so(tmp_path) -> None:
    """InternVL pixel-shuffles its vision tower's output before the projector (get_image_features), glue
    that no image feature rule reproduces: the loop refuses by name before anything is exported."""
    _refused_by_the_loop(tmp_path, "InternVLForConditionalGeneration", "internvl", "pixel_values",
                         r".*no feature rule reproduces the input .* 'multi_modal_projector'")


def test_a_loop_over_audio_glue_it_lacks_says_so(tmp_path) -> None:
    """Music Flamingo rotates its audio frames by timestamps read from the placeholders before the
    projector: no rule reproduces that, and the loop names the audio encoder."""
    _refused_by_the_loop(tmp_path, "MusicFlamingoForConditionalGeneration", "musicflamingo", "input_features",
                         r".*no feature rule reproduces the input .* from the audio_encoder's outputs")


@pytest.mark.parametrize("class_name, model_type, rule", [
    ("AudioFlamingo3ForConditionalGeneration", "audioflamingo3", {"outputs": ["last_hidden_state"], "drop_leading": 0}),
    ("VoxtralForConditionalGeneration", "voxtral", {"outputs": ["last_hidden_state"], "drop_leading": 0, "width": 64, "keep_batch": False}),
    ("Qwen2AudioForConditionalGeneration", "qwen2_audio", {"outputs": ["last_hidden_state"], "drop_leading": 0}),  # decode takes the feature mask
    ("GlmAsrForConditionalGeneration", "glmasr", {"outputs": ["last_hidden_state"], "drop_leading": 0, "width": 128, "keep_batch": True}),
])
def test_the_loop_writes_audio_features_over_the_audio_placeholders(class_name: str, model_type: str, rule: dict, tmp_path) -> None:
    """An audio language model fed audio: the loop over its parts (audio encoder, the rule, projector,
    merge over audio_token_id) gives eager's tokens, unexported and exported (dynamo)."""
    handle, prompt = _loaded_tiny(tmp_path, class_name, model_type, "input_features")
    try:
        eager = OPS["generate_eager"](model=handle, inputs=prompt, max_new_tokens=STEPS)
        assert OPS["generate_unexported"](model=handle, inputs=prompt, max_new_tokens=STEPS)["tokens"] == eager["tokens"]
        exported = OPS["export_generation"](model=handle, backend="dynamo", inputs=prompt, out_dir=str(tmp_path / "out"), config={"dynamic": True})
        assert "audio_encoder" in exported["components"] and exported["config"]["audio_feature_rule"] == rule
        generated = OPS["generate_artifact"](manifest=exported["manifest"], inputs=prompt, max_new_tokens=STEPS)
    finally:
        OPS["unload"](handle=handle)
    assert generated["tokens"] == eager["tokens"]
