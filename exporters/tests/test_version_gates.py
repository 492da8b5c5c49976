"""Version-gated patches: a workaround applies only to the releases that need it, read from the
installed packages at export time, and listed per pin set from the pin files' versions."""

from pathlib import Path

import pytest
import torch

import hf_exporters  # noqa: F401  (imports every exporter, which registers their patches and fixes)
from hf_exporters.pins import base_version, installed_version, read_pin_file
from hf_exporters.utils import (
    active_patches,
    apply_fx_program_fixes,
    apply_patches,
    register_fx_program_fix,
    register_patch,
    registrations,
    unregister,
)
from hf_exporters.utils.version_gates import check_gate, gate_is_open

PINS = Path(__file__).resolve().parents[2] / "pins"
PIN_SETS = sorted(path.stem for path in PINS.glob("*.txt"))


class Greeter:
    def greet(self) -> str:
        return "plain"


@pytest.fixture
def backend(request: pytest.FixtureRequest):
    name = f"test-{request.node.name}"
    yield name
    unregister(name)


def torch_version() -> str:
    return base_version(installed_version("torch"))


def test_the_gate_reads_the_installed_version(backend: str) -> None:
    @register_patch(backend, f"{__name__}.Greeter.greet", applies_to={"torch": f"=={torch_version()}"})
    def _patch_this_torch(original):
        return lambda self: "this torch"

    @register_patch(backend, f"{__name__}.Greeter.greet", applies_to={"torch": f"!={torch_version()}"})
    def _patch_other_torch(original):
        return lambda self: "other torch"

    with apply_patches(backend):
        assert Greeter().greet() == "this torch"
    assert Greeter().greet() == "plain"


def test_a_fix_for_a_package_not_installed_is_not_applied(backend: str) -> None:
    ran = []

    @register_fx_program_fix(backend, applies_to={"not-an-installed-package": ">=0"})
    def _fix_absent(program) -> None:
        ran.append("absent")

    @register_fx_program_fix(backend, applies_to={"torch": ">=1.0"})
    def _fix_present(program) -> None:
        ran.append("present")

    apply_fx_program_fixes(backend, object())
    assert ran == ["present"]


def test_local_build_tags_and_prereleases_are_judged_by_their_number() -> None:
    gate = check_gate({"torch": "<2.14"}, "example")
    assert gate_is_open(gate, {"torch": "2.13.0+cu130"})
    assert not gate_is_open(gate, {"torch": "2.15.0+cu132"})
    # PEP 440: '<2.14' excludes 2.14's own pre-releases, so a 2.14 nightly counts as 2.14 (it may have
    # the fix); a pre-release of an older one is still admitted
    assert not gate_is_open(gate, {"torch": "2.14.0.dev20260101"})
    assert gate_is_open(gate, {"torch": "2.13.0rc1"})
    assert not gate_is_open(gate, {"onnx": "1.21.0"})  # no torch in the set: nothing to work around


def test_a_bad_specifier_names_the_patch_at_registration(backend: str) -> None:
    with pytest.raises(ValueError, match="_patch_typo: applies_to.*'torch'.*PEP 440"):
        @register_patch(backend, "torch.split", applies_to={"torch": "less than 2.14"})
        def _patch_typo(original):
            return original


def test_the_keyword_is_optional_and_positional_paths_still_work(backend: str) -> None:
    @register_patch(backend, f"{__name__}.Greeter.greet")
    def _patch_always(original):
        return lambda self: "always"

    assert active_patches({}, backend) == [f"{backend}:_patch_always"]
    with apply_patches(backend):
        assert Greeter().greet() == "always"


@pytest.mark.parametrize("pin_set", PIN_SETS)
def test_active_patches_per_pin_set(pin_set: str) -> None:
    """Each pin file's versions decide which workarounds are on; print the list for the record."""
    versions = read_pin_file(str(PINS / f"{pin_set}.txt"))
    active = active_patches(versions)
    print(f"{pin_set}: {len(active)} active: {active}")
    every = [r for r in registrations() if not r.backend.startswith("test-")]
    ungated = {r.name for r in every if r.applies_to is None}
    assert ungated <= set(active), "an ungated patch is always active"
    for r in every:
        if r.applies_to is not None:
            assert (r.name in active) is gate_is_open(r.applies_to, versions), r.name


def test_gates_close_where_upstream_has_the_fix() -> None:
    """The gates as measured: baseline needs every workaround; latest has onnxscript's index_put and
    masked_scatter lowerings and ExecuTorch's upper-bound fallback, so ours are off there."""
    fixed_upstream = {"onnx:_aten_index_put", "onnx:_aten_masked_scatter", "executorch:_patch_eval_upper_bound"}
    baseline = active_patches(read_pin_file(str(PINS / "baseline.txt")))
    latest = active_patches(read_pin_file(str(PINS / "latest.txt")))
    assert fixed_upstream <= set(baseline)
    assert not fixed_upstream & set(latest)
    assert set(latest) < set(baseline)
