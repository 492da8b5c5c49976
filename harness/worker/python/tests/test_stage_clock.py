"""The export stage clock: real exports of a small module, timed by library stage, entry points put back."""

from __future__ import annotations

import time

import pytest
import torch

from sweep_worker.implementations import get_export
from sweep_worker.stage_clock import stage_clock

EXPECTED = {
    "dynamo": {"trace"},
    "onnx": {"trace", "onnx_translate"},
    "executorch": {"trace", "lower", "to_executorch"},
}


class Mlp(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.up, self.down = torch.nn.Linear(8, 16), torch.nn.Linear(16, 8)

    def forward(self, x):
        return self.down(torch.relu(self.up(x)))


@pytest.mark.parametrize("backend", ["dynamo", "onnx", "executorch"])
def test_stages_add_up_to_the_export(backend: str, tmp_path) -> None:
    export, decompose = torch.export.export, vars(torch.export.ExportedProgram)["run_decompositions"]
    start = time.perf_counter()
    with stage_clock() as stages:
        get_export(backend)(Mlp(), {"x": torch.rand(2, 8)}, {}, tmp_path)
    total = (time.perf_counter() - start) * 1000
    assert EXPECTED[backend] <= set(stages), stages
    assert all(ms >= 0 for ms in stages.values()), stages
    assert sum(stages.values()) <= total  # exclusive times: a stage called inside another is not counted twice
    assert torch.export.export is export  # put back after the block
    assert vars(torch.export.ExportedProgram)["run_decompositions"] is decompose


def test_a_failing_stage_still_puts_entry_points_back() -> None:
    export = torch.export.export
    with pytest.raises(RuntimeError), stage_clock():
        raise RuntimeError("export failed")
    assert torch.export.export is export
