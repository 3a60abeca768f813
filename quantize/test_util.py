"""Tiny MobileNet v1 graphs, checkpoints and sessions for the rewrite tests.

Tests use depth multiplier 0.25, 32 px images and 10 classes; sessions use
one thread each, since two test jobs share two cores.
"""

import collections
import os

from third_party import tf_slim_compat  # pylint: disable=unused-import

import numpy as np
import tensorflow.compat.v1 as tf

from core import session as session_lib
from model import builder

DEPTH_MULTIPLIER = 0.25
IMAGE_SIZE = 32
NUM_CLASSES = 10
BATCH_SIZE = 8


def session(graph):
  return tf.Session(graph=graph, config=session_lib.session_config(1))


def random_images(seed, batch_size=BATCH_SIZE, image_size=IMAGE_SIZE):
  """Images in [-1, 1], the range the MobileNet preprocessing produces."""
  rng = np.random.RandomState(seed)
  return rng.uniform(-1, 1, [batch_size, image_size, image_size, 3]).astype(
      np.float32)


def random_labels(seed, batch_size=BATCH_SIZE, num_classes=NUM_CLASSES):
  return np.random.RandomState(seed).randint(0, num_classes, [batch_size])


def build_model(images, is_training, batch_norm_decay=None,
                dropout_keep_prob=0.999):
  """MobileNet v1 as model/builder.py builds it, or with a faster BN decay.

  A small batch_norm_decay makes the moving statistics follow the data
  within a few steps, so folding tests see non-trivial moving averages.
  """
  return builder.build_classifier(images, NUM_CLASSES, DEPTH_MULTIPLIER,
                                  is_training=is_training,
                                  dropout_keep_prob=dropout_keep_prob,
                                  batch_norm_decay=batch_norm_decay)


def add_loss(logits, labels):
  one_hot = tf.one_hot(labels, NUM_CLASSES)
  tf.losses.softmax_cross_entropy(one_hot, logits)
  return tf.losses.get_total_loss()


def train_op(loss, learning_rate=0.01):
  """Momentum SGD that also runs the batch-norm updates and the step."""
  optimizer = tf.train.MomentumOptimizer(learning_rate, 0.9)
  update_ops = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
  with tf.control_dependencies(update_ops):
    return optimizer.minimize(loss,
                              global_step=tf.train.get_or_create_global_step())


def float_checkpoint(directory, steps=4, seed=0):
  """Trains the float model a few steps (BN decay 0.5) and saves it.

  Returns the checkpoint path; the moving means and variances in it are far
  from their initial 0 and 1.
  """
  graph = tf.Graph()
  with graph.as_default():
    tf.set_random_seed(seed)
    images = tf.placeholder(tf.float32,
                            [BATCH_SIZE, IMAGE_SIZE, IMAGE_SIZE, 3])
    labels = tf.placeholder(tf.int64, [BATCH_SIZE])
    logits, _ = build_model(images, is_training=True, batch_norm_decay=0.5)
    step = train_op(add_loss(logits, labels))
    saver = tf.train.Saver()
    with session(graph) as sess:
      sess.run(tf.global_variables_initializer())
      for i in range(steps):
        sess.run(step, {images: random_images(seed + i),
                        labels: random_labels(seed + i)})
      return saver.save(sess, os.path.join(directory, 'float.ckpt'))


def restore_available(sess, checkpoint):
  """Restores the graph's global variables that the checkpoint has.

  Returns the names of the variables the checkpoint does not have (they
  keep their initial values).
  """
  in_checkpoint = {name for name, _ in tf.train.list_variables(checkpoint)}
  variables = tf.global_variables()
  restorable = [v for v in variables if v.op.name in in_checkpoint]
  missing = sorted(v.op.name for v in variables
                   if v.op.name not in in_checkpoint)
  sess.run(tf.global_variables_initializer())
  tf.train.Saver(restorable).restore(sess, checkpoint)
  return missing


def set_quantization_step(sess, graph, value):
  """Makes the next run see quantization step `value` (it counts first)."""
  [step] = [v for v in graph.get_collection(tf.GraphKeys.GLOBAL_VARIABLES)
            if v.op.name == 'fake_quantization_step']
  step.load(value - 1, sess)


TrainingStep = collections.namedtuple(
    'TrainingStep',
    'graph images labels logits loss gradients updates moving_averages')


def training_step(images_shape, labels_shape, rewrite=None):
  """One training step of the test MobileNet, for comparing folds.

  No dropout, so that a folded and an unfolded graph compute the same
  function. rewrite(graph), if given, runs after the loss and before the
  gradients. gradients and moving_averages are {variable name: tensor}.
  """
  graph = tf.Graph()
  with graph.as_default():
    images = tf.placeholder(tf.float32, images_shape)
    labels = tf.placeholder(tf.int64, labels_shape)
    logits, _ = build_model(images, is_training=True, dropout_keep_prob=1.0)
    loss = add_loss(logits, labels)
    if rewrite is not None:
      rewrite(graph)
    variables = tf.trainable_variables()
    gradients = dict(zip([v.op.name for v in variables],
                         tf.gradients(loss, variables)))
    updates = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
    moving = {v.op.name: v for v in tf.global_variables()
              if 'moving_' in v.op.name}
  return TrainingStep(graph, images, labels, logits, loss, gradients, updates,
                      moving)


