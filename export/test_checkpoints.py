"""Tiny trained checkpoints for the export tests, made the cheap honest way.

The training graph of model/builder.py (the trainer's), depth multiplier 0.25,
32 px, 10 classes, a few SGD steps on random images; the quantized one is
then fine-tuned from the float one with the fake-quant rewrite (quantized
from step 0), so its weight ranges are set and its activation ranges have
moved from their initial values ([0, 6] after a ReLU6). Each is saved as a training directory
(a `checkpoint` state file naming the newest), with its global step.
"""

import os

from third_party import tf_slim_compat  # pylint: disable=unused-import

import numpy as np
import tensorflow.compat.v1 as tf

from core import session
from export import litert
from model import builder

DEPTH_MULTIPLIER = 0.25
IMAGE_SIZE = 32
NUM_CLASSES = 10
BATCH_SIZE = 4


def train(train_dir, steps, quantize=False, init_from=None, seed=0,
          depth_multiplier=DEPTH_MULTIPLIER, num_classes=NUM_CLASSES,
          restore_step=False):
  """Trains `steps` steps into train_dir; returns the checkpoint path.

  init_from: a checkpoint to start from (its variables that the model has;
  the global step only with restore_step, i.e. training on).
  """
  os.makedirs(train_dir, exist_ok=True)
  graph = tf.Graph()
  with graph.as_default():
    tf.set_random_seed(seed)
    images = tf.placeholder(tf.float32,
                            [BATCH_SIZE, IMAGE_SIZE, IMAGE_SIZE, 3])
    labels = tf.placeholder(tf.int64, [BATCH_SIZE])
    global_step = tf.train.get_or_create_global_step()
    model = builder.build_training_model(images, labels, num_classes,
                                         depth_multiplier, quantize=quantize,
                                         quant_delay=0, batch_norm_decay=0.9)
    update_ops = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
    with tf.control_dependencies(update_ops):
      train_op = tf.train.GradientDescentOptimizer(0.01).minimize(
          model.total_loss, global_step=global_step)
    restorer = None
    if init_from:
      stored = {name for name, _ in tf.train.list_variables(init_from)}
      restorer = tf.train.Saver([v for v in tf.global_variables()
                                 if v.op.name in stored and
                                 (restore_step or v is not global_step)])
    saver = tf.train.Saver()
    with tf.Session(graph=graph, config=session.session_config(1)) as sess:
      sess.run(tf.global_variables_initializer())
      if restorer:
        restorer.restore(sess, init_from)
      rng = np.random.RandomState(seed)
      for _ in range(steps):
        sess.run(train_op, {
            images: rng.uniform(-1, 1, [BATCH_SIZE, IMAGE_SIZE, IMAGE_SIZE,
                                        3]),
            labels: rng.randint(0, num_classes, BATCH_SIZE)})
      return saver.save(sess, os.path.join(train_dir, 'model.ckpt'),
                        global_step=global_step)


def float_and_quant(directory):
  """(float checkpoint, quantized checkpoint) under `directory`."""
  float_checkpoint = train(os.path.join(directory, 'float'), steps=3)
  quant_checkpoint = train(os.path.join(directory, 'quant'), steps=5,
                           quantize=True, init_from=float_checkpoint, seed=1)
  return float_checkpoint, quant_checkpoint


def _largest_constant(model):
  """(start offset in the model bytes, raw bytes) of its largest constant."""
  interpreter = litert.load(model)
  produced = {index for op in interpreter._get_ops_details()  # pylint: disable=protected-access
              for index in op['outputs']}
  produced.update(d['index'] for d in interpreter.get_input_details())
  constants = [(interpreter.get_tensor(d['index']), d)
               for d in interpreter.get_tensor_details()
               if d['index'] not in produced and np.prod(d['shape']) > 64]
  data, detail = max(constants, key=lambda pair: pair[0].nbytes)
  raw = data.tobytes()
  start = bytes(model).find(raw)
  if start < 0:
    raise ValueError('weights not found in the model bytes')
  return start, raw, detail


def nudge_one_weight(model):
  """Moves one quantized weight of the largest constant by one step.

  `model` is a bytearray of a quantized .tflite, changed in place (and
  returned): the weight at the middle of that tensor moves one step toward
  zero (away from the end of its integer range).
  """
  start, raw, detail = _largest_constant(model)
  offset = start + len(raw) // 2
  value = int(np.frombuffer(bytes(model[offset:offset + 1]),
                            detail['dtype'])[0])
  zero_point = int(detail['quantization_parameters']['zero_points'].flat[0])
  step = -1 if value > zero_point else 1
  model[offset:offset + 1] = np.array([value + step], detail['dtype']).tobytes()
  return model


def corrupt_largest_constant(model):
  """Flips bytes in the largest constant tensor (weights) of a .tflite.

  `model` is a bytearray, changed in place (and returned): every third byte
  of the first half of that tensor's buffer is XORed with 0x5A.
  """
  start, raw, _ = _largest_constant(model)
  for offset in range(start, start + len(raw) // 2, 3):
    model[offset] ^= 0x5A
  return model
