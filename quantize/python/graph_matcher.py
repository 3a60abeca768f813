"""Op-type patterns matched against tf.compat.v1 graphs.

The rewrites in this package find layers by the shape of the subgraph they
left behind (a convolution reading a variable, feeding a batch norm, ...),
not by names, so any model built with the usual layers is recognised. A
pattern is a small tree: an op type (or '*', or 'A|B'), and patterns for the
op's inputs. Matching walks from a candidate op towards its inputs.

    weights = OpTypePattern('ReadVariableOp', name='weights')
    conv = OpTypePattern('Conv2D|DepthwiseConv2dNative', inputs=['*', weights])
    for match in GraphMatcher(conv).match_graph(graph):
      match.get_op(conv), match.get_tensor('weights')

The API is tf.contrib.quantize's graph_matcher's.
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
    name: a name to look the match up by in the MatchResult.
    inputs: None to accept any inputs, else one pattern per input (a Pattern,
      or a string, which is turned into an OpTypePattern); the op must have
      exactly that many inputs.
    ordered_inputs: False lets the inputs match in any order (for commutative
      ops such as Mul and AddV2).
  """

  def __init__(self, op_type, name=None, inputs=None, ordered_inputs=True):
    self._op_type = op_type
    self._name = name
    self._op_types = None if op_type == '*' else frozenset(op_type.split('|'))
    if inputs is not None:
      inputs = [p if isinstance(p, Pattern) else OpTypePattern(p)
                for p in inputs]
    self._inputs = inputs
    self._ordered_inputs = ordered_inputs

  @property
  def name(self):
    return self._name

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
          result.merge_from(sub)
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
        result.merge_from(sub)
        return result
    return None


class MatchResult(object):
  """What each pattern node matched: an op and the tensor that was consumed.

  Patterns that are not part of the match (an unused OneofPattern
  alternative) give None.
  """

  def __init__(self):
    self._matches = {}
    self._by_name = {}

  def add(self, pattern, op, tensor):
    self._matches[pattern] = (op, tensor)
    name = getattr(pattern, 'name', None)
    if name is not None:
      self._by_name[name] = pattern

  def merge_from(self, other):
    # pylint: disable=protected-access
    self._matches.update(other._matches)
    self._by_name.update(other._by_name)

  def _pattern(self, pattern_or_name):
    if isinstance(pattern_or_name, Pattern):
      return pattern_or_name
    return self._by_name.get(pattern_or_name)

  def get_op(self, pattern_or_name):
    """The op a pattern (or its name) matched, or None."""
    return self._matches.get(self._pattern(pattern_or_name), (None, None))[0]

  def get_tensor(self, pattern_or_name):
    """The tensor a pattern (or its name) matched, or None."""
    return self._matches.get(self._pattern(pattern_or_name), (None, None))[1]

  def __contains__(self, pattern_or_name):
    return self._pattern(pattern_or_name) in self._matches


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
    """Matches in graph order (a snapshot: safe to rewrite while iterating)."""
    return self.match_ops(list(graph.get_operations()))
