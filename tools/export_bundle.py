"""Turns one trained checkpoint into the published bundle <model>.tgz.

  bazel run //tools:export_bundle -- --checkpoint=/tmp/mobilenet_train \\
      --depth_multiplier=0.5 --image_size=160 --output_dir=/tmp/bundles
  bazel run //tools:export_bundle -- --checkpoint=runs/mobilenet_v1_1.0_224_quant \\
      --quantize --output_dir=/tmp/bundles
  bazel run //tools:export_bundle -- --checkpoint=runs/mobilenet_v1_1.0_224_quant \\
      --quantize --tflite_format=uint8 --output_dir=/tmp/bundles_uint8

Writes --output_dir/<model>.tgz (e.g. mobilenet_v1_0.5_160.tgz) holding the
checkpoint, the eval graph as text, the frozen graph, the info file and the
TensorFlow Lite model (for --quantize: int8 inside with uint8 input and
output by default, or --tflite_format=uint8 for the TOCO-era all-uint8 file;
the info file's `TFLite format` line says which), after checking the .tflite
against the frozen graph (export/float_parity.py, export/quant_parity.py). Nothing is written to
--output_dir unless every step and check passed.
"""

from absl import flags

from core import app
from core import atomic_file
from core import flag_checks
from core import model_flags
from core import paths
from export import exporter
from export import tflite

FLAGS = flags.FLAGS

model_flags.define_model_flags(num_classes=False)
model_flags.define_num_threads()
flags.DEFINE_string('checkpoint', '', 'A checkpoint path, or a training '
                    'directory (its newest checkpoint).')
flags.DEFINE_integer('num_classes', None, 'Classes of the classifier; '
                     'default: read from the checkpoint (an error if given '
                     'and different).')
flags.DEFINE_string('output_dir', '', 'Directory for <model>.tgz.')
flags.DEFINE_enum('tflite_format', None, list(tflite.QUANTIZED_FORMATS),
                  'With --quantize: the .tflite\'s format, int8 (int8 inside, '
                  'uint8 input and output; the default) or uint8 (uint8 '
                  'throughout, as TOCO made the published _quant models).')
flags.DEFINE_string(
    'result_json', '', 'Also write what was exported (name, '
    'sha256, sizes, MACs, parameters, checks) as JSON here.')


def main(argv):
  del argv  # app.run refuses positional arguments.
  flag_checks.require('checkpoint', FLAGS.checkpoint)
  flag_checks.require('output_dir', FLAGS.output_dir)
  flag_checks.check_positive('num_threads', FLAGS.num_threads, allow_zero=True)
  result = exporter.export_bundle(checkpoint=paths.user_path(FLAGS.checkpoint),
                                  output_dir=paths.user_path(FLAGS.output_dir),
                                  depth_multiplier=FLAGS.depth_multiplier,
                                  image_size=FLAGS.image_size,
                                  quantize=FLAGS.quantize,
                                  num_classes=FLAGS.num_classes,
                                  num_threads=FLAGS.num_threads,
                                  tflite_format=FLAGS.tflite_format)
  if FLAGS.result_json:
    atomic_file.write_json(paths.user_path(FLAGS.result_json), result._asdict())
  print('%s  (%d bytes; .tflite %d bytes; %s)' % (
      result.archive, result.archive_bytes, result.tflite_bytes,
      result.parity))


if __name__ == '__main__':
  app.run(
      main, interrupted_message='interrupted; nothing was written to '
      '--output_dir')
