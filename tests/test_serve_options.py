"""``xysiting serve`` options checked before anything is served (exit status 2, a clear message)."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--num-procs", "-1"], "must be 0 (one per core) or more"),
        (["--num-procs", "2", "--port", "0"], "needs a fixed --port"),
    ],
)
def test_num_procs_is_checked(tmp_path, capsys, args, words):
    from dashboard.cli import main

    assert main(["serve", str(tmp_path), *args]) == 2
    err = capsys.readouterr().err
    assert "--num-procs" in err and words in err and "Traceback" not in err
