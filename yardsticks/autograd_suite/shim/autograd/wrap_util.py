"""``unary_to_nary``: argument plumbing for operators written on one-argument functions."""

from ._ops import nary as unary_to_nary

__all__ = ["unary_to_nary"]
