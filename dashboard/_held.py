"""One batched page update: the changes reach the browser in one patch, and Bokeh works out
the page's model graph once.

``pn.io.hold`` alone sends one patch, but Bokeh still walks the whole document after every
change that swaps a model reference (new Tabulator columns, a tooltip, a replotted
histogram): about 50 ms each on the default project, six times per language switch.
:meth:`bokeh.document.models.DocumentModelManager.freeze` defers that walk to the end.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import panel as pn


@contextlib.contextmanager
def held(doc=None) -> Iterator[None]:
    """Hold the session's events (one patch) and freeze its model graph (one recount).

    The freeze ends first, so the models made inside are part of the document when the held
    events are sent.  Outside a session this is ``pn.io.hold()`` alone.
    """
    doc = doc if doc is not None else pn.state.curdoc
    with pn.io.hold(doc):
        freeze = doc.models.freeze() if doc is not None else contextlib.nullcontext()
        with freeze:
            yield
