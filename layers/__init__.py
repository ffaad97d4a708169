"""What the data is: layer schemas, readers for real formats, validation, the project store
and the embedded Xiangyang default.  Imports ``geo`` only."""

from layers.project import Project
from layers.schema import LAYER_KINDS, SCHEMAS, get_schema

__all__ = ["LAYER_KINDS", "SCHEMAS", "Project", "get_schema"]
