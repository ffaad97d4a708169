"""The one error type a user sees.

Every problem caused by the user's input (a file, a layer, a column, a row, an option)
is raised as :class:`InputError` with a message that names the thing at fault and says
how to fix it.  The command line turns it into a message on stderr and exit status 2;
the dashboard shows it as a notification.  Anything else is a bug.
"""

from __future__ import annotations


class InputError(ValueError):
    """Bad user input: the message names the file/layer/column/row and the fix."""


def describe_rows(index_values, *, limit: int = 5) -> str:
    """Describe a few offending row labels for an error message.

    Parameters
    ----------
    index_values : iterable
        Labels (index values or ids) of the offending rows.
    limit : int
        How many to list before summarising the rest.

    Returns
    -------
    str
        e.g. ``"rows 3, 7, 12 (and 40 more)"``.
    """
    values = list(index_values)
    shown = ", ".join(str(v) for v in values[:limit])
    more = f" (and {len(values) - limit} more)" if len(values) > limit else ""
    noun = "row" if len(values) == 1 else "rows"
    return f"{noun} {shown}{more}"
