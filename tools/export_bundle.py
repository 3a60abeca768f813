"""Turns one trained checkpoint into the published bundle <model>.tgz.

  bazel run //tools:export_bundle -- --checkpoint=/tmp/mobilenet_train \\
      --depth_multiplier=0.5 --image_size=160 --output_dir=/tmp/bundles
  bazel run //tools:export_bundle -- --checkpoint=runs/mobilenet_v1_1.0_224_quant \\
      --quantize --output_dir=/tmp/bundles

Writes --output_dir/<model>.tgz (e.g. mobilenet_v1_0.5_160.tgz) holding the
checkpoint, the eval graph as text, the frozen graph, the info file and the
TensorFlow Lite model (uint8 for --quantize), after checking the .tflite
against the frozen graph (export/checks.py). Nothing is written to
--output_dir unless every step and check passed.
"""

from absl import flags

import atomic_file
import cli
from export import bundle

FLAGS = flags.FLAGS

flags.DEFINE_string('checkpoint', '', 'A checkpoint path, or a training '
                    'directory (its newest checkpoint).')
flags.DEFINE_float('depth_multiplier', 1.0, 'Depth multiplier the checkpoint '
                   'was trained with.')
flags.DEFINE_integer('image_size', 224, 'Input resolution of the exported '
                     'graphs (e.g. 224; any size >= 32).')
flags.DEFINE_bool('quantize', False, 'Export a quantized (_quant) model: '
                  'needs a checkpoint trained with --quantize; the .tflite is '
                  'fully quantized uint8.')
flags.DEFINE_integer('num_classes', None, 'Classes of the classifier; '
                     'default: read from the checkpoint (an error if given '
                     'and different).')
flags.DEFINE_string('output_dir', '', 'Directory for <model>.tgz.')
flags.DEFINE_integer('num_threads', 0, 'TensorFlow threads per pool (0: '
                     'TensorFlow decides).')
flags.DEFINE_string('result_json', '', 'Also write what was exported (name, '
                    'sha256, sizes, MACs, parameters, checks) as JSON here; '
                    'used by the release script.')


def main(argv):
  del argv  # cli.run refuses positional arguments.
  cli.require('checkpoint', FLAGS.checkpoint)
  cli.require('output_dir', FLAGS.output_dir)
  cli.check_positive('num_threads', FLAGS.num_threads, allow_zero=True)
  result = bundle.export_bundle(
      checkpoint=cli.user_path(FLAGS.checkpoint),
      output_dir=cli.user_path(FLAGS.output_dir),
      depth_multiplier=FLAGS.depth_multiplier,
      image_size=FLAGS.image_size,
      quantize=FLAGS.quantize,
      num_classes=FLAGS.num_classes,
      num_threads=FLAGS.num_threads)
  if FLAGS.result_json:
    atomic_file.write_json(cli.user_path(FLAGS.result_json), result._asdict())
  print('%s  (%d bytes; .tflite %d bytes; %s)' % (
      result.archive, result.archive_bytes, result.tflite_bytes,
      result.parity))


if __name__ == '__main__':
  cli.run(main)
