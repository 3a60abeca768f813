"""Writes docs/RESULTS.md and the accuracy-versus-MACs chart from measurements.

Everything shown comes from the data dict tools/results_report.py gathers
(and saves next to the report); the only figures not measured here are the
original's published ImageNet accuracies (variants.PUBLISHED), labelled as
such wherever they appear.
"""

import io

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top,wrong-import-position
from matplotlib import ticker  # pylint: disable=g-import-not-at-top,wrong-import-position

from core import atomic_file
from core import variants
from tools.bench import suite  # pylint: disable=g-import-not-at-top,wrong-import-position

CHART_NAME = 'accuracy_vs_macs.png'
_COLORS = {1.0: '#1f77b4', 0.75: '#ff7f0e', 0.5: '#2ca02c', 0.25: '#d62728'}
_MARKERS = {224: 'o', 192: 's', 160: '^', 128: 'D'}


def _mb(value):
  return '%.2f' % (value / 1e6)


def _ms(value):
  return '%.2f' % value


def _published(name):
  return variants.PUBLISHED.get(name)


def _plain_log_ticks(axis, ticks):
  """Labels a log axis with plain numbers (no overlapping 10^x minors)."""
  lower, upper = axis.get_view_interval()
  axis.set_major_locator(ticker.FixedLocator(
      [t for t in ticks if lower <= t <= upper] or ticks[:1]))
  axis.set_major_formatter(ticker.FormatStrFormatter('%g'))
  axis.set_minor_formatter(ticker.NullFormatter())


def draw_chart(model_rows, path):
  """Published ImageNet top-1 against measured MACs and int8 latency."""
  rows = [r for r in model_rows if _published(r['variant'])]
  figure, (left, right) = plt.subplots(1, 2, figsize=(12, 5))
  for row in rows:
    published = _published(row['variant'])
    quant = _published(row['variant'] + variants.QUANT_SUFFIX)
    color = _COLORS.get(row['depth_multiplier'], 'grey')
    marker = _MARKERS.get(row['image_size'], 'x')
    left.scatter(row['macs'] / 1e6, published.top1, color=color,
                 marker=marker, s=50)
    if quant:
      left.scatter(row['macs'] / 1e6, quant.top1, facecolors='none',
                   edgecolors=color, marker=marker, s=50)
    right.scatter(row['int8_ms_1thread'], quant.top1 if quant
                  else published.top1, color=color, marker=marker, s=50)
  for depth, color in _COLORS.items():
    line = sorted((r['macs'] / 1e6, _published(r['variant']).top1)
                  for r in rows if r['depth_multiplier'] == depth)
    if len(line) > 1:
      left.plot(*zip(*line), color=color, alpha=0.4, linewidth=1)
  left.set_xscale('log')
  left.set_xlabel('Million MACs (measured from the graph, model/graph_stats)')
  left.set_ylabel('ImageNet top-1 % (published by the original)')
  left.set_title('Accuracy vs MACs (filled: float, hollow: _quant)')
  right.set_xscale('log')
  right.set_xlabel('int8 .tflite latency, 1 thread, ms (measured here)')
  right.set_ylabel('ImageNet top-1 % of the _quant model (published)')
  right.set_title('Accuracy vs measured int8 TFLite latency (the default)')
  _plain_log_ticks(left.xaxis, (10, 20, 50, 100, 200, 500, 1000))
  _plain_log_ticks(right.xaxis, (0.1, 0.2, 0.5, 1, 2, 5, 10, 20))
  for axis in (left, right):
    axis.grid(True, which='both', alpha=0.3)
  handles = [plt.Line2D([], [], color=c, marker='o', linestyle='',
                        label='depth %s' % d) for d, c in _COLORS.items()]
  handles += [plt.Line2D([], [], color='black', marker=m, linestyle='',
                         label='%d px' % s) for s, m in _MARKERS.items()]
  left.legend(handles=handles, loc='lower right', fontsize=8)
  figure.suptitle('MobileNet v1: published ImageNet accuracy against what '
                  'this project measures (MACs, latency)', fontsize=11)
  figure.tight_layout()
  png = io.BytesIO()
  figure.savefig(png, format='png', dpi=100)
  plt.close(figure)
  return atomic_file.write_bytes(path, png.getvalue())


