"""What the data is: layer schemas, readers for real formats, validation, the project store
and the embedded Xiangyang default.  Imports ``geo`` only."""

from geo.crs import require_crs
from layers.conform import conform
from layers.project import Project
from layers.schema import LAYER_KINDS, SCHEMAS, get_schema

__all__ = ["LAYER_KINDS", "SCHEMAS", "Project", "conform", "get_schema", "require_crs"]
