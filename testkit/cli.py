"""Running the `tepai` command line as a subprocess, as a person would: no TEPAI_* variables but
the ones given, and this tree's code (PYTHONPATH), whatever the virtualenv was installed from."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from testkit.databases import EXAMPLES, ROOT


def cli_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TEPAI_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    env.update(extra)
    return env


def tepai(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    # The timeout only catches a hang: `tepai demo` seeds a year and renders dossiers, which takes
    # minutes on a loaded 2-core machine running the suite on both cores.
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=cwd, env=cli_env(**env),
                          capture_output=True, text=True, timeout=400)


@pytest.fixture(scope="module")
def imported_dir(tmp_path_factory) -> Path:  # noqa: ANN001
    """A working directory whose default database holds the example workbook."""
    folder = tmp_path_factory.mktemp("imported")
    result = tepai(folder, "import", str(EXAMPLES / "tepai-example.xlsx"))
    assert result.returncode == 0, result.stderr
    return folder
