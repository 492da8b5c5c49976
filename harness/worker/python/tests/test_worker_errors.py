"""What the worker tells the harness about a failure and about the inputs it fed: the cause chain of
an error reply, and the modality inputs a recipe fed or left out, on real transformers models."""

import json
import os
import subprocess
import sys

import pytest
import transformers

from sweep_worker.model_folder import resolve_model_class
from sweep_worker.protocol import PROTOCOL_VERSION, InputError, WorkerError, cause_chain, error_reply
from sweep_worker.sample_inputs import build_recipe, inputs_not_fed
from sweep_worker.tiny_config import tiny_config


class ExportError(WorkerError):
    kind = "export"


def _raise_chain() -> None:
    try:
        try:
            {}["missing"]
        except KeyError as err:
            raise ValueError("bad dim") from err
    except ValueError as err:
        raise ExportError("dynamo export failed: ValueError: bad dim") from err


def test_the_cause_chain_runs_outermost_first_through_cause_and_context() -> None:
    try:
        try:
            raise OSError("disk")
        except OSError:
            _raise_chain()  # raised while handling OSError: its __context__ chain ends there
    except ExportError as err:
        chain = cause_chain(err)
    assert [link["type"] for link in chain] == ["ExportError", "ValueError", "KeyError", "OSError"]
    assert chain[1]["message"] == "bad dim" and chain[2]["message"] == "'missing'"


def test_a_suppressed_context_is_left_out() -> None:
    try:
        try:
            raise KeyError("inner")
        except KeyError:
            raise RuntimeError("outer") from None
    except RuntimeError as err:
        assert [link["type"] for link in cause_chain(err)] == ["RuntimeError"]


def test_an_error_reply_has_the_root_type_the_chain_and_a_traceback_with_every_link() -> None:
    try:
        _raise_chain()
    except ExportError as err:
        body = error_reply(err)
    assert body["kind"] == "export" and body["type"] == "ValueError"
    assert [link["type"] for link in body["causes"]] == ["ExportError", "ValueError", "KeyError"]
    assert "The above exception was the direct cause" in body["trace"] and "_raise_chain" in body["trace"]
    assert "native_stderr" not in body


def test_native_stderr_attached_to_any_link_travels_with_the_reply() -> None:
    inner = RuntimeError("method->execute() failed with error 0x12")
    inner.native_stderr = "[method.cpp:1] Missing operator: aten::foo"  # type: ignore[attr-defined]
    try:
        raise InputError("run failed") from inner
    except InputError as err:
        assert error_reply(err)["native_stderr"] == "[method.cpp:1] Missing operator: aten::foo"


def test_the_worker_process_replies_with_the_chain() -> None:
    # the real worker, over its real stdio protocol: a load of a folder that does not exist
    request = {"v": PROTOCOL_VERSION, "id": 1, "op": "load", "args": {"model_dir": "/nonexistent/model"}}
    done = subprocess.run([sys.executable, "-m", "sweep_worker"], input=json.dumps(request) + "\n",
                          capture_output=True, text=True, timeout=300, env={**os.environ, "SWEEP_WORKER_THREADS": "1"})
    ready, reply = (json.loads(line) for line in done.stdout.splitlines())
    assert ready["protocol"] == PROTOCOL_VERSION == reply["v"]
    assert reply["ok"] is False and reply["error"]["type"] == "InputError"
    assert reply["error"]["causes"] == [{"type": "InputError", "message": reply["error"]["message"]}]


def test_a_config_that_fetches_from_the_hub_is_refused_offline_with_the_fix(tmp_path) -> None:
    # EdgeTAM's defaults load timm/repvit_m1 from huggingface.co: the worker must not download it
    # (nor retry for 20 s where there is no network), and the error must say what to do
    request = {"v": PROTOCOL_VERSION, "id": 1, "op": "make_tiny", "args": {
        "model_class": "EdgeTamModel", "model_type": "edgetam", "out_dir": str(tmp_path / "edgetam"), "shrink": True}}
    env = {k: v for k, v in os.environ.items() if k != "HF_HUB_OFFLINE"}
    done = subprocess.run([sys.executable, "-m", "sweep_worker"], input=json.dumps(request) + "\n",
                          capture_output=True, text=True, timeout=300, env={**env, "SWEEP_WORKER_THREADS": "1"})
    _, reply = (json.loads(line) for line in done.stdout.splitlines())
    assert reply["ok"] is False and reply["error"]["kind"] == "input" and reply["error"]["type"] == "OSError", reply
    assert "HF_HUB_OFFLINE=1" in reply["error"]["message"] and "tinyConfig" in reply["error"]["message"]
    assert "LocalEntryNotFoundError" in {link["type"] for link in reply["error"]["causes"]}
    assert not (tmp_path / "edgetam").exists()


def test_a_vision_language_model_fed_text_only_names_its_image_and_video_inputs() -> None:
    model = transformers.Qwen2VLForConditionalGeneration(tiny_config("qwen2_vl")).eval()
    inputs, _ = build_recipe(model, batch=2, seq=5)
    assert "pixel_values" not in inputs  # no recipe builds Qwen2-VL's image grid (yet)
    assert inputs_not_fed(model, inputs) == ["pixel_values", "image_grid_thw", "pixel_values_videos", "video_grid_thw"]


def test_a_fed_modality_lists_nothing_not_even_its_optional_companions() -> None:
    llava = transformers.LlavaForConditionalGeneration(tiny_config("llava", {"image_token_id": 500})).eval()
    inputs, _ = build_recipe(llava, batch=2, seq=5)
    assert "pixel_values" in inputs and "image_sizes" in transformers.utils.generic.inspect.signature(llava.forward).parameters
    assert inputs_not_fed(llava, inputs) == []
    clip = transformers.CLIPModel(tiny_config("clip")).eval()
    assert inputs_not_fed(clip, build_recipe(clip, batch=2, seq=5)[0]) == []


def test_text_and_single_modality_models_list_nothing() -> None:
    for model_type, cls in [("llama", transformers.LlamaForCausalLM), ("whisper", transformers.WhisperForConditionalGeneration),
                            ("wav2vec2", transformers.Wav2Vec2Model), ("vit", transformers.ViTModel)]:
        model = cls(tiny_config(model_type)).eval()
        inputs, _ = build_recipe(model, batch=2, seq=5)
        assert inputs_not_fed(model, inputs) == [], model_type


def test_a_class_whose_package_the_pins_lack_names_the_package_not_an_unknown_class() -> None:
    # transformers hands out a placeholder for HiggsAudioV2TokenizerModel without torchaudio (which
    # no release builds for the pinned torch): the job must read as a missing package, not a typo
    with pytest.raises(ImportError, match=r"'HiggsAudioV2TokenizerModel' needs torchaudio, which this pin set does not install"):
        resolve_model_class("HiggsAudioV2TokenizerModel")
    with pytest.raises(Exception, match=r"is not a transformers model class"):
        resolve_model_class("NoSuchModelForAnything")
