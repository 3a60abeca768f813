"""Which ops consume the outputs of an op, computed once for a whole graph."""

import collections


class InputToOps(object):
  """A map from each op to the ops that read its outputs.

  A snapshot of the graph when built: rewrites that add or reroute ops
  afterwards are not reflected.
  """

  def __init__(self, graph):
    self._mapping = collections.defaultdict(set)
    for op in graph.get_operations():
      for tensor in op.inputs:
        self._mapping[tensor.op].add(op)

  def ConsumerOperations(self, producer_op):
    """The set of ops that read an output of `producer_op`."""
    return set(self._mapping.get(producer_op, ()))
