"""One benchmark run: our MobileNet v1 and Keras's, side by side.

Measures, for one variant on the machine it runs on (tools/benchmark.py
prints and saves the result):
  * training images/s of our float and quantized (fake-quant) training
    steps and of Keras's MobileNet, timed interleaved (timing.py) on one
    cached batch;
  * eval images/s of our float eval graph and input-pipeline images/s of
    the training pipeline at the same resolution, on the built-in digits
    and on ImageNet-sized synthetic JPEGs decoded every time;
  * TensorFlow Lite latency (median invoke, 1 thread and all threads, all
    models timed interleaved) and size of our float, int8 and uint8 models,
    exported as published bundles from the benchmark's own training runs (a
    few steps, which also teach the quantized model its ranges), and of
    Keras's float and int8 (post-training quantized, uint8 input and
    output) conversions. tflite_quant_* repeats the figures of the _quant
    bundle's default format (tflite_quant_format says which);
  * for each of our .tflite formats, which operations LiteRT's default CPU
    path gives XNNPACK (xnnpack.py) and the latency with TensorFlow Lite's
    built-in kernels only (tflite_<format>_builtin_ms_1thread).
"""

import dataclasses
import datetime
import os
import platform
import time

from absl import logging

from core import scratch
from core import variants
from export import tflite
from tools.bench import keras_mobilenet
from tools.bench import ours
from tools.bench import tflite_latency
from tools.bench import timing
from tools.bench import xnnpack


# The figures every result has (the JSON's keys; more are kept beside them).
FIGURES = (
    'variant', 'train_images_per_sec', 'train_quant_images_per_sec',
    'eval_images_per_sec', 'input_images_per_sec', 'tflite_float_ms_1thread',
    'tflite_quant_ms_1thread', 'tflite_float_ms_all_threads',
    'tflite_quant_ms_all_threads', 'tflite_float_bytes', 'tflite_quant_bytes',
    'tflite_int8_ms_1thread', 'tflite_int8_ms_all_threads',
    'tflite_int8_bytes', 'tflite_uint8_ms_1thread',
    'tflite_uint8_ms_all_threads', 'tflite_uint8_bytes',
    'keras_train_images_per_sec', 'keras_tflite_float_ms_1thread',
    'keras_tflite_int8_ms_1thread', 'keras_tflite_float_ms_all_threads',
    'keras_tflite_int8_ms_all_threads', 'keras_tflite_float_bytes',
    'keras_tflite_int8_bytes')


@dataclasses.dataclass
class Settings:
  """How much to measure; the flags of tools/benchmark."""
  depth_multiplier: float = 1.0
  image_size: int = 224
  batch_size: int = 32
  warmup_steps: int = 3
  train_steps: int = 20
  quant_train_steps: int = 8
  rounds: int = 4
  eval_steps: int = 10
  input_batches: int = 30
  jpeg_images: int = 256
  tflite_warmup: int = 10
  tflite_invokes: int = 50
  calibration_images: int = 8
  # Our sessions' pools; tools/benchmark sets Keras's (eager) pools to the
  # same before TensorFlow starts, which a library call cannot do.
  num_threads: int = 0


def machine_description():
  """CPU model, core count, OS and the load when the run started."""
  cpu = platform.processor() or platform.machine()
  try:
    with open('/proc/cpuinfo', encoding='utf-8') as f:
      for line in f:
        if line.startswith('model name'):
          cpu = line.split(':', 1)[1].strip()
          break
  except OSError:
    pass
  return {
      'cpu': cpu,
      'cores': os.cpu_count() or 1,
      'system': '%s %s' % (platform.system(), platform.release()),
      'python': platform.python_version(),
  }


def _versions():
  import ai_edge_litert  # pylint: disable=g-import-not-at-top
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  import tf_keras  # pylint: disable=g-import-not-at-top
  return {'tensorflow': tf.__version__, 'tf_keras': tf_keras.__version__,
          'ai_edge_litert': getattr(ai_edge_litert, '__version__', '?')}


def _load():
  return round(os.getloadavg()[0], 2)


def run(settings, work_dir=None):
  """Runs every measurement; returns the result dict (see tools/benchmark).

  work_dir: where checkpoints and bundles go; None: a scratch directory
  (core.scratch), removed afterwards.
  """
  if work_dir is None:
    with scratch.scratch_dir('benchmark') as scratch_work_dir:
      return _run(settings, scratch_work_dir)
  return _run(settings, work_dir)


