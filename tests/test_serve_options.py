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


def test_a_browser_closing_mid_message_is_one_log_line_not_a_traceback(capfd, caplog):
    """Tornado's WebSocketClosedError in an unawaited task (a browser that left while Bokeh
    wrote to it) is reported in one line; any other task error still reaches asyncio's
    default handler with its traceback."""
    import asyncio
    import gc

    from tornado.websocket import WebSocketClosedError

    from dashboard.commands.serve import _quiet_closed_connections

    async def closed():
        raise WebSocketClosedError()

    async def broken():
        raise ValueError("a real bug")

    async def main():
        _quiet_closed_connections()
        for coro in (closed(), broken()):
            task = asyncio.get_running_loop().create_task(coro)
            await asyncio.sleep(0.01)
            del task
            gc.collect()

    asyncio.run(main())
    err = capfd.readouterr().err
    assert "a browser closed its connection" in err
    logged = caplog.text  # asyncio's default handler logs through `logging`
    assert "WebSocketClosedError" not in err + logged
    assert "Task exception was never retrieved" in logged and "a real bug" in logged
