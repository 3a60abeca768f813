r"""The ways a folded batch norm's gradient can go, timed and trained.

  bazel run -c opt //tools:fold_gradients -- --mode=time
  bazel run -c opt //tools:fold_gradients -- --mode=train --gradient=none

tf.contrib.quantize's training fold (create_training_graph's default) keeps
the original layer and batch norm to compute the batch statistics. Their
gradient can go

  * `contrib`: through the batch statistics into the original layer, as in
    tf.contrib.quantize (create_training_graph's default): exact, and the
    original convolution runs backwards too;
  * `folded`: onto the folded layer's output, as the batch norm's gradient
    (folded_batch_norm_gradient=True, the trainer's choice before
    single_conv): the same gradients until quantization starts, the
    original layer forwards only;
  * `none`: nowhere (the batch statistics taken as constants): what an
    earlier attempt did; shown for the record, it does not train.

`single_conv` is the other training fold
(create_training_graph(single_conv_fold=True), the trainer's choice): no
original layer; the folded layer's output (divided by gamma /
sigma_moving) goes through the model's own batch norm, which takes its
gradient as in float training.

--mode=time times a training step of each, and of the float model,
interleaved in one process as tools/benchmark does (tools/bench/timing.py).
--mode=train runs tflite_conversion_test's training from scratch (0.25,
32 px, template images, quant_delay 0, freeze_bn_delay 250, lr 0.003) with
one of them and logs the loss and the largest weight norm.
docs/PERFORMANCE.md has the figures.
"""

import collections

from absl import flags
from absl import logging
import numpy as np

# core.app first: it quiets TensorFlow's start-up, so it must precede it.
from core import app  # pylint: disable=g-bad-import-order
from third_party import tf_slim_compat  # pylint: disable=unused-import

import tensorflow.compat.v1 as tf
import tf_slim as slim

from core import flag_checks
import mobilenet_v1
import quantize
from quantize.python import fold_batch_norms
from quantize import test_util
from tools.bench import timing

FLAGS = flags.FLAGS

flags.DEFINE_enum('mode', 'time', ['time', 'train'],
                  'Time the training steps, or train from scratch.')
flags.DEFINE_enum('gradient', 'folded',
                  ['contrib', 'folded', 'none', 'single_conv'],
                  '--mode=train: where the batch statistics\' gradient goes '
                  '(single_conv: the one-convolution fold).')
flags.DEFINE_float('depth_multiplier', 1.0, '--mode=time: depth multiplier.')
flags.DEFINE_integer('image_size', 224, '--mode=time: input resolution.')
flags.DEFINE_integer('batch_size', 32, '--mode=time: batch size.')
flags.DEFINE_integer('steps', 9, '--mode=time: timed steps of each kind.')
flags.DEFINE_integer('rounds', 3, '--mode=time: rounds the steps are '
                     'interleaved in.')
flags.DEFINE_integer('train_steps', test_util.SCRATCH_STEPS,
                     '--mode=train: training steps.')

_KINDS = ('float', 'contrib', 'folded', 'none', 'single_conv')
_IMAGENET_CLASSES = 1001


def _no_statistics_gradient(output, *unused_args):
  """The folded scheme without its batch-norm gradient (`none`)."""
  return output


def _rewrite(kind, freeze_bn_delay=None):
  """The training rewrite of one kind (nothing for float)."""
  if kind == 'float':
    return
  # pylint: disable=protected-access
  real = fold_batch_norms._with_folded_gradient
  if kind == 'none':
    fold_batch_norms._with_folded_gradient = _no_statistics_gradient
  try:
    quantize.create_training_graph(
        quant_delay=0, freeze_bn_delay=freeze_bn_delay,
        symmetric_weights=True,
        folded_batch_norm_gradient=kind in ('folded', 'none'),
        single_conv_fold=kind == 'single_conv')
  finally:
    fold_batch_norms._with_folded_gradient = real


class _StepRunner(object):
  """One MomentumOptimizer step of MobileNet v1 on a fixed batch."""

  def __init__(self, kind):
    self.images_per_step = FLAGS.batch_size
    graph = tf.Graph()
    with graph.as_default():
      tf.set_random_seed(0)
      rng = np.random.RandomState(0)
      images = tf.constant(rng.uniform(
          -1, 1, [FLAGS.batch_size, FLAGS.image_size, FLAGS.image_size,
                  3]).astype(np.float32))
      labels = tf.constant(rng.randint(0, _IMAGENET_CLASSES,
                                       [FLAGS.batch_size]))
      with slim.arg_scope(mobilenet_v1.mobilenet_v1_arg_scope(
          is_training=True)):
        logits, _ = mobilenet_v1.mobilenet_v1(
            images, num_classes=_IMAGENET_CLASSES, is_training=True,
            depth_multiplier=FLAGS.depth_multiplier)
      tf.losses.softmax_cross_entropy(tf.one_hot(labels, _IMAGENET_CLASSES),
                                      logits)
      _rewrite(kind)
      self._train_op = test_util.train_op(tf.losses.get_total_loss())
      self._session = tf.Session(graph=graph)
      self._session.run(tf.global_variables_initializer())

  def step(self):
    self._session.run(self._train_op)


def _time():
  runners = collections.OrderedDict((k, _StepRunner(k)) for k in _KINDS)
  timings = timing.measure_interleaved(runners, warmup_steps=2,
                                       steps=FLAGS.steps,
                                       rounds=FLAGS.rounds)
  base = timings['float'].median_seconds
  for kind in _KINDS:
    logging.info('%-8s median step %.3f s, %.2fx the float step', kind,
                 timings[kind].median_seconds,
                 timings[kind].median_seconds / base)


def _train():
  graph = tf.Graph()
  with graph.as_default():
    tf.set_random_seed(0)
    images, labels = test_util.batch_placeholders()
    logits, _ = test_util.build_model(images, is_training=True,
                                      batch_norm_decay=0.9)
    loss = test_util.add_loss(logits, labels)
    _rewrite(FLAGS.gradient, freeze_bn_delay=test_util.SCRATCH_FREEZE_BN_DELAY)
    train_op = test_util.train_op(
        loss, learning_rate=test_util.SCRATCH_LEARNING_RATE)
    weights = [v for v in tf.trainable_variables() if 'weights' in v.op.name]
    norms = {v.op.name: tf.norm(v) for v in weights}
    with test_util.session(graph) as sess:

      def log_norms(step, value):
        if step % 25 == 0 or step == FLAGS.train_steps - 1:
          values = sess.run(norms)
          largest = max(values, key=values.get)
          logging.info('step %d: loss %.4g; largest weight norm %.3g (%s)',
                       step, value, values[largest], largest)

      sess.run(tf.global_variables_initializer())
      test_util.train_on_templates(sess, images, labels, [loss, train_op],
                                   FLAGS.train_steps, log_norms)


def main(argv):
  del argv
  flag_checks.check_positive('steps', FLAGS.steps)
  flag_checks.check_positive('rounds', FLAGS.rounds)
  flag_checks.check_positive('train_steps', FLAGS.train_steps)
  if FLAGS.mode == 'time':
    _time()
  else:
    _train()


if __name__ == '__main__':
  app.run(main)
