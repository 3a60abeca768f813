"""Freezing: variables become constants, only what the outputs need stays."""

import os

from absl.testing import absltest
import numpy as np
import tensorflow.compat.v1 as tf

from core import variants
from export import freeze
from model import builder

_VARIABLE_OPS = ('VarHandleOp', 'ReadVariableOp', 'VariableV2', 'Variable')


def _small_graph():
  graph = tf.Graph()
  with graph.as_default():
    x = tf.placeholder(tf.float32, [1, 4], name='input')
    w = tf.get_variable('w', initializer=np.arange(8, dtype=np.float32)
                        .reshape([4, 2]), use_resource=True)
    tf.identity(tf.matmul(x, w), name='output')
    tf.reduce_sum(w, name='unused')
  return graph


def _run_frozen(graph_def, output, feed):
  graph = tf.Graph()
  with graph.as_default():
    tf.import_graph_def(graph_def, name='')
    with tf.Session(graph=graph) as sess:
      return sess.run(output, feed)


class FreezeTest(absltest.TestCase):

  def test_freeze_session_keeps_values_and_drops_the_rest(self):
    graph = _small_graph()
    feed = {'input:0': np.ones([1, 4], np.float32)}
    with graph.as_default(), tf.Session(graph=graph) as sess:
      sess.run(tf.global_variables_initializer())
      expected = sess.run('output:0', feed)
      frozen = freeze.freeze_session(sess, ['output'])
    names = {node.name for node in frozen.node}
    self.assertIn('input', names)
    self.assertNotIn('unused', names)
    self.assertEmpty([n.name for n in frozen.node if n.op in _VARIABLE_OPS])
    np.testing.assert_array_equal(_run_frozen(frozen, 'output:0', feed),
                                  expected)

  def test_freeze_graph_from_checkpoint_with_published_names(self):
    graph = builder.build_inference_graph(0.25, 32, 10, quantize=False)
    directory = absltest.get_default_test_tmpdir()
    with graph.as_default(), tf.Session(graph=graph) as sess:
      sess.run(tf.global_variables_initializer())
      checkpoint = tf.train.Saver().save(sess,
                                         os.path.join(directory, 'm.ckpt'))
      image = np.random.RandomState(0).uniform(-1, 1, [1, 32, 32, 3])
      feed = {variants.INPUT_NODE + ':0': image}
      expected = sess.run(variants.OUTPUT_NODE + ':0', feed)
    frozen = freeze.freeze_graph(graph, checkpoint)  # Default output name.
    self.assertEmpty([n.name for n in frozen.node if n.op in _VARIABLE_OPS])
    np.testing.assert_allclose(
        _run_frozen(frozen, variants.OUTPUT_NODE + ':0', feed), expected,
        rtol=0, atol=1e-6)

  def test_bad_outputs_and_incomplete_checkpoints_are_refused(self):
    graph = _small_graph()
    directory = absltest.get_default_test_tmpdir()
    with graph.as_default(), tf.Session(graph=graph) as sess:
      sess.run(tf.global_variables_initializer())
      with self.assertRaisesRegex(ValueError, 'not in the graph: nope'):
        freeze.freeze_session(sess, ['nope'])
    other = tf.Graph()
    with other.as_default(), tf.Session(graph=other) as sess:
      tf.get_variable('v', [1], use_resource=True)
      sess.run(tf.global_variables_initializer())
      checkpoint = tf.train.Saver().save(sess,
                                         os.path.join(directory, 'v.ckpt'))
    with self.assertRaisesRegex(ValueError, 'missing from .*, e.g. w'):
      freeze.freeze_graph(graph, checkpoint, ['output'])

  def test_write_graph_def_is_atomic(self):
    graph_def = _small_graph().as_graph_def()
    directory = os.path.join(absltest.get_default_test_tmpdir(), 'out')
    path = os.path.join(directory, 'frozen.pb')
    freeze.write_graph_def(graph_def, path)
    read = tf.GraphDef()
    with open(path, 'rb') as f:
      read.ParseFromString(f.read())
    self.assertEqual(read, graph_def)
    self.assertEqual(os.listdir(directory), ['frozen.pb'])


if __name__ == '__main__':
  absltest.main()
