"""Prints Million MACs and Million Parameters of the 16 MobileNet v1 models.

Each classifier (1001 classes) is built and measured from its graph; the
published figures of the original README are printed beside them.

  bazel run //tools:model_stats
  bazel run //tools:model_stats -- --format=csv
"""

import sys

from absl import app
from absl import flags

from core import variants
from model import graph_stats

FLAGS = flags.FLAGS
flags.DEFINE_enum('format', 'table', ['table', 'csv'],
                  'table: measured next to published figures, flagging rows '
                  'that differ; csv: model,million_macs,million_params.')


def differs(measured, published, places):
  """True when `published`, rounded to `places` decimals, cannot be `measured`."""
  return abs(measured - published) > 0.5 * 10**-places + 1e-9


def main(argv):
  del argv
  rows = []
  for variant in variants.FLOAT_VARIANTS:
    stats = graph_stats.measure(variant.depth_multiplier, variant.image_size)
    rows.append((variant.name, stats.macs / 1e6, stats.params / 1e6))

  if FLAGS.format == 'csv':
    print('model,million_macs,million_params')
    for name, macs, params in rows:
      print('%s,%.1f,%.3f' % (name, macs, params))
    return

  print('%-24s %12s %12s %12s %12s  %s' % (
      'model', 'MMACs', 'published', 'MParams', 'published', 'differs'))
  for name, macs, params in rows:
    published = variants.PUBLISHED[name]
    flag = []
    if differs(macs, published.million_macs, 0):
      flag.append('MACs')
    if differs(params, published.million_params, 2):
      flag.append('params')
    print('%-24s %12.1f %12d %12.2f %12.2f  %s' % (
        name, macs, published.million_macs, params, published.million_params,
        ', '.join(flag)))
  sys.stdout.flush()


if __name__ == '__main__':
  app.run(main)
