import types

import pytest
import torch

from hf_exporters.utils import (
    _FX_NODE_FIXES,
    _FX_PROGRAM_FIXES,
    _PATCHES,
    apply_fx_node_fixes,
    apply_fx_program_fixes,
    apply_patches,
    register_fx_node_fix,
    register_fx_program_fix,
    register_patch,
    unregister,
)


class Base:
    def greet(self) -> str:
        return "base"


class ChildA(Base):
    def greet(self) -> str:
        return "a"


class ChildB(Base):
    pass  # inherits greet: a patch must be removed again, not left shadowing Base.greet


@pytest.fixture
def backend(request: pytest.FixtureRequest):
    name = f"test-{request.node.name}"
    yield name
    unregister(name)
    for registry in (_PATCHES, _FX_NODE_FIXES, _FX_PROGRAM_FIXES):
        registry.pop(name, None)


def test_patch_is_applied_then_restored(backend: str) -> None:
    @register_patch(backend, f"{__name__}.ChildA.greet")
    def _patch_greet(original):
        return lambda self: "patched " + original(self)

    with apply_patches(backend):
        assert ChildA().greet() == "patched a"
    assert ChildA().greet() == "a"


def test_patch_is_restored_when_the_body_raises(backend: str) -> None:
    @register_patch(backend, "torch.split")
    def _patch_split(original):
        return lambda *args, **kwargs: "patched"

    original = torch.split
    with pytest.raises(RuntimeError, match="export failed"):
        with apply_patches(backend):
            assert torch.split(torch.arange(4), 2) == "patched"
            raise RuntimeError("export failed")
    assert torch.split is original


def test_two_paths_share_one_factory_and_inherited_attributes_come_back(backend: str) -> None:
    calls = []

    @register_patch(backend, f"{__name__}.ChildA.greet", f"{__name__}.ChildB.greet")
    def _patch_greet(original):
        calls.append(original)
        return lambda self: "shared"

    with apply_patches(backend):
        assert ChildA().greet() == ChildB().greet() == "shared"
    assert len(calls) == 2 and calls[0] is not calls[1]
    assert ChildA().greet() == "a" and ChildB().greet() == "base"
    assert "greet" not in ChildB.__dict__


def test_unresolvable_path_is_skipped(backend: str) -> None:
    @register_patch(backend, "not_an_installed_backend.module.op", "torch.split")
    def _patch(original):
        return original

    assert [attr for _, attr, _ in _PATCHES[backend]] == ["split"]


def test_register_patch_needs_a_path(backend: str) -> None:
    with pytest.raises(ValueError, match="needs at least one dotted path"):
        register_patch(backend)


class AddThenRelu(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(x + 1) * 2


def test_node_fixes_run_in_order_until_consumed_and_dce_follows(backend: str) -> None:
    gm = torch.fx.symbolic_trace(AddThenRelu())
    seen: list[str] = []

    @register_fx_node_fix(backend)
    def _fix_relu_to_identity(gm, node) -> bool:
        seen.append(f"first:{node.target.__name__}")
        if node.target is torch.relu:
            node.replace_all_uses_with(node.args[0])
            gm.graph.erase_node(node)
            return True
        return False

    @register_fx_node_fix(backend)
    def _fix_second(gm, node) -> bool:
        seen.append(f"second:{node.target.__name__}")
        return False

    apply_fx_node_fixes(backend, gm)
    targets = [n.target for n in gm.graph.nodes if n.op == "call_function"]
    assert torch.relu not in targets
    assert "first:relu" in seen and "second:relu" not in seen  # consumed nodes skip later fixes
    assert torch.allclose(gm(torch.tensor([-3.0, 1.0])), torch.tensor([-4.0, 4.0]))


def test_dead_code_is_eliminated_after_the_walk(backend: str) -> None:
    gm = torch.fx.symbolic_trace(AddThenRelu())

    @register_fx_node_fix(backend)
    def _fix_bypass_mul(gm, node) -> bool:
        if node.target.__name__ == "mul":
            node.replace_all_uses_with(node.args[0])  # mul's producer chain stays, mul itself is now dead
            return True
        return False

    apply_fx_node_fixes(backend, gm)
    names = [n.target.__name__ for n in gm.graph.nodes if n.op == "call_function"]
    assert "mul" not in names and "relu" in names


def test_program_fixes_run_in_registration_order(backend: str) -> None:
    program = types.SimpleNamespace(log=[])

    @register_fx_program_fix(backend)
    def _fix_one(ep) -> None:
        ep.log.append(1)

    @register_fx_program_fix(backend)
    def _fix_two(ep) -> None:
        ep.log.append(2)

    apply_fx_program_fixes(backend, program)
    assert program.log == [1, 2]
