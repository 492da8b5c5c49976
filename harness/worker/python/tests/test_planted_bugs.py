"""The wrong-weight debug plant: the export sees one row 1% off, the model is whole again after."""

import pytest
import torch

from sweep_worker.planted_bugs import planted
from sweep_worker.protocol import InputError


class _Head(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.body = torch.nn.Linear(4, 4)
        self.head = torch.nn.Linear(4, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))


def test_wrong_weight_perturbs_one_row_of_the_last_linear_and_restores_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SWEEP_WORKER_DEBUG", "1")
    torch.manual_seed(0)
    model = _Head().eval()
    original = model.head.weight
    before = original.detach().clone()
    x = torch.randn(2, 4)
    with torch.no_grad():
        right = model(x)
        with planted("wrong-weight", model):
            seen = model.head.weight.detach()
            wrong = model(x)
    torch.testing.assert_close(seen[0], before[0] * 1.01)
    torch.testing.assert_close(seen[1:], before[1:], rtol=0, atol=0)
    assert not torch.equal(wrong[:, 0], right[:, 0])
    torch.testing.assert_close(wrong[:, 1:], right[:, 1:], rtol=0, atol=0)
    assert model.head.weight is original
    torch.testing.assert_close(original.detach(), before, rtol=0, atol=0)


def test_wrong_weight_restores_the_weight_when_the_export_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SWEEP_WORKER_DEBUG", "1")
    model = _Head()
    original = model.head.weight
    with pytest.raises(RuntimeError, match="export failed"), planted("wrong-weight", model):
        raise RuntimeError("export failed")
    assert model.head.weight is original


def test_wrong_weight_names_what_it_needs_on_a_model_without_a_linear(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SWEEP_WORKER_DEBUG", "1")
    with pytest.raises(InputError, match="needs a torch.nn.Linear"), planted("wrong-weight", torch.nn.ReLU()):
        pass


def test_a_version_condition_plants_only_where_the_installed_release_matches(monkeypatch: pytest.MonkeyPatch) -> None:
    from importlib.metadata import version

    monkeypatch.setenv("SWEEP_WORKER_DEBUG", "1")
    model = _Head().eval()
    original = model.head.weight
    torch_version = version("torch")
    with planted(f"wrong-weight@torch=={torch_version}", model):
        assert model.head.weight is not original
    with planted(f"wrong-weight@torch!={torch_version}", model):
        assert model.head.weight is original
    with planted("wrong-weight@no-such-package>=1", model):
        assert model.head.weight is original
    with pytest.raises(InputError, match="not a requirement"):
        with planted("wrong-weight@torch>>=1", model):
            pass
