"""Pattern matching on small graphs."""

from absl.testing import absltest
import tensorflow.compat.v1 as tf

from quantize.python import graph_matcher


def _conv_graph():
  graph = tf.Graph()
  with graph.as_default():
    x = tf.placeholder(tf.float32, [1, 4, 4, 3], name='x')
    w = tf.get_variable('w', [3, 3, 3, 2], use_resource=True)
    conv = tf.nn.conv2d(x, w, [1, 1, 1, 1], 'SAME', name='conv')
    biased = tf.nn.bias_add(conv, tf.zeros([2]), name='bias')
    tf.nn.relu6(biased, name='act')
    tf.nn.relu(x, name='other')
  return graph


class GraphMatcherTest(absltest.TestCase):

  def test_matches_types_and_inputs(self):
    graph = _conv_graph()
    weights = graph_matcher.OpTypePattern('ReadVariableOp')
    conv = graph_matcher.OpTypePattern('Conv2D|MatMul',
                                       inputs=['*', weights])
    act = graph_matcher.OpTypePattern(
        'Relu|Relu6', inputs=[graph_matcher.OpTypePattern(
            'BiasAdd', inputs=[conv, '*'])])
    matches = list(graph_matcher.GraphMatcher(act).match_graph(graph))
    self.assertLen(matches, 1)
    self.assertEqual(matches[0].get_op(act).name, 'act')
    self.assertEqual(matches[0].get_op(conv).name, 'conv')
    self.assertEqual(matches[0].get_tensor(conv).name, 'conv:0')
    self.assertEqual(matches[0].get_op(weights).type, 'ReadVariableOp')

  def test_wrong_input_count_or_type_does_not_match(self):
    graph = _conv_graph()
    one_input = graph_matcher.OpTypePattern('Conv2D', inputs=['*'])
    self.assertEmpty(list(graph_matcher.GraphMatcher(one_input).match_graph(
        graph)))
    wrong = graph_matcher.OpTypePattern('Conv2D', inputs=['*', 'Const'])
    self.assertEmpty(list(graph_matcher.GraphMatcher(wrong).match_graph(
        graph)))

  def test_oneof_reports_only_the_alternative_that_matched(self):
    graph = _conv_graph()
    conv = graph_matcher.OpTypePattern('Conv2D')
    bias = graph_matcher.OpTypePattern('BiasAdd')
    either = graph_matcher.OneofPattern([conv, bias])
    act = graph_matcher.OpTypePattern('Relu6', inputs=[either])
    match = graph_matcher.GraphMatcher(act).match_op(
        graph.get_operation_by_name('act'))
    self.assertIsNotNone(match)
    self.assertIn(bias, match)
    self.assertNotIn(conv, match)
    self.assertIsNone(match.get_op(conv))
    self.assertEqual(match.get_op(either).name, 'bias')

  def test_unordered_inputs(self):
    graph = tf.Graph()
    with graph.as_default():
      a = tf.placeholder(tf.float32, [2], name='a')
      tf.multiply(tf.constant([1., 2.]), a, name='mul')
    placeholder = graph_matcher.OpTypePattern('Placeholder')
    ordered = graph_matcher.OpTypePattern('Mul', inputs=[placeholder, 'Const'])
    unordered = graph_matcher.OpTypePattern(
        'Mul', inputs=[placeholder, 'Const'], ordered_inputs=False)
    mul = graph.get_operation_by_name('mul')
    self.assertIsNone(graph_matcher.GraphMatcher(ordered).match_op(mul))
    match = graph_matcher.GraphMatcher(unordered).match_op(mul)
    self.assertEqual(match.get_op(placeholder).name, 'a')

  def test_empty_oneof_is_an_error(self):
    with self.assertRaises(ValueError):
      graph_matcher.OneofPattern([])


if __name__ == '__main__':
  absltest.main()