def _run(settings, work_dir):
  s = settings
  name = variants.model_name(s.depth_multiplier, s.image_size)
  started = time.time()
  result = {
      'variant': name,
      'depth_multiplier': s.depth_multiplier,
      'image_size': s.image_size,
      'batch_size': s.batch_size,
      'date': datetime.datetime.now(datetime.timezone.utc).strftime(
          '%Y-%m-%d %H:%M UTC'),
      'machine': machine_description(),
      'versions': _versions(),
      'settings': dataclasses.asdict(s),
      'load_average_at_start': _load(),
  }
  logging.info('%s: building our float and quantized training graphs and '
               'Keras\'s MobileNet', name)
  runners = {
      'float': ours.TrainRunner(s.depth_multiplier, s.image_size,
                                s.batch_size, quantize=False,
                                num_threads=s.num_threads),
      'quant': ours.TrainRunner(s.depth_multiplier, s.image_size,
                                s.batch_size, quantize=True,
                                num_threads=s.num_threads),
      'keras': keras_mobilenet.TrainRunner(
          keras_mobilenet.build(s.depth_multiplier, s.image_size),
          s.batch_size),
  }
  logging.info('timing training: %d warm-up steps each, then %d float, %d '
               'quantized and %d Keras steps in %d interleaved rounds',
               s.warmup_steps, s.train_steps, s.quant_train_steps,
               s.train_steps, s.rounds)
  timings = timing.measure_interleaved(
      runners, s.warmup_steps,
      {'float': s.train_steps, 'quant': s.quant_train_steps,
       'keras': s.train_steps}, s.rounds)
  result['train_images_per_sec'] = round(timings['float'].images_per_sec, 2)
  result['train_quant_images_per_sec'] = round(
      timings['quant'].images_per_sec, 2)
  result['keras_train_images_per_sec'] = round(
      timings['keras'].images_per_sec, 2)
  result['train_step_seconds'] = {
      k: {'median': round(t.median_seconds, 4),
          'mean': round(t.mean_seconds, 4), 'steps': t.steps}
      for k, t in timings.items()}
  result['train_speedup_vs_keras'] = round(
      timings['keras'].median_seconds / timings['float'].median_seconds, 3)
  result['quant_step_cost_vs_float'] = round(
      timings['quant'].median_seconds / timings['float'].median_seconds, 3)
  logging.info('training images/s: ours float %.1f, quantized %.1f; Keras '
               '%.1f', timings['float'].images_per_sec,
               timings['quant'].images_per_sec,
               timings['keras'].images_per_sec)

  # Keras's conversions come first: building a tf-slim graph (below)
  # switches the classes tf-slim shares with Keras to their v1 form, after
  # which a Keras model made before can no longer be traced.
  logging.info('converting Keras\'s model to TensorFlow Lite')
  keras_model = runners.pop('keras').model
  keras_models = {
      'keras_tflite_float': keras_mobilenet.to_float_tflite(keras_model),
      'keras_tflite_int8': keras_mobilenet.to_int8_tflite(
          keras_model, s.calibration_images),
  }
  result['keras_jit_compile'] = bool(getattr(keras_model, '_jit_compile',
                                             False))
  del keras_model
  checkpoints = {}
  for kind in ('float', 'quant'):
    checkpoints[kind] = runners[kind].save(os.path.join(work_dir, kind))
    runners[kind].close()
  runners.clear()

  logging.info('timing eval and the input pipeline')
  evaluator = ours.EvalRunner(s.depth_multiplier, s.image_size,
                              s.batch_size, checkpoints['float'],
                              num_threads=s.num_threads)
  result['eval_images_per_sec'] = round(timing.measure(
      evaluator, s.warmup_steps, s.eval_steps).images_per_sec, 2)
  evaluator.close()
  result['input_images_per_sec'] = round(ours.input_rate(
      s.image_size, s.batch_size, s.input_batches, s.warmup_steps), 1)
  result['input_pipeline'] = ('built-in digits, train split, training '
                              'preprocessing to %d px, batch %d' % (
                                  s.image_size, s.batch_size))
  result['input_jpeg_images_per_sec'] = round(ours.jpeg_input_rate(
      s.image_size, s.batch_size, s.input_batches, s.warmup_steps,
      os.path.join(work_dir, 'jpeg'), s.jpeg_images), 1)

  logging.info('exporting our bundles: float, int8 and uint8')
  models = {}
  for tflite_format in (tflite.FLOAT,) + tflite.QUANTIZED_FORMATS:
    quantize = tflite_format != tflite.FLOAT
    models['tflite_' + tflite_format] = ours.export_tflite(
        checkpoints['quant' if quantize else 'float'], s.depth_multiplier,
        s.image_size, quantize, os.path.join(work_dir, tflite_format),
        num_threads=s.num_threads, tflite_format=tflite_format)
  result['xnnpack'] = {}
  for tflite_format in (tflite.FLOAT,) + tflite.QUANTIZED_FORMATS:
    model = models['tflite_' + tflite_format]
    result['xnnpack'][tflite_format] = xnnpack.delegation(model)
    result['tflite_%s_builtin_ms_1thread' % tflite_format] = (
        xnnpack.builtin_ms(model, s.tflite_warmup, s.tflite_invokes))
  models.update(keras_models)
  logging.info('timing %d .tflite models interleaved', len(models))
  result.update(tflite_latency.figures(models, s.tflite_warmup,
                                       s.tflite_invokes))
  default = tflite.DEFAULT_QUANTIZED_FORMAT
  result['tflite_quant_format'] = default
  for suffix in ('ms_1thread', 'ms_all_threads', 'bytes'):
    result['tflite_quant_' + suffix] = result['tflite_%s_%s' % (default,
                                                                suffix)]
  result['load_average_at_end'] = _load()
  result['seconds'] = round(time.time() - started, 1)
  return result