def _speed_section(benchmarks):
  lines = ['## Speed against Keras', '']
  if not benchmarks:
    return lines + ['No benchmark results were given (--benchmark_json).', '']
  for result in benchmarks:
    machine = result['machine']
    lines += [
        '### %s, batch %d' % (result['variant'], result['batch_size']), '',
        'Measured by `bazel run -c opt //tools:benchmark` on %s (%d cores), '
        '%s; load average %.2f at the start and %.2f at the end; TensorFlow '
        '%s, tf-keras %s. Keras is `tf_keras.applications.MobileNet` with '
        'the same alpha and resolution, weights=None, 1001 classes, SGD, '
        '`train_on_batch` (XLA %s).' % (
            machine['cpu'], machine['cores'], result['date'],
            result['load_average_at_start'], result['load_average_at_end'],
            result['versions']['tensorflow'], result['versions']['tf_keras'],
            'on' if result.get('keras_jit_compile') else 'off'),
        '',
        '| | ours | Keras |',
        '|---|---:|---:|',
    ]
    for label, ours_key, keras_key, fmt in suite.TABLE_ROWS:
      lines.append('| %s | %s | %s |' % (
          label, suite._cell(result, ours_key, fmt),  # pylint: disable=protected-access
          suite._cell(result, keras_key, fmt)))  # pylint: disable=protected-access
    lines += [
        '',
        'Float training: ours at **%.2fx** Keras\'s speed in the same run; '
        'a quantized (fake-quant) step costs %.2fx a float one. Training '
        'is timed on one cached batch (median step of %d float, %d '
        'quantized and %d Keras steps after %d warm-up steps each, '
        'interleaved in %d rounds); the input pipeline (%s) is timed by '
        'itself.' % (
            result['train_speedup_vs_keras'],
            result['quant_step_cost_vs_float'],
            result['settings']['train_steps'],
            result['settings']['quant_train_steps'],
            result['settings']['train_steps'],
            result['settings']['warmup_steps'], result['settings']['rounds'],
            result.get('input_pipeline', 'the built-in digits')),
        '']
    lines += [
        'Our quantized .tflite comes in two formats made from the same '
        'learned ranges (one per tensor): int8 inside with uint8 input and '
        'output, the _quant bundles\' default, and the TOCO-era uint8 '
        'throughout (`--tflite_format=uint8`). Keras\'s is TensorFlow '
        'Lite\'s post-training int8 (calibrated on %d random images, one '
        'range per channel, uint8 at the input and output). The JSON\'s '
        '`tflite_quant_*` figures repeat those of the default format. All '
        '.tflite models of a run are timed interleaved.' %
        result['settings']['calibration_images'], '']
    summary = suite.quantized_summary(result)
    if summary:
      lines += ['- %s' % line for line in summary] + ['']
    if 'input_jpeg_images_per_sec' in result:
      lines += [
          'The input pipeline outruns float training %.0fx on the digits and '
          '%.0fx on ImageNet-sized JPEGs decoded every time (synthetic, '
          'about 500x375, as `tools/input_benchmark --synthetic_jpeg`).' % (
              result['input_images_per_sec'] /
              result['train_images_per_sec'],
              result['input_jpeg_images_per_sec'] /
              result['train_images_per_sec']), '']
  return lines


