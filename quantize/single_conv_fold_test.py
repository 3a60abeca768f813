"""The single-convolution training fold (single_conv_fold=True).

One convolution per layer in the training graph, the weights' fake
quantization on `mul_fold`; without quantization the outputs, gradients and
moving averages of the unfolded model; from freeze_bn_delay on the eval
fold's outputs, with the moving averages stopped; the default fold's
variables (checkpoints interchangeable); a second rewrite changes nothing.
"""

from absl.testing import absltest
from absl.testing import parameterized
import numpy as np
import tensorflow.compat.v1 as tf

import quantize
from quantize import test_util
from quantize.python import common
from quantize.python import fold_batch_norms

_TOLERANCE = 1e-5
# MobileNet's logits and gradients: float32 rounding of the weights times s
# and the output over s, through 27 batch norms of 8 images (measured: 2e-5
# and 5e-5 of the largest magnitude; fold_batch_norms_test allows 1e-4 and
# 1e-3 for the default fold).
_MOBILENET_TOLERANCE = 1e-4


def _assert_close(want, got, tolerance=_TOLERANCE, name='', scale=None):
  """Equal to `tolerance` times `scale`.

  scale defaults to the largest magnitude of `want`, at least 1.
  """
  if scale is None:
    scale = max(1.0, np.abs(want).max())
  np.testing.assert_allclose(got / scale, want / scale, rtol=0,
                             atol=tolerance, err_msg=name)


