"""hf_exporters is what a user installs: importing all of it loads nothing of the sweep harness."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

EXPORTERS = Path(__file__).resolve().parents[1]


def test_importing_every_module_loads_no_harness_module() -> None:
    script = (
        "import importlib, pkgutil, sys\n"
        "import hf_exporters\n"
        "for info in pkgutil.walk_packages(hf_exporters.__path__, 'hf_exporters.'):\n"
        "    importlib.import_module(info.name)\n"
        "harness = sorted(name for name in sys.modules if name.startswith(('sweep_worker', 'harness')))\n"
        "assert not harness, harness\n"
        "print(len([n for n in sys.modules if n.startswith('hf_exporters')]))\n"
    )
    # only the exporters' folder on the path, as after `pip install exporters/`
    env = {**os.environ, "PYTHONPATH": str(EXPORTERS)}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout.split()[-1]) > 15  # the walk reached the whole package
    assert not (EXPORTERS / "hf_exporters" / "worker").exists()
