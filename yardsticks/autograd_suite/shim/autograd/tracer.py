"""autograd.tracer: ``isbox`` asks whether a value is traced (admodes' tracers), ``primitive`` is extend's."""

from ._ops import isbox, not_applicable
from .extend import primitive

Box = not_applicable("tracer.Box")
new_box = not_applicable("tracer.new_box")
getval = not_applicable("tracer.getval")

__all__ = ["isbox", "primitive", "Box", "new_box", "getval"]
