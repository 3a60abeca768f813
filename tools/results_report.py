r"""Generates docs/RESULTS.md and docs/accuracy_vs_macs.png from measurements.

  bazel run -c opt //tools:benchmark -- --out=docs/benchmark_1.0_224.json
  bazel run -c opt //tools:demo
  bazel run -c opt //tools:results_report

Gathers:
  * the model table: MACs, parameters, float, int8 and uint8 .tflite sizes and
    LiteRT latency of the 16 variants, measured now
    (tools/report/variant_models.py);
  * the speed table against Keras from tools/benchmark JSON files
    (--benchmark_json, default docs/benchmark_*.json);
  * float vs quantized vs int8 and uint8 TFLite accuracy on the digits from
    the main job's output (--demo_dir, default runs/demo; the .tflite
    accuracies are measured now by running the models over the validation
    split);
and writes the report, the chart and the data behind them
(docs/results.json), each atomically.
"""

import datetime
import glob
import json
import os
import time

from absl import flags
from absl import logging

from core import app
from core import atomic_file
from core import errors
from core import flag_checks
from core import paths
from core import scratch

FLAGS = flags.FLAGS

flags.DEFINE_string('out_dir', None, 'Where RESULTS.md, the chart and '
                    'results.json go; default: docs/ in the workspace.')
flags.DEFINE_list('benchmark_json', None, 'tools/benchmark JSON files; '
                  'default: <out_dir>/benchmark_*.json.')
flags.DEFINE_string('demo_dir', None, 'The main job\'s output; default: '
                    'runs/demo in the workspace. Empty: leave the digits '
                    'section out.')
flags.DEFINE_list('variants', None, 'Variants of the model table as '
                  '<depth multiplier>_<size> (e.g. 1.0_224,0.25_128); '
                  'default: the 16 published ones.')
flags.DEFINE_integer('invokes', 50, 'Timed LiteRT invokes per model and '
                     'thread count (the median is reported).')
flags.DEFINE_integer('warmup', 10, 'Untimed invokes first.')
flags.DEFINE_string('from_data', None, 'Render again from a results.json '
                    'written before, measuring nothing (e.g. after the '
                    'report\'s layout changed).')
flags.DEFINE_integer('calibration_steps', 3, 'Quantized training steps that '
                     'give the quantized models their ranges.')


def parse_variants(values):
  """['1.0_224', ...] -> [(1.0, 224), ...]; BadInputError for bad ones."""
  from core import variants  # pylint: disable=g-import-not-at-top
  if not values:
    return [(v.depth_multiplier, v.image_size)
            for v in variants.FLOAT_VARIANTS]
  parsed = []
  for value in values:
    try:
      variant = variants.parse_model_name('mobilenet_v1_' + value.strip())
    except ValueError:
      raise errors.BadInputError('--variants: %r is not <depth multiplier>_'
                                 '<size>, e.g. 0.5_160' % value) from None
    if variant.quantize:
      raise errors.BadInputError('--variants: name float variants (%r); each '
                                 'row measures float, int8 and uint8' % value)
    flag_checks.check_model_flags(variant.depth_multiplier, variant.image_size)
    parsed.append((variant.depth_multiplier, variant.image_size))
  return parsed


def _read_json(path, flag_name):
  """The JSON file --flag_name names; BadInputError if it cannot be read."""
  try:
    with open(path, encoding='utf-8') as f:
      return json.load(f)
  except (OSError, ValueError) as e:
    raise errors.BadInputError('--%s: cannot read %s: %s' % (
        flag_name, path, errors.one_line(e))) from e


def load_benchmarks(json_paths):
  """The benchmark results, checked for the figures the report shows."""
  from tools.bench import suite  # pylint: disable=g-import-not-at-top
  results = []
  for path in json_paths:
    result = _read_json(path, 'benchmark_json')
    missing = [k for k in suite.FIGURES if k not in result]
    if missing:
      raise errors.BadInputError(
          '--benchmark_json: %s is not a tools/benchmark '
          'result (no %s)' % (path, missing[0]))
    results.append(result)
  return results


