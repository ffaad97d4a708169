"""Progress of the plan: indicators and bases, dated records, status against targets.

* :mod:`~siting.progress.indicators` — the plan's city-level indicators (targets, baselines).
* :mod:`~siting.progress.store` — the append-only records store in ``project.gpkg``.
* :mod:`~siting.progress.users` — users file, roles, salted password hashes.
* :mod:`~siting.progress.arithmetic` — units, rates, target paths.
* :mod:`~siting.progress.status` — where each indicator and base stands.
* :mod:`~siting.progress.links` — rooftop-PV potential and phosphogypsum routing beside targets.
"""

from siting.progress.indicators import INDICATORS, Indicator, get_indicator, indicators_frame
from siting.progress.store import (
    add_record,
    add_records,
    ensure_store,
    export_records,
    import_csv,
    read_audit,
    read_records,
    target_units,
)
from siting.progress.users import NotAuthorisedError, UserStore

__all__ = [
    "INDICATORS",
    "Indicator",
    "NotAuthorisedError",
    "UserStore",
    "add_record",
    "add_records",
    "ensure_store",
    "export_records",
    "get_indicator",
    "import_csv",
    "indicators_frame",
    "read_audit",
    "read_records",
    "target_units",
]
