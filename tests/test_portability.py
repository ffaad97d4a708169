"""The packages import where ``fcntl`` does not exist (Windows): locks come from ``filelock``."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_packages_import_without_fcntl():
    code = (
        "import sys; sys.modules['fcntl'] = None\n"
        "import geo, layers, siting, dashboard\n"
        "import layers.project, dashboard._data, dashboard.app, siting.progress.store\n"
        "print('imported')"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "imported"