def template_images(num_images, seed, noise=0.3):
  """A small learnable set: one blocky random template per class, plus noise.

  Returns float images in [-1, 1] and their int labels; the templates are
  the same for every seed, so sets of different seeds share the classes.
  """
  templates = np.random.RandomState(1234).uniform(
      -1, 1, [NUM_CLASSES, IMAGE_SIZE // 4, IMAGE_SIZE // 4, 3])
  templates = np.repeat(np.repeat(templates, 4, axis=1), 4, axis=2)
  rng = np.random.RandomState(seed)
  labels = rng.randint(0, NUM_CLASSES, num_images)
  images = ((1 - noise) * templates[labels] +
            noise * rng.uniform(-1, 1, [num_images, IMAGE_SIZE, IMAGE_SIZE,
                                        3]))
  return np.clip(images, -1, 1).astype(np.float32), labels


# Quantized training from scratch on template images: the setting of
# tflite_conversion_test, which tools/fold_gradients --mode=train repeats.
SCRATCH_STEPS = 500
SCRATCH_FREEZE_BN_DELAY = 250
SCRATCH_LEARNING_RATE = 0.003
SCRATCH_IMAGES = 160
SCRATCH_NOISE = 0.2


def batch_placeholders():
  """Images and labels placeholders of BATCH_SIZE x IMAGE_SIZE."""
  images = tf.placeholder(tf.float32,
                          [BATCH_SIZE, IMAGE_SIZE, IMAGE_SIZE, 3])
  labels = tf.placeholder(tf.int64, [BATCH_SIZE])
  return images, labels


def train_on_templates(sess, images, labels, fetches, steps, on_step=None):
  """Runs `fetches` (the loss first) for `steps` steps on the scratch
  setting's template images (seed 1), in order, wrapping around.

  on_step(step, loss) runs after each step; returns the last loss.
  """
  data, classes = template_images(SCRATCH_IMAGES, seed=1, noise=SCRATCH_NOISE)
  loss = None
  for step in range(steps):
    start = (step * BATCH_SIZE) % len(data)
    end = start + BATCH_SIZE
    loss = sess.run(fetches, {images: data[start:end],
                              labels: classes[start:end]})[0]
    if on_step is not None:
      on_step(step, loss)
  return loss


SmallLayerGraph = collections.namedtuple(
    'SmallLayerGraph', 'x y loss updates moving_mean moving_variance')

SMALL_LAYER_KINDS = ('conv', 'atrous', 'depthwise', 'matmul',
                     'matmul_transposed')


def small_layer_graph(kind, training, with_gamma, with_bias, rng):
  """x -> layer [-> bias] -> fused batch norm -> relu, built on tf.nn.

  For layer kinds and options MobileNet does not have; `kind` is one of
  SMALL_LAYER_KINDS ('atrous': SpaceToBatchND, Conv2D, BatchToSpaceND).
  In training mode the moving averages are updated from the batch
  statistics (`updates`), as tf.nn.fused_batch_norm used by hand.
  """
  x = tf.placeholder(tf.float32, [4, 6, 6, 3], name='x')

  def variable(name, value, trainable=True):
    return tf.get_variable(name, initializer=value.astype(np.float32),
                           trainable=trainable, use_resource=True)

  if kind == 'conv':
    out = 5
    w = variable('weights', rng.normal(size=[3, 3, 3, out]))
    y = tf.nn.conv2d(x, w, [1, 1, 1, 1], 'SAME')
  elif kind == 'atrous':
    out = 5
    w = variable('weights', rng.normal(size=[3, 3, 3, out]))
    y = tf.nn.atrous_conv2d(x, w, rate=2, padding='SAME')
  elif kind == 'depthwise':
    out = 6
    w = variable('weights', rng.normal(size=[3, 3, 3, 2]))
    y = tf.nn.depthwise_conv2d(x, w, [1, 2, 2, 1], 'SAME')
  elif kind in ('matmul', 'matmul_transposed'):
    out = 7
    flat = tf.reshape(x, [4, -1])
    if kind == 'matmul':
      w = variable('weights', rng.normal(size=[6 * 6 * 3, out]) * 0.1)
      y = tf.matmul(flat, w)
    else:
      w = variable('weights', rng.normal(size=[out, 6 * 6 * 3]) * 0.1)
      y = tf.matmul(flat, w, transpose_b=True)
  else:
    raise ValueError('unknown layer kind %r' % kind)
  if with_bias:
    y = tf.nn.bias_add(y, variable('biases', rng.normal(size=[out])))
  rank = y.shape.ndims
  if rank == 2:
    y = tf.reshape(y, [-1, 1, 1, out])
  gamma = (variable('gamma', rng.uniform(0.5, 2, size=[out]))
           if with_gamma else tf.ones([out]))
  beta = variable('beta', rng.normal(size=[out]))
  moving_mean = variable('moving_mean', rng.normal(size=[out]), False)
  moving_variance = variable('moving_variance',
                             rng.uniform(0.5, 2, size=[out]), False)
  if training:
    y, mean, variance = tf.nn.fused_batch_norm(
        y, gamma, beta, epsilon=0.001, is_training=True)
    updates = [moving_mean.assign_sub(0.5 * (moving_mean - mean)),
               moving_variance.assign_sub(0.5 * (moving_variance - variance))]
  else:
    y, _, _ = tf.nn.fused_batch_norm(
        y, gamma, beta, mean=moving_mean, variance=moving_variance,
        epsilon=0.001, is_training=False)
    updates = []
  if rank == 2:
    y = tf.reshape(y, [-1, out])
  y = tf.nn.relu(y, name='output')
  loss = tf.reduce_sum(tf.square(y))
  return SmallLayerGraph(x, y, loss, updates, moving_mean, moving_variance)
