"""Our MobileNet v1, measured the way the project's binaries run it.

Training builds through trainer.build_train_graph (the trainer's model,
loss, learning rate, guarded SGD step and batch-norm updates) and runs in a
MonitoredSession with the trainer's session config and its progress hook,
so the step timed is the step users run. Only the input differs: one batch
of random images and labels, made in the graph and cached, so the model is
measured and not the input pipeline (input_rate measures that separately).
The initial weights are seeded as that batch is: every run starts from the
same weights and data, so the models of its few training steps (and the
bundles exported from them) do not depend on a random start.
"""

import os

from third_party import tf_slim_compat  # pylint: disable=unused-import

import tensorflow.compat.v1 as tf

from core import session
from core import variants
from datasets import imagenet
from model import builder
from training import hooks
from training import trainer



def cached_batch(batch_size, image_size, num_classes, seed=0):
  """(images, labels) tensors of one random batch, repeated from a cache."""
  images = tf.random.stateless_uniform(
      [batch_size, image_size, image_size, 3], [seed, 1], -1.0, 1.0)
  labels = tf.random.stateless_uniform([batch_size], [seed, 2], 0,
                                       num_classes, dtype=tf.int64)
  data = tf.data.Dataset.from_tensors((images, labels)).cache().repeat()
  data = data.prefetch(1)
  return tf.data.make_one_shot_iterator(data).get_next()


class TrainRunner(object):
  """One training step per step(); save() writes a checkpoint."""

  def __init__(self, depth_multiplier, image_size, batch_size, quantize,
               num_classes=variants.IMAGENET_NUM_CLASSES, num_threads=0,
               seed=0):
    self.images_per_step = batch_size
    # Quantized from step 0, as when fine-tuning a float checkpoint: the
    # fake-quant step is the one measured.
    config = trainer.TrainConfig(checkpoint_dir='unused', batch_size=batch_size,
                                 image_size=image_size,
                                 depth_multiplier=depth_multiplier,
                                 quantize=quantize, quant_delay=0,
                                 num_threads=num_threads)
    self._graph = tf.Graph()
    with self._graph.as_default():
      tf.set_random_seed(seed)
      tf.train.get_or_create_global_step()
      images, labels = cached_batch(batch_size, image_size, num_classes,
                                    seed)
      model, learning_rate, self._train_op = trainer.build_train_graph(
          config, images, labels, num_classes,
          steps_per_decay=trainer.decay_steps(imagenet.SPLITS_TO_SIZES['train'],
                                              batch_size,
                                              config.num_epochs_per_decay))
      self._saver = tf.train.Saver()
      hook = hooks.ProgressHook(model.total_loss, learning_rate, batch_size,
                                every_n_steps=1, silent=True)
      self._session = tf.train.SingularMonitoredSession(
          hooks=[hook], config=session.session_config(num_threads))

  def step(self):
    self._session.run(self._train_op)

  def save(self, directory):
    """Writes the current variables; returns the checkpoint path."""
    os.makedirs(directory, exist_ok=True)
    with self._graph.as_default():
      return self._saver.save(self._session.raw_session(),
                              os.path.join(directory, 'model.ckpt'))

  def close(self):
    self._session.close()


class EvalRunner(object):
  """One eval batch of the float eval graph (model/builder.py's) per step(),
  with the weights of a checkpoint."""

  def __init__(self, depth_multiplier, image_size, batch_size, checkpoint,
               num_classes=variants.IMAGENET_NUM_CLASSES, num_threads=0,
               seed=0):
    self.images_per_step = batch_size
    self._graph = tf.Graph()
    with self._graph.as_default():
      images, _ = cached_batch(batch_size, image_size, num_classes, seed)
      self._logits, _ = builder.build_eval_model(images, num_classes,
                                                 depth_multiplier,
                                                 quantize=False)
      saver = tf.train.Saver()
    # The eval binary's session config (training/evaluator.py).
    self._session = tf.Session(graph=self._graph,
                               config=session.session_config(num_threads))
    with self._graph.as_default():
      saver.restore(self._session, checkpoint)

  def step(self):
    self._session.run(self._logits)

  def close(self):
    self._session.close()


def input_rate(image_size, batch_size, num_batches, warmup_batches):
  """Images/s of the training input pipeline on the built-in digits.

  The pipeline training reads (decoded images cached, distorted
  preprocessing to image_size, batching, prefetch), measured by
  tools/input_benchmark's function (tools/bench/input_rate.py).
  """
  from datasets import dataset_factory  # pylint: disable=g-import-not-at-top
  from tools.bench import input_rate as input_rate_lib  # pylint: disable=g-import-not-at-top
  dataset = dataset_factory.get_dataset(None, 'train', None)
  rate, _ = input_rate_lib.measure(dataset, True, image_size, batch_size,
                                   num_batches, warmup_batches)
  return rate


def jpeg_input_rate(image_size, batch_size, num_batches, warmup_batches,
                    work_dir, num_images=256):
  """The same on ImageNet-sized synthetic JPEGs, decoded every time.

  Stands for ImageNet (which does not fit in memory): every image is read,
  decoded, cropped and resized, as `input_benchmark --synthetic_jpeg`.
  """
  from datasets import dataset_factory  # pylint: disable=g-import-not-at-top
  from tools.bench import input_rate as input_rate_lib  # pylint: disable=g-import-not-at-top
  records = input_rate_lib.make_synthetic_jpeg_dataset(work_dir, num_images)
  dataset = dataset_factory.get_dataset(None, 'train', records)
  rate, _ = input_rate_lib.measure(dataset, True, image_size, batch_size,
                                   num_batches, warmup_batches,
                                   cache_decoded=False)
  return rate


def export_tflite(checkpoint, depth_multiplier, image_size, quantize,
                  output_dir, num_threads=0, tflite_format=None):
  """The .tflite bytes of the published bundle exported from `checkpoint`.

  export/exporter.py writes <model>.tgz as for a release (frozen graph,
  float or quantized conversion in `tflite_format`, None: the bundle's
  default, its checks); the .tflite is read back.
  """
  from export import bundle  # pylint: disable=g-import-not-at-top
  from export import exporter  # pylint: disable=g-import-not-at-top
  result = exporter.export_bundle(checkpoint, output_dir,
                                  depth_multiplier=depth_multiplier,
                                  image_size=image_size, quantize=quantize,
                                  num_threads=num_threads,
                                  tflite_format=tflite_format)
  return bundle.read_member(result.archive, 'tflite')
