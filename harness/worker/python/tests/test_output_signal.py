"""A job whose eager outputs are constant proves nothing: the worker refuses its sample shape."""

import pytest
import torch
import transformers

from sweep_worker.output_signal import constant_outputs, require_signal


def tiny_resnet() -> torch.nn.Module:
    torch.manual_seed(0)
    config = transformers.ResNetConfig(embedding_size=8, hidden_sizes=[8, 16], depths=[1, 1], num_labels=3)
    return transformers.ResNetForImageClassification(config).eval()


def test_varying_outputs_pass() -> None:
    with torch.no_grad():
        outputs = tiny_resnet()(pixel_values=torch.rand(2, 3, 32, 32))
    assert constant_outputs(outputs) is None
    require_signal(outputs)


def test_collapsed_logits_are_refused_with_the_fix() -> None:
    model = tiny_resnet()
    with torch.no_grad():
        model.classifier[-1].weight.zero_()  # what a tiny config whose activations die leaves: logits all 0
        model.classifier[-1].bias.zero_()
        outputs = model(pixel_values=torch.rand(2, 3, 32, 32))
    assert constant_outputs(outputs) == "logits: all 0"
    with pytest.raises(ValueError, match=r"constant \(logits: all 0\).*tinyConfig in harness/architectures/architectures.json"):
        require_signal(outputs)


def test_integer_and_single_element_outputs_are_no_evidence() -> None:
    assert constant_outputs({"ids": torch.zeros(2, 3, dtype=torch.long), "loss": torch.tensor(0.0)}) is None
