"""Quantization-aware training trains: with quant_delay 0, and with a delay
(counted in quantization steps) during which the rewritten graph computes
the float model; the activation ranges follow the data from the first step.
"""

from absl import logging
from absl.testing import absltest
import numpy as np
import tensorflow.compat.v1 as tf

import quantize
from quantize import test_util

_STEPS = 60


class _Trainer(object):
  """A MobileNet v1 training graph on a fixed small set of images."""

  def __init__(self, quant, quant_delay=0):
    self.graph = tf.Graph()
    with self.graph.as_default():
      tf.set_random_seed(0)
      self.images = tf.placeholder(
          tf.float32, [test_util.BATCH_SIZE, test_util.IMAGE_SIZE,
                       test_util.IMAGE_SIZE, 3])
      self.labels = tf.placeholder(tf.int64, [test_util.BATCH_SIZE])
      self.logits, _ = test_util.build_model(
          self.images, is_training=True, batch_norm_decay=0.9,
          dropout_keep_prob=1.0)
      self.loss = test_util.add_loss(self.logits, self.labels)
      if quant:
        quantize.create_training_graph(quant_delay=quant_delay)
      self.train_op = test_util.train_op(self.loss, learning_rate=0.003)
      self.saver = tf.train.Saver()
    self.sess = test_util.session(self.graph)
    with self.graph.as_default():
      self.sess.run(tf.global_variables_initializer())
    self.data = test_util.template_images(32, seed=1)

  def feed(self, step):
    start = (step * test_util.BATCH_SIZE) % len(self.data[0])
    end = start + test_util.BATCH_SIZE
    return {self.images: self.data[0][start:end],
            self.labels: self.data[1][start:end]}

  def train(self, steps):
    losses = []
    for step in range(steps):
      loss, _ = self.sess.run([self.loss, self.train_op], self.feed(step))
      losses.append(loss)
    return losses

  def set_quantization_step(self, value):
    """Makes the next run see quantization step `value` (it counts first)."""
    with self.graph.as_default():
      self.variable('fake_quantization_step').load(value - 1, self.sess)

  def variable(self, name):
    with self.graph.as_default():
      return [v for v in tf.global_variables() if v.op.name == name][0]


class QuantizedTrainingTest(absltest.TestCase):

  def _check_loss_falls(self, losses):
    first, last = np.mean(losses[:4]), np.mean(losses[-4:])
    self.assertTrue(np.all(np.isfinite(losses)))
    self.assertLess(last, 0.5 * first, 'losses %s' % np.round(losses, 2))

  def test_trains_with_quant_delay_0(self):
    trainer = _Trainer(quant=True, quant_delay=0)
    self._check_loss_falls(trainer.train(_STEPS))
    weights_max = trainer.sess.run(trainer.variable(
        'MobilenetV1/MobilenetV1/Conv2d_0/weights_quant/max'))
    self.assertNotEqual(weights_max, 6.0)  # Learned at every step.

  def test_float_until_quant_delay_then_trains_quantized(self):
    delay = _STEPS // 2
    quant = _Trainer(quant=True, quant_delay=delay)
    plain = _Trainer(quant=False)
    with quant.graph.as_default():
      checkpoint = quant.saver.save(
          quant.sess, absltest.get_default_test_tmpdir() + '/delay.ckpt')
    with plain.graph.as_default():
      test_util.restore_available(plain.sess, checkpoint)
    feed = quant.feed(0)
    float_logits = plain.sess.run(plain.logits,
                                  {plain.images: feed[quant.images]})
    # Before the delay the rewritten graph computes the float model.
    # (Folding reorders the batch-norm arithmetic, hence ~1e-4 differences;
    # quantization makes ~1e-1.)
    quant.set_quantization_step(delay - 1)
    float_error = np.abs(quant.sess.run(quant.logits, feed) -
                         float_logits).max()
    # From the delay on it quantizes.
    quant.set_quantization_step(delay)
    quant_error = np.abs(quant.sess.run(quant.logits, feed) -
                         float_logits).max()
    logging.info('logits vs float: %g before the delay, %g after',
                 float_error, quant_error)
    self.assertLess(float_error, 1e-3)
    self.assertGreater(quant_error, 2e-2)
    # Training across the switch; the quantization step counts the steps.
    quant.set_quantization_step(1)
    losses = quant.train(_STEPS)
    self._check_loss_falls(losses)
    self.assertEqual(quant.sess.run(quant.variable('fake_quantization_step')),
                     _STEPS)
    # The activation ranges moved from [0, 6] during the float phase too.
    act_max = quant.sess.run(quant.variable(
        'MobilenetV1/MobilenetV1/Conv2d_0/act_quant/max'))
    self.assertNotAlmostEqual(act_max, 6.0, places=3)

  def test_activation_ranges_are_the_data_s_from_the_first_step(self):
    """Zero-debiased moving averages: no walk from the initial range."""
    trainer = _Trainer(quant=True)
    scope = 'MobilenetV1/MobilenetV1/Conv2d_1_pointwise/act_quant/'
    activation = trainer.graph.get_tensor_by_name(
        'MobilenetV1/MobilenetV1/Conv2d_1_pointwise/Relu6:0')
    maxima = []
    for step in range(2):
      value, _ = trainer.sess.run([activation, trainer.train_op],
                                  trainer.feed(step))
      maxima.append(value.max())
      learned = trainer.sess.run(trainer.variable(scope + 'max'))
      if step == 0:
        # One batch seen: its range.
        np.testing.assert_allclose(learned, maxima[0], rtol=1e-4)
    # Two: their average, weighted 0.999 : 1 after debiasing.
    expected = (0.999 * maxima[0] + maxima[1]) / 1.999
    np.testing.assert_allclose(learned, expected, rtol=1e-4)
    self.assertNotAlmostEqual(maxima[0], maxima[1], places=3)
    self.assertEqual(trainer.sess.run(trainer.variable(scope + 'min')), 0.0)


if __name__ == '__main__':
  absltest.main()
