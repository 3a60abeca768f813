"""Op-type patterns matched against tf.compat.v1 graphs.

The rewrites in this package find layers by the shape of the subgraph they
left behind (a convolution reading a variable, feeding a batch norm, ...),
not by names, so any model built with the usual layers is recognised. A
pattern is a small tree: an op type (or '*', or 'A|B'), and patterns for the
op's inputs. Matching walks from a candidate op towards its inputs.

    weights = OpTypePattern('ReadVariableOp')
    conv = OpTypePattern('Conv2D|DepthwiseConv2dNative', inputs=['*', weights])
    for match in GraphMatcher(conv).match_graph(graph):
      match.get_op(conv), match.get_tensor(weights)
"""

import itertools


class Pattern(object):
  """A node of a pattern tree."""

  def match(self, op, tensor):
    """Returns a MatchResult if `op` (producing `tensor`) matches, else None."""
    raise NotImplementedError


class OpTypePattern(Pattern):
  """Matches an op by type and, optionally, its inputs.

  Args:
    op_type: an op type ('Conv2D'), alternatives separated by '|'
      ('Relu|Relu6') or '*' for any op.
    inputs: None to accept any inputs, else one pattern per input (a Pattern,
      or a string, which is turned into an OpTypePattern); the op must have
      exactly that many inputs.
    ordered_inputs: False lets the inputs match in any order (for commutative
      ops such as Mul and AddV2).
  """

  def __init__(self, op_type, inputs=None, ordered_inputs=True):
    self._op_type = op_type
    self._op_types = None if op_type == '*' else frozenset(op_type.split('|'))
    if inputs is not None:
      inputs = [p if isinstance(p, Pattern) else OpTypePattern(p)
                for p in inputs]
    self._inputs = inputs
    self._ordered_inputs = ordered_inputs

  def __repr__(self):
    return 'OpTypePattern(%r)' % self._op_type

  def match(self, op, tensor):
    if self._op_types is not None and op.type not in self._op_types:
      return None
    result = MatchResult()
    result.add(self, op, tensor)
    if self._inputs is None:
      return result
    if len(op.inputs) != len(self._inputs):
      return None
    orders = ([self._inputs] if self._ordered_inputs else
              itertools.permutations(self._inputs))
    for patterns in orders:
      sub_results = []
      for pattern, input_tensor in zip(patterns, op.inputs):
        sub = pattern.match(input_tensor.op, input_tensor)
        if sub is None:
          break
        sub_results.append(sub)
      else:
        for sub in sub_results:
          result.merge(sub)
        return result
    return None


class OneofPattern(Pattern):
  """Matches the first of several alternative patterns that matches."""

  def __init__(self, sub_patterns):
    self._sub_patterns = list(sub_patterns)
    if not self._sub_patterns:
      raise ValueError('OneofPattern needs at least one sub-pattern')

  def __repr__(self):
    return 'OneofPattern(%r)' % (self._sub_patterns,)

  def match(self, op, tensor):
    for sub_pattern in self._sub_patterns:
      sub = sub_pattern.match(op, tensor)
      if sub is not None:
        result = MatchResult()
        result.add(self, op, tensor)
        result.merge(sub)
        return result
    return None


class MatchResult(object):
  """What each pattern node matched: an op and the tensor that was consumed.

  Patterns that are not part of the match (an unused OneofPattern
  alternative) give None.
  """

  def __init__(self):
    self._matches = {}

  def add(self, pattern, op, tensor):
    self._matches[pattern] = (op, tensor)

  def merge(self, other):
    self._matches.update(other._matches)  # pylint: disable=protected-access

  def get_op(self, pattern):
    return self._matches.get(pattern, (None, None))[0]

  def get_tensor(self, pattern):
    return self._matches.get(pattern, (None, None))[1]

  def __contains__(self, pattern):
    return pattern in self._matches


class GraphMatcher(object):
  """Finds every op of a graph that matches a pattern rooted at it."""

  def __init__(self, pattern):
    self._pattern = pattern

  def match_op(self, op):
    """The match rooted at `op` (its first output as tensor), or None."""
    tensor = op.outputs[0] if op.outputs else None
    return self._pattern.match(op, tensor)

  def match_ops(self, ops):
    for op in ops:
      result = self.match_op(op)
      if result is not None:
        yield result

  def match_graph(self, graph):
    """Matches in graph order; a snapshot, so rewriting while iterating is safe."""
    return self.match_ops(list(graph.get_operations()))
