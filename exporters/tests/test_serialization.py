"""A program saved with torch.export.save loads in a fresh process through ``hf_exporters.load``,
where plain ``torch.export.load`` cannot rebuild transformers' output and cache classes."""

import math
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch
from torch._export.serde.serialize import SerializeError

from hf_exporters import DynamoConfig, DynamoExporter, OnnxConfig, OnnxExporter, load
from hf_exporters.serialization import spec_type_names

from .tiny_models import build_tiny, text_inputs

REPO_EXPORTERS = Path(__file__).resolve().parents[1]


def _fresh_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=600,
                          env={"PYTHONPATH": str(REPO_EXPORTERS), "PATH": "/usr/bin:/bin"})


@pytest.mark.parametrize("model_type", ["bert", "llama"])
def test_saved_program_loads_in_a_fresh_process(model_type: str, tmp_path: Path) -> None:
    model = build_tiny(model_type)
    program = DynamoExporter().export(model, text_inputs(model, 2, 7), DynamoConfig(dynamic=True))
    saved = tmp_path / f"{model_type}.pt2"
    torch.export.save(program, saved)
    other = text_inputs(model, 3, 5, seed=1)
    torch.save(other, tmp_path / "inputs.pt")
    with torch.no_grad():
        expected = model(**other)[0]
    torch.save(expected, tmp_path / "expected.pt")

    names = spec_type_names(saved)
    assert any(name.startswith("transformers.modeling_outputs.") for name in names), names

    plain = _fresh_python(f"import torch; torch.export.load({str(saved)!r})")
    assert plain.returncode != 0  # the failure users hit: nothing registers transformers' classes
    assert "is not registered" in plain.stderr or "deserializing" in plain.stderr.lower()

    ours = _fresh_python(f"""
        import torch, hf_exporters
        program = hf_exporters.load({str(saved)!r})
        inputs = torch.load({str(tmp_path / 'inputs.pt')!r})
        out = program.module()(**inputs)
        torch.testing.assert_close(out[0], torch.load({str(tmp_path / 'expected.pt')!r}), atol=1e-4, rtol=1e-4)
        print("loaded", type(out).__name__)
    """)
    assert ours.returncode == 0, ours.stderr[-3000:]
    assert "loaded" in ours.stdout


class _UnusedNoGradBlock(torch.nn.Module):
    """A ``no_grad`` block whose value nothing reads, as Reformer's layers leave one."""

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("seen", torch.zeros(()))

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        hidden = input_ids.float() * 2
        with torch.no_grad():
            unused = hidden.argsort(-1)  # noqa: F841
        return hidden + 1


class _CountingNoGradBlock(_UnusedNoGradBlock):
    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            self.seen.add_(1)  # a mutation: the block has an effect though it returns nothing
        return input_ids.float() + 1


def _grad_mode_calls(program) -> int:
    return sum(node.target is torch.ops.higher_order.wrap_with_set_grad_enabled for node in program.graph.nodes)


def test_a_grad_mode_block_without_outputs_does_not_stop_the_program_loading(tmp_path: Path) -> None:
    inputs = {"input_ids": torch.arange(6).reshape(2, 3)}
    plain = torch.export.export(_UnusedNoGradBlock(), (), inputs, strict=False)
    assert _grad_mode_calls(plain) == 1
    torch.export.save(plain, tmp_path / "plain.pt2")
    with pytest.raises(Exception, match="wrap_with_set_grad_enabled.* is missing val field"):  # torch's own round trip
        torch.export.load(tmp_path / "plain.pt2")

    program = DynamoExporter().export(_UnusedNoGradBlock(), dict(inputs), DynamoConfig(dynamic=True))
    assert _grad_mode_calls(program) == 0
    torch.export.save(program, tmp_path / "ours.pt2")
    other = {"input_ids": torch.arange(20).reshape(4, 5)}
    torch.testing.assert_close(load(str(tmp_path / "ours.pt2")).module()(**other), _UnusedNoGradBlock()(**other))

    # a block that mutates state stays: dropping it would lose the update
    assert _grad_mode_calls(DynamoExporter().export(_CountingNoGradBlock(), dict(inputs), DynamoConfig())) == 1