def gather(model_variants, benchmark_paths, demo_dir, invokes, warmup,
           calibration_steps):
  """Measures and reads everything the report shows; returns the data."""
  from tools.bench import suite  # pylint: disable=g-import-not-at-top
  from tools.report import digits_accuracy  # pylint: disable=g-import-not-at-top
  from tools.report import variant_models  # pylint: disable=g-import-not-at-top
  start = time.time()
  machine = suite.machine_description()
  data = {
      'date': datetime.datetime.now(datetime.timezone.utc).strftime(
          '%Y-%m-%d %H:%M UTC'),
      'machine': machine,
      'load_average_at_start': round(os.getloadavg()[0], 2),
      'benchmarks': load_benchmarks(benchmark_paths),
      'model_settings': {'invokes': invokes, 'warmup': warmup,
                         'calibration_steps': calibration_steps,
                         'cores': machine['cores']},
  }
  digits = None
  if demo_dir:
    logging.info('digits accuracy from %s', demo_dir)
    digits = digits_accuracy.measure(demo_dir)
  data['digits'] = digits
  rows = []
  with scratch.scratch_dir('results_report') as work_dir:
    for index, (depth_multiplier, image_size) in enumerate(model_variants):
      row = variant_models.measure(depth_multiplier, image_size, work_dir,
                                   invokes, warmup, calibration_steps)
      rows.append(row)
      logging.info('%d/%d %s: %.1f M MACs, float %.2f MB %.2f ms, int8 '
                   '%.2f MB %.2f ms, uint8 '
                   '%.2f MB %.2f ms (1 thread), %.0f s', index + 1,
                   len(model_variants), row['variant'], row['macs'] / 1e6,
                   row['float_bytes'] / 1e6, row['float_ms_1thread'],
                   row['int8_bytes'] / 1e6, row['int8_ms_1thread'],
                   row['uint8_bytes'] / 1e6, row['uint8_ms_1thread'],
                   row['seconds'])
  data['models'] = rows
  data['load_average_at_end'] = round(os.getloadavg()[0], 2)
  data['seconds'] = round(time.time() - start, 1)
  return data


def write_report(data, out_dir):
  """Writes results.json, the chart and RESULTS.md; returns their paths."""
  from tools.report import render  # pylint: disable=g-import-not-at-top
  os.makedirs(out_dir, exist_ok=True)
  data = dict(data, data_file='results.json')
  data_path = atomic_file.write_json(os.path.join(out_dir, 'results.json'),
                                     data)
  chart = render.draw_chart(data['models'],
                            os.path.join(out_dir, render.CHART_NAME))
  report = atomic_file.write_text(os.path.join(out_dir, 'RESULTS.md'),
                                  render.markdown(data))
  return report, chart, data_path


def main(argv):
  del argv  # app.run refuses positional arguments.
  flag_checks.check_positive('invokes', FLAGS.invokes)
  flag_checks.check_positive('warmup', FLAGS.warmup, allow_zero=True)
  flag_checks.check_positive('calibration_steps', FLAGS.calibration_steps)
  if FLAGS.invokes < 50:
    raise errors.BadInputError('--invokes must be >= 50, got %d' %
                               FLAGS.invokes)
  model_variants = parse_variants(FLAGS.variants)
  out_dir = (paths.user_path(FLAGS.out_dir) if FLAGS.out_dir else os.path.join(
      paths.workspace_dir(), 'docs'))
  if FLAGS.from_data:
    path = paths.user_path(FLAGS.from_data)
    data = _read_json(path, 'from_data')
    print('wrote %s (from %s)' % (', '.join(write_report(data, out_dir)),
                                   path))
    return
  if FLAGS.benchmark_json is None:
    benchmark_paths = sorted(glob.glob(os.path.join(out_dir,
                                                    'benchmark_*.json')))
  else:
    benchmark_paths = [paths.user_path(p) for p in FLAGS.benchmark_json if p]
  if FLAGS.demo_dir is None:
    demo_dir = paths.demo_dir()
  else:
    demo_dir = paths.user_path(FLAGS.demo_dir) if FLAGS.demo_dir else None
  data = gather(model_variants, benchmark_paths, demo_dir, FLAGS.invokes,
                FLAGS.warmup, FLAGS.calibration_steps)
  written = write_report(data, out_dir)
  print('wrote %s in %.0f s' % (', '.join(written), data['seconds']))


if __name__ == '__main__':
  app.run(main)
