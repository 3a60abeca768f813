"""Builds the published bundles of all 32 models from their checkpoints.

  bazel run -c opt //tools:release -- --checkpoints_root=/data/checkpoints \\
      --output_dir=/data/release

--checkpoints_root holds one training directory per bundle, named by it
(mobilenet_v1_1.0_224/, mobilenet_v1_1.0_224_quant/, ... as in core/variants.py);
each one's newest checkpoint becomes <model>.tgz in --output_dir, as many
exports at once as there are cores. Bundles already up to date with their
checkpoint are skipped; models without a checkpoint are named and the rest
are built. --output_dir also gets manifest.json (sha256, sizes, MACs,
parameters, top-1/top-5 from <training dir>/eval/metrics.json) and
models_table.md (the original README's model table). The _quant bundles hold an int8
.tflite, or with --tflite_format=uint8 the TOCO-era uint8 one. See
export/release.py.
"""

from absl import flags
from absl import logging

from core import app
from core import errors
from core import flag_checks
from core import paths
from export import release
from export import tflite

FLAGS = flags.FLAGS

flags.DEFINE_string('checkpoints_root', '', 'Directory with one training '
                    'directory per model, named like mobilenet_v1_1.0_224 '
                    'and mobilenet_v1_1.0_224_quant.')
flags.DEFINE_string('output_dir', '', 'Where the .tgz bundles, manifest.json '
                    'and models_table.md go.')
flags.DEFINE_integer('jobs', None, 'Exports at once; default: the number of '
                     'cores.')
flags.DEFINE_list('models', [], 'Only these models (comma-separated names); '
                  'default: all 32.')
flags.DEFINE_bool('force', False, 'Rebuild bundles that are up to date.')
flags.DEFINE_enum('tflite_format', tflite.DEFAULT_QUANTIZED_FORMAT,
                  list(tflite.QUANTIZED_FORMATS), 'The .tflite format of the '
                  '_quant bundles: int8 (int8 inside, uint8 input and output) '
                  'or uint8 (uint8 throughout, the TOCO-era file).')


def main(argv):
  del argv  # app.run refuses positional arguments.
  flag_checks.require('checkpoints_root', FLAGS.checkpoints_root)
  flag_checks.require('output_dir', FLAGS.output_dir)
  flag_checks.check_positive('jobs', FLAGS.jobs)
  result = release.release(paths.user_path(FLAGS.checkpoints_root),
                           paths.user_path(FLAGS.output_dir), jobs=FLAGS.jobs,
                           names=FLAGS.models or None, force=FLAGS.force,
                           quant_format=FLAGS.tflite_format)
  print('built %d, up to date %d, no checkpoint %d, failed %d' % (
      len(result.built), len(result.skipped), len(result.missing),
      len(result.failed)))
  if result.missing:
    print('no checkpoint (not built): %s' % ', '.join(result.missing))
  print('manifest: %s\ntable: %s' % (result.manifest, result.table))
  if result.failed:
    for name, error in result.failed:
      logging.error('%s: %s', name, error)
    raise errors.JobFailedError(
        '%d bundle(s) failed: %s' %
        (len(result.failed), '; '.join('%s: %s' % f for f in result.failed)))


if __name__ == '__main__':
  app.run(main)
