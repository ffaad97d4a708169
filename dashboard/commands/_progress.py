"""The command line's progress bars: a tqdm bar driven by a library function's callback.

Library functions (``layers``, ``siting``) take ``progress(fraction, message)`` — the share
done (0 to 1) and what is happening — as an optional callback; only the command line draws
bars.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator

from tqdm import tqdm


@contextlib.contextmanager
def progress_bar(desc: str, *, enabled: bool = True, leave: bool = False) -> Iterator[Callable[[float, str], None]]:
    """A percentage bar on stderr; yields the ``progress(fraction, message)`` callback to pass on."""
    with tqdm(total=100, desc=desc, unit="%", leave=leave, disable=not enabled, file=sys.stderr) as bar:

        def progress(fraction: float, message: str) -> None:
            bar.n = round(100 * min(max(float(fraction), 0.0), 1.0))
            bar.set_postfix_str(message)  # refreshes the bar

        yield progress