# (label, our key, Keras key, format) rows of the side-by-side table.
TABLE_ROWS = (
    ('training, float (images/s)', 'train_images_per_sec',
     'keras_train_images_per_sec', '%.1f'),
    ('training, quantized (images/s)', 'train_quant_images_per_sec', None,
     '%.1f'),
    ('eval, float (images/s)', 'eval_images_per_sec', None, '%.1f'),
    ('input pipeline, digits (images/s)', 'input_images_per_sec', None,
     '%.0f'),
    ('input pipeline, ImageNet-sized JPEGs (images/s)',
     'input_jpeg_images_per_sec', None, '%.0f'),
    ('TFLite float, 1 thread (ms)', 'tflite_float_ms_1thread',
     'keras_tflite_float_ms_1thread', '%.2f'),
    ('TFLite float, all threads (ms)', 'tflite_float_ms_all_threads',
     'keras_tflite_float_ms_all_threads', '%.2f'),
    ('TFLite int8 (ours: learned ranges; Keras: PTQ), 1 thread (ms)',
     'tflite_int8_ms_1thread', 'keras_tflite_int8_ms_1thread', '%.2f'),
    ('TFLite int8 (ours: learned ranges; Keras: PTQ), all threads (ms)',
     'tflite_int8_ms_all_threads', 'keras_tflite_int8_ms_all_threads',
     '%.2f'),
    ('TFLite uint8 (TOCO-era), 1 thread (ms)', 'tflite_uint8_ms_1thread',
     None, '%.2f'),
    ('TFLite uint8 (TOCO-era), all threads (ms)',
     'tflite_uint8_ms_all_threads', None, '%.2f'),
    ('TFLite float size (MB)', 'tflite_float_bytes',
     'keras_tflite_float_bytes', 'MB'),
    ('TFLite int8 size (MB)', 'tflite_int8_bytes', 'keras_tflite_int8_bytes',
     'MB'),
    ('TFLite uint8 size (MB)', 'tflite_uint8_bytes', None, 'MB'),
)


def _cell(result, key, fmt):
  if key is None or key not in result:
    return '-'
  if fmt == 'MB':
    return '%.2f' % (result[key] / 1e6)
  return fmt % result[key]


def quantized_summary(result):
  """Lines comparing our quantized .tflite with Keras's int8, and XNNPACK's
  share of each of our models (empty for results without those figures)."""
  lines = []
  if 'tflite_int8_ms_1thread' in result:
    for suffix, what in (('ms_1thread', '1 thread'),
                         ('ms_all_threads', 'all threads')):
      keras = result['keras_tflite_int8_' + suffix]
      lines.append(
          'TFLite, %s: ours int8 %.2fx, uint8 %.2fx, float %.2fx the time of '
          'Keras\'s int8 (lower is faster)' % (
              what, result['tflite_int8_' + suffix] / keras,
              result['tflite_uint8_' + suffix] / keras,
              result['tflite_float_' + suffix] / keras))
  for tflite_format, found in sorted(result.get('xnnpack', {}).items()):
    lines.append('XNNPACK takes in our %s model: %s; built-in kernels: %s '
                 '(%s ms with built-in kernels only, 1 thread)' % (
                     tflite_format, found['xnnpack'] or 'nothing',
                     found['builtin'],
                     result.get('tflite_%s_builtin_ms_1thread' %
                                tflite_format, '?')))
  return lines


def format_table(result):
  """The side-by-side table as text."""
  machine = result['machine']
  lines = [
      '%s, batch %d: ours (TF-Slim graph, tools/benchmark) vs '
      'tf_keras.applications.MobileNet' % (result['variant'],
                                           result['batch_size']),
      '%s, %d cores, %s; load %.2f at start, %.2f at end' % (
          machine['cpu'], machine['cores'], result['date'],
          result['load_average_at_start'], result['load_average_at_end']),
      '',
      '%-66s %10s %10s' % ('', 'ours', 'Keras'),
  ]
  for label, ours_key, keras_key, fmt in TABLE_ROWS:
    lines.append('%-66s %10s %10s' % (label, _cell(result, ours_key, fmt),
                                      _cell(result, keras_key, fmt)))
  lines.append('')
  lines.extend(quantized_summary(result))
  lines.append('float training: ours %.2fx Keras\'s speed; a quantized step '
               'costs %.2fx a float one' % (
                   result['train_speedup_vs_keras'],
                   result['quant_step_cost_vs_float']))
  lines.append('input pipeline: %s float training\'s rate' % ', '.join(
      '%.0fx (%s)' % (result[key] / result['train_images_per_sec'], what)
      for key, what in (('input_images_per_sec', 'digits'),
                        ('input_jpeg_images_per_sec', 'JPEGs'))
      if key in result))
  return '\n'.join(lines)
