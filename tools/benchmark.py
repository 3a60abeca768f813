r"""Benchmarks one MobileNet v1 variant against Keras's MobileNet, same run.

  bazel run -c opt //tools:benchmark -- --out=/tmp/benchmark.json
  bazel run -c opt //tools:benchmark -- --depth_multiplier=0.5 --image_size=160

Measures on this machine (tools/bench/suite.py says exactly how): training
images/s of our float and quantized training steps and of
tf_keras.applications.MobileNet (same alpha and resolution, weights=None,
1001 classes), eval and input-pipeline images/s, and TensorFlow Lite
latency (median of --tflite_invokes invokes, 1 thread and all threads, all
models timed interleaved) and size of our float, int8 and uint8 bundles
(tflite_float_*, tflite_int8_*, tflite_uint8_*; tflite_quant_* repeats the
_quant bundle's default format, int8) and of Keras's float and int8
conversions, and which operations XNNPACK takes in each of our models
(`xnnpack`). Prints the side-by-side table and writes the figures as JSON.
Thread settings (--num_threads) apply to both models alike.

This is a benchmark, not a test: `bazel test //...` only runs its smoke test.
"""

import os
import sys

from absl import flags
from absl import logging

from core import app
from core import atomic_file
from core import errors
from core import flag_checks
from core import model_flags
from core import paths

FLAGS = flags.FLAGS

flags.DEFINE_string('out', None, 'Write the figures as JSON here (relative '
                    'to where bazel run was started).')
model_flags.define_model_flags(quantize=False, num_classes=False)
flags.DEFINE_integer('batch_size', 32, 'Training and eval batch size.')
flags.DEFINE_integer('warmup_steps', 3, 'Untimed steps before timing each '
                     'training, eval and input measurement.')
flags.DEFINE_integer('train_steps', 20, 'Timed float training steps, ours '
                     'and Keras\'s each.')
flags.DEFINE_integer('quant_train_steps', 8, 'Timed quantized training '
                     'steps.')
flags.DEFINE_integer('rounds', 4, 'Rounds the training steps are '
                     'interleaved in (so load changes hit all alike).')
flags.DEFINE_integer('eval_steps', 10, 'Timed eval batches.')
flags.DEFINE_integer('input_batches', 30, 'Timed input-pipeline batches.')
flags.DEFINE_integer('jpeg_images', 256, 'Synthetic ImageNet-sized JPEGs '
                     'for the JPEG input-pipeline figure.')
flags.DEFINE_integer('tflite_warmup', 10, 'Untimed TFLite invokes.')
flags.DEFINE_integer('tflite_invokes', 50, 'Timed TFLite invokes (the '
                     'median is reported).')
flags.DEFINE_integer('calibration_images', 8, 'Representative images for '
                     'Keras\'s int8 post-training quantization.')
model_flags.define_num_threads()  # For both models alike.


def _positive(name, allow_zero=False):
  flag_checks.check_positive(name, getattr(FLAGS, name), allow_zero=allow_zero)


def settings_from_flags():
  """suite.Settings from the flags; errors.BadInputError for bad values."""
  from tools.bench import suite  # pylint: disable=g-import-not-at-top
  flag_checks.check_model_flags(FLAGS.depth_multiplier, FLAGS.image_size,
                                FLAGS.batch_size)
  for name in ('train_steps', 'quant_train_steps', 'rounds', 'eval_steps',
               'input_batches', 'calibration_images', 'jpeg_images'):
    _positive(name)
  for name in ('warmup_steps', 'tflite_warmup', 'num_threads'):
    _positive(name, allow_zero=True)
  if FLAGS.tflite_invokes < 50:
    raise errors.BadInputError('--tflite_invokes must be >= 50 (the median of '
                               'at least 50 invokes), got %d' %
                               FLAGS.tflite_invokes)
  return model_flags.config_from_flags(suite.Settings)


def configure_threads(num_threads):
  """Keras runs eagerly: its pools are set here, before TensorFlow starts.

  Our graphs get the same numbers through their session configs.
  """
  if num_threads:
    import tensorflow as tf  # pylint: disable=g-import-not-at-top
    tf.config.threading.set_intra_op_parallelism_threads(num_threads)
    tf.config.threading.set_inter_op_parallelism_threads(num_threads)


def main(argv):
  del argv  # app.run refuses positional arguments.
  settings = settings_from_flags()
  out = paths.user_path(FLAGS.out) if FLAGS.out else None
  if out and os.path.isdir(out):
    raise errors.BadInputError('--out is a directory: %s' % out)
  configure_threads(settings.num_threads)
  # Imported after the thread settings: importing TensorFlow models starts
  # nothing, but keep every TensorFlow use after configure_threads.
  from third_party import tf_slim_compat  # pylint: disable=g-import-not-at-top,unused-import
  from tools.bench import suite  # pylint: disable=g-import-not-at-top
  result = suite.run(settings)
  print(suite.format_table(result))
  sys.stdout.flush()
  if out:
    atomic_file.write_json(out, result)
    logging.info('wrote %s', out)
    print('figures written to %s (%.0f s)' % (out, result['seconds']))


if __name__ == '__main__':
  app.run(main)
