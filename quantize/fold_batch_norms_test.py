"""Folded batch norms compute what the unfolded graph computes.

Eval folding (moving statistics) on MobileNet v1 after a few training steps;
training folding (batch statistics; the gradients, through the batch
statistics as in tf.contrib.quantize, and the moving-average updates
included), the switch to moving statistics at freeze_bn_delay and the
moving averages stopping there; small graphs for depthwise multipliers,
gamma, biases, fully connected layers and unfused batch norms.
"""

from absl.testing import absltest
from absl.testing import parameterized
import numpy as np
import tensorflow.compat.v1 as tf
import tf_slim as slim

from quantize import test_util
from quantize.python import fold_batch_norms

_TOLERANCE = 1e-4


def _folded_layers(graph):
  return [op for op in graph.get_operations()
          if op.name.rpartition('/')[2] == 'mul_fold']


def _fused_batch_norm_ops(tensor):
  """Fused batch norms the tensor depends on."""
  seen, stack, found = set(), [tensor.op], []
  while stack:
    op = stack.pop()
    if op.name in seen:
      continue
    seen.add(op.name)
    if op.type.startswith('FusedBatchNorm'):
      found.append(op.name)
    stack.extend(t.op for t in op.inputs)
  return found


class MobilenetFoldTest(parameterized.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.checkpoint = test_util.float_checkpoint(
        absltest.get_default_test_tmpdir())
    cls.images = test_util.random_images(seed=100)
    cls.labels = test_util.random_labels(seed=100)

  def _eval_logits(self, fold):
    graph = tf.Graph()
    with graph.as_default():
      images = tf.placeholder(tf.float32, self.images.shape)
      logits, end_points = test_util.build_model(images, is_training=False)
      if fold:
        fold_batch_norms.FoldBatchNorms(graph, is_training=False)
        # Conv2d_0 and 13 depthwise + 13 pointwise layers; not the logits.
        self.assertLen(_folded_layers(graph), 27)
        self.assertEmpty(_fused_batch_norm_ops(end_points['Predictions']))
      with test_util.session(graph) as sess:
        self.assertEqual([], test_util.restore_available(sess,
                                                         self.checkpoint))
        moving_means = sess.run({v.op.name: v for v in tf.global_variables()
                                 if v.op.name.endswith('moving_mean')})
        return sess.run([logits, end_points['Predictions']],
                        {images: self.images}), moving_means

  def test_eval_fold_matches_unfolded(self):
    (logits, predictions), moving_means = self._eval_logits(fold=False)
    (folded_logits, folded_predictions), _ = self._eval_logits(fold=True)
    # The moving statistics are far from their initial values.
    self.assertGreater(max(np.abs(m).max() for m in moving_means.values()),
                       0.1)
    np.testing.assert_allclose(folded_logits, logits, rtol=0,
                               atol=_TOLERANCE)
    np.testing.assert_allclose(folded_predictions, predictions, rtol=0,
                               atol=_TOLERANCE)

  def _training_graph(self, fold, freeze_bn_delay=None,
                      folded_gradient=False):
    """Forward, loss, gradients and BN updates of one training step."""

    def rewrite(graph):
      fold_batch_norms.FoldBatchNorms(
          graph, is_training=True, freeze_batch_norm_delay=freeze_bn_delay,
          folded_batch_norm_gradient=folded_gradient)
      self.assertLen(_folded_layers(graph), 27)

    return test_util.training_step(self.images.shape, self.labels.shape,
                                   rewrite if fold else None)

  def _run_training(self, fold, freeze_bn_delay=None, step=None,
                    folded_gradient=False):
    """One step's logits, loss and gradients, and the moving averages after
    its updates; `step` is the quantization step the run sees."""
    t = self._training_graph(fold, freeze_bn_delay, folded_gradient)
    with t.graph.as_default(), test_util.session(t.graph) as sess:
      test_util.restore_available(sess, self.checkpoint)
      if step is not None:
        test_util.set_quantization_step(sess, t.graph, step)
      feed = {t.images: self.images, t.labels: self.labels}
      logits, loss, gradients, _ = sess.run(
          [t.logits, t.loss, t.gradients, t.updates], feed)
      moving = sess.run(t.moving_averages)
    return logits, loss, gradients, moving

  @parameterized.parameters(False, True)
  def test_training_fold_matches_unfolded_batch_statistics(
      self, folded_gradient):
    # The gradients too, through the batch statistics; also when they are
    # taken on the folded layers (the same before quantization).
    logits, loss, gradients, moving = self._run_training(fold=False)
    f_logits, f_loss, f_gradients, f_moving = self._run_training(
        fold=True, folded_gradient=folded_gradient)
    np.testing.assert_allclose(f_logits, logits, rtol=0, atol=_TOLERANCE)
    self.assertAlmostEqual(f_loss, loss, delta=_TOLERANCE)
    self.assertEqual(sorted(gradients), sorted(f_gradients))
    for name, gradient in gradients.items():
      scale = max(1.0, np.abs(gradient).max())
      np.testing.assert_allclose(f_gradients[name] / scale, gradient / scale,
                                 rtol=0, atol=1e-3, err_msg=name)
    for name, value in moving.items():
      np.testing.assert_allclose(f_moving[name], value, rtol=1e-5, atol=1e-5,
                                 err_msg=name)

  def test_training_fold_switches_to_moving_statistics(self):
    batch_logits, _, _, batch_moving = self._run_training(fold=False)
    before = self._run_training(fold=True, freeze_bn_delay=5, step=4)
    np.testing.assert_allclose(before[0], batch_logits, rtol=0,
                               atol=_TOLERANCE)
    after = self._run_training(fold=True, freeze_bn_delay=5, step=5)
    (eval_logits, _), moving_means = self._eval_logits(fold=False)
    np.testing.assert_allclose(after[0], eval_logits, rtol=0, atol=_TOLERANCE)
    self.assertGreater(np.abs(eval_logits - batch_logits).max(), 10 *
                       _TOLERANCE)
    # Until the freeze the moving averages follow the batches; from then on
    # they stay where they are.
    restored = moving_means  # The checkpoint's.
    for name, value in after[3].items():
      np.testing.assert_allclose(before[3][name], batch_moving[name],
                                 rtol=1e-5, atol=1e-5, err_msg=name)
      if name in restored:
        np.testing.assert_array_equal(value, restored[name], err_msg=name)
        self.assertGreater(np.abs(batch_moving[name] - value).max(), 0, name)

  def test_gradients_after_the_freeze_do_not_depend_on_where_taken(self):
    exact = self._run_training(fold=True, freeze_bn_delay=5, step=5)
    folded = self._run_training(fold=True, freeze_bn_delay=5, step=5,
                                folded_gradient=True)
    for name, gradient in exact[2].items():
      scale = max(1.0, np.abs(gradient).max())
      np.testing.assert_allclose(folded[2][name] / scale, gradient / scale,
                                 rtol=0, atol=1e-4, err_msg=name)

  @parameterized.parameters(False, True)
  def test_where_the_original_layers_run_backwards(self, folded_gradient):
    graph = self._training_graph(fold=True,
                                 folded_gradient=folded_gradient).graph
    originals = [op.name.replace('_Fold', '') for op in graph.get_operations()
                 if op.name.endswith(('/Conv2D_Fold', '/depthwise_Fold'))]
    self.assertLen(originals, 27)
    for name in originals:
      backprops = [op for op in graph.get_operations()
                   if op.name.startswith('gradients/%s_grad/' % name) and
                   'Backprop' in op.type]
      # contrib's gradients go through the batch statistics into the
      # original layer; taken on the folded layer, they leave it forwards
      # only.
      self.assertLen(backprops, 0 if folded_gradient else 2, name)

  def test_eval_fold_refuses_training_mode_batch_norm(self):
    graph = tf.Graph()
    with graph.as_default():
      images = tf.placeholder(tf.float32, self.images.shape)
      test_util.build_model(images, is_training=True)
      with self.assertRaisesRegex(ValueError, 'training mode'):
        fold_batch_norms.FoldBatchNorms(graph, is_training=False)


class SmallGraphFoldTest(parameterized.TestCase):
  """Layer kinds MobileNet does not have, built directly on tf.nn."""

  def _run(self, kind, training, with_gamma, with_bias, fold,
           freeze_bn_delay=None, step=None, folded_gradient=False):
    graph = tf.Graph()
    with graph.as_default():
      x, y, loss, updates, _, _ = test_util.small_layer_graph(
          kind, training, with_gamma, with_bias, np.random.RandomState(0))
      if fold:
        fold_batch_norms.FoldBatchNorms(
            graph, is_training=training,
            freeze_batch_norm_delay=freeze_bn_delay,
            folded_batch_norm_gradient=folded_gradient)
        self.assertLen(_folded_layers(graph), 1)
      variables = tf.trainable_variables()
      # None where nothing depends on a variable (a bias the batch norm
      # cancels): its gradient is 0.
      gradients = [tf.zeros_like(v) if g is None else g
                   for g, v in zip(tf.gradients(loss, variables), variables)]
      with test_util.session(graph) as sess:
        sess.run(tf.global_variables_initializer())
        if step is not None:
          test_util.set_quantization_step(sess, graph, step)
        feed = {x: np.random.RandomState(1).normal(size=x.shape.as_list())}
        result = sess.run([y] + gradients + [updates], feed)[:-1]
        moving = sess.run([v for v in tf.global_variables()
                           if 'moving' in v.op.name])
    return result, moving

  @parameterized.product(
      kind=['conv', 'depthwise', 'matmul', 'matmul_transposed'],
      training=[False, True],
      with_gamma=[False, True],
      with_bias=[False, True])
  def test_fold_matches_unfolded(self, kind, training, with_gamma,
                                 with_bias):
    expected, moving = self._run(kind, training, with_gamma, with_bias,
                                 fold=False)
    actual, f_moving = self._run(kind, training, with_gamma, with_bias,
                                 fold=True)
    self.assertGreater(np.abs(expected[0]).max(), 0.1)
    for want, got in zip(expected + moving, actual + f_moving):
      scale = max(1.0, np.abs(want).max())
      np.testing.assert_allclose(got / scale, want / scale, rtol=0,
                                 atol=_TOLERANCE)

  @parameterized.product(
      kind=['conv', 'depthwise', 'matmul', 'matmul_transposed'],
      with_gamma=[False, True],
      with_bias=[False, True])
  def test_folded_gradient_matches_unfolded(self, kind, with_gamma,
                                            with_bias):
    expected, moving = self._run(kind, True, with_gamma, with_bias,
                                 fold=False)
    actual, f_moving = self._run(kind, True, with_gamma, with_bias,
                                 fold=True, folded_gradient=True)
    self.assertGreater(np.abs(expected[0]).max(), 0.1)
    for want, got in zip(expected + moving, actual + f_moving):
      scale = max(1.0, np.abs(want).max())
      np.testing.assert_allclose(got / scale, want / scale, rtol=0,
                                 atol=_TOLERANCE)

  @parameterized.parameters('conv', 'depthwise', 'matmul')
  def test_freeze_uses_moving_statistics(self, kind):
    eval_output = self._run(kind, False, True, True, fold=False)[0][0]
    frozen = self._run(kind, True, True, True, fold=True, freeze_bn_delay=3,
                       step=3)[0][0]
    np.testing.assert_allclose(frozen, eval_output, rtol=0, atol=_TOLERANCE)
    batch_output = self._run(kind, True, True, True, fold=False)[0][0]
    not_yet = self._run(kind, True, True, True, fold=True, freeze_bn_delay=3,
                        step=2)[0][0]
    np.testing.assert_allclose(not_yet, batch_output, rtol=0,
                               atol=_TOLERANCE)

  @parameterized.parameters('conv', 'depthwise', 'matmul')
  def test_folded_gradient_after_the_freeze(self, kind):
    exact, _ = self._run(kind, True, True, True, fold=True, freeze_bn_delay=3,
                         step=3)
    folded, _ = self._run(kind, True, True, True, fold=True,
                          freeze_bn_delay=3, step=3, folded_gradient=True)
    for want, got in zip(exact, folded):
      scale = max(1.0, np.abs(want).max())
      np.testing.assert_allclose(got / scale, want / scale, rtol=0,
                                 atol=_TOLERANCE)


class SlimUnfusedFoldTest(parameterized.TestCase):
  """tf-slim's unfused batch norm (fused=False) after each kind of layer."""

  def _run(self, kind, training, scale, fold):
    graph = tf.Graph()
    with graph.as_default():
      tf.set_random_seed(0)
      x = tf.placeholder(tf.float32, [4, 6, 6, 3], name='x')
      params = {'is_training': training, 'fused': False, 'scale': scale,
                'decay': 0.5}
      with slim.arg_scope([slim.conv2d, slim.separable_conv2d,
                           slim.fully_connected],
                          normalizer_fn=slim.batch_norm,
                          normalizer_params=params,
                          activation_fn=tf.nn.relu6):
        if kind == 'conv':
          y = slim.conv2d(x, 5, [3, 3], scope='layer')
        elif kind == 'depthwise':
          y = slim.separable_conv2d(x, None, [3, 3], depth_multiplier=2,
                                    scope='layer')
        else:
          y = slim.fully_connected(tf.reshape(x, [4, -1]), 7, scope='layer')
      if fold:
        fold_batch_norms.FoldBatchNorms(graph, is_training=training)
        self.assertLen(_folded_layers(graph), 1)
      loss = tf.reduce_sum(tf.square(y))
      variables = tf.trainable_variables()
      gradients = tf.gradients(loss, variables)
      updates = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
      with test_util.session(graph) as sess:
        sess.run(tf.global_variables_initializer())
        for v in tf.global_variables():
          if 'moving' in v.op.name or 'gamma' in v.op.name:
            v.load(np.random.RandomState(2).uniform(
                0.5, 1.5, v.shape.as_list()), sess)
        feed = {x: np.random.RandomState(1).normal(size=[4, 6, 6, 3])}
        result = sess.run([y] + gradients + [updates], feed)[:-1]
        moving = sess.run([v for v in tf.global_variables()
                           if 'moving' in v.op.name])
    return result + moving

  @parameterized.product(kind=['conv', 'depthwise', 'fc'],
                         training=[False, True], scale=[False, True])
  def test_fold_matches_unfolded(self, kind, training, scale):
    expected = self._run(kind, training, scale, fold=False)
    actual = self._run(kind, training, scale, fold=True)
    self.assertGreater(np.abs(expected[0]).max(), 0.1)
    for want, got in zip(expected, actual):
      scale_of = max(1.0, np.abs(want).max())
      np.testing.assert_allclose(got / scale_of, want / scale_of, rtol=0,
                                 atol=_TOLERANCE)


if __name__ == '__main__':
  absltest.main()
