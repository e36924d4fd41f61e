"""autograd.core: its one-argument make_vjp/make_jvp map onto admodes; the rest is autograd's machinery."""

from ._ops import NotApplicable, make_jvp_unary as make_jvp, make_vjp_unary as make_vjp, not_applicable


class _InternalTable(dict):
    """autograd's table of primitive derivative rules: nothing in admodes to read or write."""

    def _refuse(self, *args, **kwargs):
        raise NotApplicable("autograd.core.primitive_vjps is an autograd-internal API (not applicable to admodes)")

    __getitem__ = __setitem__ = pop = get = __contains__ = _refuse


primitive_vjps = _InternalTable()
primitive_jvps = _InternalTable()
vspace = not_applicable("core.vspace")
VSpace = not_applicable("core.VSpace")
primitive = not_applicable("core.primitive")
defvjp = not_applicable("core.defvjp")
defjvp = not_applicable("core.defjvp")

__all__ = ["make_vjp", "make_jvp", "primitive_vjps", "primitive_jvps", "vspace", "VSpace", "primitive"]