class _EmptyQueries(torch.nn.Module):
    """A parameter with no elements beside real ones, as GraniteSpeech's projector has none of its
    ``window_size // downsample_rate`` queries when the window is smaller than the rate."""

    def __init__(self) -> None:
        super().__init__()
        self.query = torch.nn.Parameter(torch.zeros(1, 0, 4))
        self.proj = torch.nn.Linear(4, 4)

    def forward(self, input_features: torch.Tensor) -> torch.Tensor:
        return self.proj(torch.cat([self.query.expand(input_features.shape[0], -1, -1), input_features], dim=1))


def _loaded_from_safetensors(model: torch.nn.Module, path: Path) -> torch.nn.Module:
    # from_pretrained's way: the file's tensors assigned, a zero-element one a view with a null data
    # pointer into a storage that has an address
    from safetensors.torch import load_file, save_model

    save_model(model, str(path))
    model.load_state_dict(load_file(str(path)), assign=True)
    assert model.query.data_ptr() != model.query.untyped_storage().data_ptr()
    return model


def test_a_weight_without_elements_does_not_stop_the_program_saving(tmp_path: Path) -> None:
    model = _loaded_from_safetensors(_EmptyQueries(), tmp_path / "model.safetensors")
    inputs = {"input_features": torch.randn(2, 3, 4)}
    plain = torch.export.export(model, (), dict(inputs), strict=False)
    with pytest.raises(RuntimeError, match="integer multiplication overflow"):  # torch's own save
        torch.export.save(plain, tmp_path / "plain.pt2")

    program = DynamoExporter().export(model, dict(inputs), DynamoConfig(dynamic=True))
    torch.export.save(program, tmp_path / "ours.pt2")
    other = {"input_features": torch.randn(3, 5, 4)}
    with torch.no_grad():
        torch.testing.assert_close(load(str(tmp_path / "ours.pt2")).module()(**other), model(**other))


class _Blocks(torch.nn.Module):
    """Frames split into whole windows, the last one padded (Granite Speech's projector)."""

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        blocks = math.ceil(frames.shape[1] / 5)
        padded = torch.nn.functional.pad(frames, (0, 0, 0, blocks * 5 - frames.shape[1]))
        return padded.view(frames.shape[0] * blocks, 5, frames.shape[2]).sum(1)


def test_a_ceil_of_a_dynamic_size_does_not_stop_the_program_saving(tmp_path: Path) -> None:
    model, inputs = _Blocks(), {"frames": torch.randn(2, 12, 3)}
    dims = {"frames": {0: torch.export.Dim.DYNAMIC, 1: torch.export.Dim.DYNAMIC}}
    plain = torch.export.export(model, (), dict(inputs), dynamic_shapes=dims, strict=False)
    with pytest.raises(SerializeError, match="Failed serializing node ceil"):  # torch's own save
        torch.export.save(plain, tmp_path / "plain.pt2")

    program = DynamoExporter().export(model, dict(inputs), DynamoConfig(dynamic=True))
    torch.export.save(program, tmp_path / "ours.pt2")
    loaded = load(str(tmp_path / "ours.pt2")).module()
    onnx = OnnxExporter().export(model, dict(inputs), OnnxConfig(dynamic=True))  # the same rewrite, in ONNX's integer ops
    for shape in [(3, 10, 3), (1, 11, 3), (2, 15, 3), (4, 16, 3)]:  # padded by 0 to 4 frames
        other = torch.randn(*shape)
        torch.testing.assert_close(loaded(frames=other), model(other))
        torch.testing.assert_close(onnx(frames=other)[0], model(other), rtol=1e-5, atol=1e-5)