def _model_section(rows, settings):
  lines = [
      '## The models', '',
      'MACs and parameters from each built graph (1001 classes, one image; '
      'model/graph_stats). The .tflite files are converted by export/\'s '
      'freeze and tflite functions from initialised models (the quantized '
      'ones '
      'after %d quantized training steps on random images, to give every '
      'range a value; int8 and uint8 from the same ranges): sizes and '
      'latency do not depend on trained weights. Latency: median of %d '
      'LiteRT invokes after %d warm-up invokes, the three models of a row '
      'timed interleaved, 1 thread and all %d threads.' % (
          settings['calibration_steps'], settings['invokes'],
          settings['warmup'], settings['cores']),
      '',
      '| Model | Million MACs | Million params | float MB | int8 MB | '
      'uint8 MB | float ms (1 / all thr.) | int8 ms (1 / all thr.) | '
      'uint8 ms (1 / all thr.) | top-1 float / _quant (published) |',
      '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ]
  for row in rows:
    published = _published(row['variant'])
    quant = _published(row['variant'] + variants.QUANT_SUFFIX)
    top1 = ('%.1f / %.1f' % (published.top1, quant.top1)
            if published and quant else '-')
    lines.append('| %s | %.1f | %.2f | %s | %s | %s | %s / %s | %s / %s | '
                 '%s / %s | %s |' % (
                     row['variant'], row['macs'] / 1e6, row['params'] / 1e6,
                     _mb(row['float_bytes']), _mb(row['int8_bytes']),
                     _mb(row['uint8_bytes']), _ms(row['float_ms_1thread']),
                     _ms(row['float_ms_all_threads']),
                     _ms(row['int8_ms_1thread']),
                     _ms(row['int8_ms_all_threads']),
                     _ms(row['uint8_ms_1thread']),
                     _ms(row['uint8_ms_all_threads']), top1))
  lines.append('')
  return lines


def _digits_section(digits):
  lines = ['## Accuracy on the built-in digits', '']
  if not digits:
    return lines + ['Not measured (no --demo_dir).', '']
  lines += [
      'MobileNet v1 %s at %d px trained by the main job (`bazel run -c opt '
      '//tools:demo`: float training, then quantized fine-tuning from it), '
      'evaluated on %s. The TensorFlow rows are the demo\'s own eval; the '
      '.tflite rows run each exported bundle\'s model over the same split '
      '(export/tflite_eval.py), and the _quant bundle\'s other quantized '
      'format, converted from its frozen graph and checked as an export '
      'checks it.' % (variants.format_depth_multiplier(
          digits['depth_multiplier']), digits['image_size'], digits['dataset']),
      '',
      '| model | steps | Accuracy | Recall_5 | examples | measured by |',
      '|---|---:|---:|---:|---:|---|',
  ]
  for row in digits['rows']:
    lines.append('| %s | %s | %.4f | %.4f | %d | %s |' % (
        row['model'], row['steps'], row['accuracy'], row['recall_5'],
        row['num_examples'], row['source']))
  lines.append('')
  return lines


def markdown(data, chart_name=CHART_NAME):
  """The text of RESULTS.md."""
  machine = data['machine']
  lines = [
      '# Results',
      '',
      'Generated by `bazel run -c opt //tools:results_report` on %s (%d '
      'cores) at %s in %.0f s, from measurements it made or read (saved '
      'beside this file as `%s`). Do not edit by hand: run the tool again.'
      % (machine['cpu'], machine['cores'], data['date'], data['seconds'],
         data['data_file']),
      '',
      '![Published ImageNet top-1 against measured MACs and measured int8 '
      'latency](%s)' % chart_name,
      '',
      'The chart plots the original\'s **published** ImageNet top-1 '
      '(there is no ImageNet here to re-measure it) against the MACs '
      '**measured** from our graphs (left; filled markers float, hollow '
      '_quant) and against the int8 .tflite latency (the _quant bundles\' '
      'default format) **measured** on this machine (right).',
      '',
  ]
  lines += _speed_section(data.get('benchmarks', []))
  lines += _model_section(data['models'], data['model_settings'])
  lines += _digits_section(data.get('digits'))
  return '\n'.join(lines)