class MobilenetSingleConvFoldTest(parameterized.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.checkpoint = test_util.float_checkpoint(
        absltest.get_default_test_tmpdir())
    cls.images = test_util.random_images(seed=100)
    cls.labels = test_util.random_labels(seed=100)

  def _graph(self, **rewrite):
    """The training model, rewritten by create_training_graph(**rewrite)."""
    graph = tf.Graph()
    with graph.as_default():
      images = tf.placeholder(tf.float32, self.images.shape)
      labels = tf.placeholder(tf.int64, self.labels.shape)
      logits, _ = test_util.build_model(images, is_training=True,
                                        dropout_keep_prob=1.0)
      test_util.add_loss(logits, labels)
      if rewrite:
        quantize.create_training_graph(**rewrite)
    return graph

  def test_one_convolution_per_layer(self):
    graph = self._graph(quant_delay=0, freeze_bn_delay=10,
                        single_conv_fold=True)
    layers = [op for op in graph.get_operations()
              if op.type in common.LAYER_OP_TYPES]
    # Conv2d_0, 13 depthwise and 13 pointwise layers, and the logits.
    self.assertLen(layers, 28)
    self.assertEmpty([op.name for op in graph.get_operations()
                      if op.name.endswith('_Fold')])
    folded = 0
    for layer in layers:
      weights = layer.inputs[1].op
      self.assertStartsWith(weights.type, 'FakeQuant', layer.name)
      source = weights.inputs[0].op
      if 'Logits' in layer.name:
        self.assertEqual(source.type, 'ReadVariableOp')
        continue
      self.assertEqual(source.name.rpartition('/')[2], 'mul_fold',
                       layer.name)
      folded += 1
      # The layer's output reaches the fused batch norm through div_fold
      # (and, from the freeze on, the eval fold's add_fold).
      self.assertIn('div_fold', [c.name.rpartition('/')[2]
                                 for c in layer.outputs[0].consumers()])
    self.assertEqual(folded, 27)
    # The model's 27 batch norms run in training mode, once each.
    self.assertLen([op for op in graph.get_operations()
                    if op.type.startswith('FusedBatchNorm') and
                    op.get_attr('is_training')], 27)

  @parameterized.parameters(None, 10)
  def test_variables_are_the_default_folds(self, freeze_bn_delay):
    names = []
    for single_conv_fold in (False, True):
      graph = self._graph(quant_delay=0, freeze_bn_delay=freeze_bn_delay,
                          symmetric_weights=True,
                          folded_batch_norm_gradient=True,
                          single_conv_fold=single_conv_fold)
      names.append(sorted(
          (v.op.name, tuple(v.shape.as_list()))
          for v in graph.get_collection(tf.GraphKeys.GLOBAL_VARIABLES)))
    self.assertEqual(names[1], names[0])

  def test_second_rewrite_changes_nothing(self):
    rewrite = dict(quant_delay=10, freeze_bn_delay=20, single_conv_fold=True)
    graph = self._graph(**rewrite)
    ops = [op.name for op in graph.get_operations()]
    with graph.as_default():
      quantize.create_training_graph(**rewrite)
      fold_batch_norms.FoldBatchNorms(graph, is_training=True,
                                      freeze_batch_norm_delay=20,
                                      single_conv_fold=True)
    self.assertEqual([op.name for op in graph.get_operations()], ops)

  def _run(self, fold, freeze_bn_delay=None, step=None):
    """Logits, loss, gradients and moving averages after one step's updates.

    Folded without quantization; `step` is the quantization step the run
    sees.
    """

    def rewrite(graph):
      fold_batch_norms.FoldBatchNorms(
          graph, is_training=True, freeze_batch_norm_delay=freeze_bn_delay,
          single_conv_fold=True)

    t = test_util.training_step(self.images.shape, self.labels.shape,
                                rewrite if fold else None)
    with t.graph.as_default(), test_util.session(t.graph) as sess:
      test_util.restore_available(sess, self.checkpoint)
      if step is not None:
        test_util.set_quantization_step(sess, t.graph, step)
      restored = sess.run(t.moving_averages)
      feed = {t.images: self.images, t.labels: self.labels}
      outputs = sess.run([t.logits, t.loss, t.gradients, t.updates],
                         feed)[:3]
      return outputs + [restored, sess.run(t.moving_averages)]

  def _eval_logits(self):
    graph = tf.Graph()
    with graph.as_default():
      images = tf.placeholder(tf.float32, self.images.shape)
      logits, _ = test_util.build_model(images, is_training=False)
      with test_util.session(graph) as sess:
        test_util.restore_available(sess, self.checkpoint)
        return sess.run(logits, {images: self.images})

  def test_matches_unfolded_model_without_quantization(self):
    logits, loss, gradients, _, moving = self._run(fold=False)
    f_logits, f_loss, f_gradients, _, f_moving = self._run(fold=True)
    _assert_close(logits, f_logits, _MOBILENET_TOLERANCE)
    self.assertAlmostEqual(f_loss, loss, delta=_TOLERANCE)
    self.assertEqual(sorted(f_gradients), sorted(gradients))
    for name, gradient in gradients.items():
      _assert_close(gradient, f_gradients[name], _MOBILENET_TOLERANCE, name)
    for name, value in moving.items():
      _assert_close(value, f_moving[name], name=name)

  def test_freeze_uses_moving_statistics_and_stops_them(self):
    batch_logits, _, _, restored, batch_moving = self._run(fold=False)
    before = self._run(fold=True, freeze_bn_delay=5, step=4)
    _assert_close(batch_logits, before[0], _MOBILENET_TOLERANCE)
    after = self._run(fold=True, freeze_bn_delay=5, step=5)
    eval_logits = self._eval_logits()
    _assert_close(eval_logits, after[0], _MOBILENET_TOLERANCE)
    self.assertGreater(np.abs(eval_logits - batch_logits).max(), 0.01)
    self.assertTrue(restored)
    for name, value in restored.items():
      # Before the freeze the moving averages follow the batches.
      _assert_close(batch_moving[name], before[4][name], name=name)
      self.assertGreater(np.abs(batch_moving[name] - value).max(), 0, name)
      # From the freeze on they stay where they are.
      np.testing.assert_array_equal(after[4][name], value, err_msg=name)


class SmallGraphSingleConvFoldTest(parameterized.TestCase):
  """Layer kinds MobileNet does not have, built directly on tf.nn."""

  def _run(self, kind, with_gamma, with_bias, fold, freeze_bn_delay=None,
           step=None, training=True):
    """x -> layer [-> bias] -> fused batch norm -> relu.

    Returns the output, the gradients and the moving averages after the
    updates.
    """
    graph = tf.Graph()
    with graph.as_default():
      x, y, loss, updates, moving_mean, moving_variance = (
          test_util.small_layer_graph(kind, training, with_gamma, with_bias,
                                      np.random.RandomState(0)))
      if fold:
        fold_batch_norms.FoldBatchNorms(
            graph, is_training=True, freeze_batch_norm_delay=freeze_bn_delay,
            single_conv_fold=True)
        self.assertLen([op for op in graph.get_operations()
                        if op.type in common.LAYER_OP_TYPES], 1)
      variables = tf.trainable_variables()
      gradients = [tf.zeros_like(v) if g is None else g
                   for g, v in zip(tf.gradients(loss, variables), variables)]
      with test_util.session(graph) as sess:
        sess.run(tf.global_variables_initializer())
        if step is not None:
          test_util.set_quantization_step(sess, graph, step)
        feed = {x: np.random.RandomState(1).normal(size=[4, 6, 6, 3])}
        result = sess.run([y] + gradients + [updates], feed)[:-1]
        moving = sess.run([moving_mean, moving_variance])
    return result, moving

  @parameterized.product(
      kind=test_util.SMALL_LAYER_KINDS,
      with_gamma=[False, True],
      with_bias=[False, True])
  def test_matches_unfolded(self, kind, with_gamma, with_bias):
    expected, moving = self._run(kind, with_gamma, with_bias, fold=False)
    actual, f_moving = self._run(kind, with_gamma, with_bias, fold=True)
    self.assertGreater(np.abs(expected[0]).max(), 0.1)
    _assert_close(expected[0], actual[0])
    # Gradients relative to the largest one: the bias's is 0 but for
    # rounding (the batch norm cancels it).
    gradient_scale = max(np.abs(g).max() for g in expected[1:])
    for want, got in zip(expected[1:], actual[1:]):
      _assert_close(want, got, scale=gradient_scale)
    for want, got in zip(moving, f_moving):
      _assert_close(want, got)

  @parameterized.parameters(*test_util.SMALL_LAYER_KINDS)
  def test_freeze(self, kind):
    eval_output = self._run(kind, True, True, fold=False,
                            training=False)[0][0]
    batch_output = self._run(kind, True, True, fold=False)[0][0]
    frozen, frozen_moving = self._run(kind, True, True, fold=True,
                                      freeze_bn_delay=3, step=3)
    _assert_close(eval_output, frozen[0])
    self.assertGreater(np.abs(eval_output - batch_output).max(), 0.01)
    _, initial = self._run(kind, True, True, fold=False, training=False)
    for want, got in zip(initial, frozen_moving):
      np.testing.assert_array_equal(got, want)
    not_yet = self._run(kind, True, True, fold=True, freeze_bn_delay=3,
                        step=2)[0][0]
    _assert_close(batch_output, not_yet)


if __name__ == '__main__':
  absltest.main()
