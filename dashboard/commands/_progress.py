"""The command line's progress bars: a tqdm bar driven by a library function's callback.

Library functions (``layers``, ``siting``) take ``progress: Callable[[str], None] | None`` and
call it with the name of each stage as it starts; only the command line draws bars.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator

from tqdm import tqdm


@contextlib.contextmanager
def progress_bar(desc: str, total: int, *, enabled: bool = True) -> Iterator[Callable[[str], None]]:
    """A bar of ``total`` stages on stderr; yields the callback to pass as ``progress=``.

    Each call of the callback completes the stage before it and shows the new stage's name;
    leaving the block completes the last one.
    """
    with tqdm(total=total, desc=desc, unit="step", leave=False, disable=not enabled, file=sys.stderr) as bar:
        started = []

        def callback(stage: str) -> None:
            if started:
                bar.update()
            started.append(stage)
            bar.set_postfix_str(stage)

        yield callback
        bar.update(max(bar.total - bar.n, 0))
