r"""Measures the input pipeline: images/s read, decoded and preprocessed.

  bazel run -c opt //tools:input_benchmark                      # the digits
  bazel run -c opt //tools:input_benchmark -- --synthetic_jpeg  # ImageNet-like
  bazel run -c opt //tools:input_benchmark -- --dataset_dir=/data/imagenet

The pipeline is the one training uses (dataset.input_dataset: parallel shard
reads, parallel decode and preprocessing, batching, prefetch), run from a
tf.compat.v1 graph on all cores with nothing else to do, so its rate can be
compared with the model's training rate: when it is well above, input is not
the bottleneck. --synthetic_jpeg converts a set of ImageNet-sized JPEGs
(about 500x375, made here) with build_image_data's library first.
"""

import os

from absl import flags

from core import app
from core import model_flags
from core import paths
from core import scratch
from datasets import dataset_factory
from tools.bench import input_rate

FLAGS = flags.FLAGS
model_flags.define_dataset_flags()
flags.DEFINE_enum('split_name', 'train', ['train', 'validation'],
                  'Split to read.')
flags.DEFINE_boolean('synthetic_jpeg', False,
                     'Benchmark on ImageNet-sized synthetic JPEGs instead.')
flags.DEFINE_integer('num_synthetic_images', 256,
                     'Synthetic JPEGs to make.', lower_bound=16)
flags.DEFINE_boolean('is_training', True,
                     'Training pipeline (distorted crop, shuffle) or eval '
                     '(central crop, fixed order).')
flags.DEFINE_integer('image_size', 224, 'Output image size.', lower_bound=8)
flags.DEFINE_integer('batch_size', 64, 'Images per batch.', lower_bound=1)
flags.DEFINE_integer('num_batches', 40, 'Timed batches.', lower_bound=1)
flags.DEFINE_enum('cache_decoded', 'auto', ['auto', 'yes', 'no'],
                  'Keep decoded images in memory (auto: when they fit, as '
                  'training does). Synthetic JPEGs are never cached: they '
                  'stand for ImageNet, which does not fit.')
flags.DEFINE_integer('warmup_batches', 5,
                     'Untimed batches first (caches, autotuning).',
                     lower_bound=0)


def main(argv):
  del argv  # app.run refuses positional arguments.
  with scratch.scratch_dir('input_benchmark') as work_dir:
    if FLAGS.synthetic_jpeg:
      dataset_dir = input_rate.make_synthetic_jpeg_dataset(
          work_dir, FLAGS.num_synthetic_images)
      name = None
    else:
      dataset_dir = paths.user_path(FLAGS.dataset_dir) or None
      name = FLAGS.dataset_name or None
    dataset = dataset_factory.get_dataset(name, FLAGS.split_name, dataset_dir,
                                          FLAGS.preprocessing)
    cache = {'auto': None, 'yes': True, 'no': False}[FLAGS.cache_decoded]
    if FLAGS.synthetic_jpeg:
      cache = False
    if cache is None:
      cache = dataset.caches_decoded_by_default()
    rate, elapsed = input_rate.measure(
        dataset, FLAGS.is_training, FLAGS.image_size, FLAGS.batch_size,
        FLAGS.num_batches, FLAGS.warmup_batches, cache)
  label = 'synthetic JPEG (~500x375)' if FLAGS.synthetic_jpeg else (
      dataset.name)
  print('input pipeline, %s %s, %s preprocessing (%s) at %d px, batch %d, %s, '
        '%d cores: %.0f images/s (%d batches in %.1f s)' % (
            label, dataset.split_name,
            'training' if FLAGS.is_training else 'eval', dataset.preprocessing,
            FLAGS.image_size, FLAGS.batch_size,
            'decoded images cached' if cache else 'decoding every image',
            os.cpu_count() or 1, rate, FLAGS.num_batches, elapsed))
  return 0


if __name__ == '__main__':
  app.run(main)
