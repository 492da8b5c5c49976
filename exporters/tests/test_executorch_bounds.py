"""An input outside the size range a .pte was planned for is named, with its dim, bound and fix,
instead of the runtime's bare "method->set_inputs() failed with error 0x10" (or execute()'s 0x12)."""

from __future__ import annotations

import pytest
import torch
from executorch.runtime import Runtime
from torch.export import Dim

from hf_exporters import ExecutorchConfig, ExecutorchExporter
from hf_exporters.executorch_bounds import ExecutorchInputShapeError
from hf_exporters.generation import executorch_runner


class Scale(torch.nn.Module):
    def forward(self, x):
        return x * 2


@pytest.fixture(scope="module")
def bounded_manager():
    """x: batch fixed at 2, length 4..32 (explicit bounds)."""
    config = ExecutorchConfig(dynamic_shapes={"x": {1: Dim("length", min=4, max=32)}})
    return ExecutorchExporter().export(Scale(), {"x": torch.rand(2, 8)}, config)


def test_manager_records_the_planned_ranges(bounded_manager) -> None:
    assert bounded_manager.hf_input_bounds == {"x": [[2, 2], [4, 32]]}


def test_over_bound_input_names_input_dim_bound_and_fix(bounded_manager, tmp_path) -> None:
    run = executorch_runner(bounded_manager)
    x = torch.rand(2, 32)
    torch.testing.assert_close(run({"x": x})["output"], x * 2)  # the bound itself is inside
    with pytest.raises(ExecutorchInputShapeError) as caught:
        run({"x": torch.rand(2, 40)})
    message = str(caught.value)
    for part in ("'x'", "dim 1 is 40", "bound 32", "range 4..32", "Dim('x_1', max=40)", "feed at most 32"):
        assert part in message, (part, message)
    # what the check saves the user from: the runtime's own error names nothing
    path = tmp_path / "scale.pte"
    path.write_bytes(bounded_manager.buffer)
    method = Runtime.get().load_program(str(path)).load_method("forward")
    with pytest.raises(RuntimeError, match=r"failed with error 0x[0-9a-f]+$"):
        method.execute([torch.rand(2, 40)])


def test_static_dims_and_rank_are_named(bounded_manager) -> None:
    run = executorch_runner(bounded_manager)
    with pytest.raises(ExecutorchInputShapeError, match=r"'x' dim 0 is 3, but the \.pte was exported with that dim fixed at 2"):
        run({"x": torch.rand(3, 8)})
    with pytest.raises(ExecutorchInputShapeError, match="has 3 dims"):
        run({"x": torch.rand(2, 8, 1)})
