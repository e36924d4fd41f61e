"""admodes: automatic differentiation of plain NumPy code in two modes.

Forward mode pushes tangents through dual numbers (``admodes.forward``); reverse
mode records a tape and sweeps it backwards (``admodes.reverse``). Both read their
derivative rules from one primitive table (``admodes.core`` and ``admodes.ops``), and
the API (``admodes.api``) puts them behind the functions below.

>>> import numpy as np, admodes as ad
>>> f = lambda a, b, c: (a + b) * (b + c)
>>> ad.grad(f, argnums=(0, 1, 2))(-1.0, 3.0, 4.0)
(array(7.), array(9.), array(2.))
"""

from . import numpy_layer as _numpy_layer  # installs NumPy's protocols on traced values
from .api import grad, hvp, jvp, linear_transpose, linearize, stop_gradient, value_and_grad, vjp
from .batching import vmap
from .jacobians import ModeChoice, choose_mode, hessian, jacfwd, jacobian, jacrev
from .checking import check_grads
from .core import PRIMITIVES, AdmodesError
from .cost import OpCounter, count_ops
from .cost.memory import MemoryProfile, memory_profile
from .custom import custom_jvp, custom_vjp
from .checkpoint import checkpoint
from .loop import checkpointed_loop
from .forward import Dual
from .graph import Graph, trace
from .tape.replay import RecordedTape, record
from .reverse import Node, Tape
from .sparse import SparseJacobian, SparsityPattern, jacobian_sparsity, sparse_jacobian
from .tree import (register_dataclass, register_pytree_node, register_pytree_node_class, tree_flatten, tree_leaves,
                   tree_map, tree_structure, tree_unflatten)

supported_functions = _numpy_layer.supported_functions

__version__ = "0.1.0"

__all__ = [
    "grad", "value_and_grad", "vmap", "jvp", "vjp", "linearize", "linear_transpose", "stop_gradient", "jacobian", "jacfwd", "jacrev", "hessian", "hvp",
    "choose_mode", "ModeChoice", "count_ops", "OpCounter", "memory_profile", "MemoryProfile", "AdmodesError", "PRIMITIVES",
    "Dual", "Node", "Tape", "trace", "Graph", "tree_flatten", "tree_unflatten", "tree_map",
    "tree_leaves", "tree_structure", "register_pytree_node", "register_pytree_node_class", "register_dataclass", "supported_functions",
    "custom_jvp", "custom_vjp", "checkpoint", "checkpointed_loop", "check_grads", "record", "RecordedTape",
    "sparse_jacobian", "jacobian_sparsity", "SparseJacobian", "SparsityPattern",
]
