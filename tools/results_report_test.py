"""The results report on small inputs: a tiny variant, a tiny demo run.

The demo directory is made the way tools/demo makes it (a float and a
quantized checkpoint exported as bundles through export/exporter, and a
summary.json), from export's tiny test checkpoints, so the float, int8 and
uint8 .tflite accuracies in the report are really measured over the digits.
"""

import json
import os

from absl.testing import absltest

from training import test_util as util

util.use_test_data_cache()

# pylint: disable=g-import-not-at-top,g-bad-import-order
from core import errors
from export import exporter
from export import test_checkpoints
from tools import results_report
from tools.bench import suite
# pylint: enable=g-import-not-at-top,g-bad-import-order


def _fake_benchmark(path):
  """A benchmark result with every figure (its values are only rendered)."""
  result = {key: 1.5 for key in suite.FIGURES}
  result.update(
      variant='mobilenet_v1_0.25_32', batch_size=4,
      tflite_float_bytes=2000000, tflite_quant_bytes=500000,
      tflite_int8_bytes=500000, tflite_uint8_bytes=490000,
      tflite_int8_ms_1thread=1.0, tflite_uint8_ms_1thread=2.0,
      tflite_float_ms_1thread=3.0, keras_tflite_int8_ms_1thread=1.25,
      keras_tflite_float_bytes=2000000, keras_tflite_int8_bytes=600000,
      machine=suite.machine_description(), date='2026-01-01 00:00 UTC',
      versions={'tensorflow': 'x', 'tf_keras': 'y', 'ai_edge_litert': 'z'},
      load_average_at_start=0.5, load_average_at_end=0.7,
      train_speedup_vs_keras=1.25, quant_step_cost_vs_float=2.5,
      settings={'train_steps': 2, 'quant_train_steps': 2, 'warmup_steps': 1,
                'rounds': 1, 'calibration_images': 2},
      keras_jit_compile=False,
      xnnpack={'int8': {'xnnpack': 'CONV_2D x15', 'builtin': 'SOFTMAX x1',
                        'partitions': 1}},
      tflite_int8_builtin_ms_1thread=4.0)
  with open(path, 'w') as f:
    json.dump(result, f)
  return path


def _tiny_demo_dir():
  """A demo output directory: summary.json and the two bundles."""
  demo = util.new_dir('demo')
  float_ckpt, quant_ckpt = test_checkpoints.float_and_quant(
      os.path.join(demo, 'train'))
  archives = {}
  for kind, checkpoint in (('float', float_ckpt), ('quant', quant_ckpt)):
    archives[kind] = exporter.export_bundle(
        checkpoint, os.path.join(demo, 'bundles'),
        depth_multiplier=test_checkpoints.DEPTH_MULTIPLIER,
        image_size=test_checkpoints.IMAGE_SIZE, quantize=kind == 'quant',
        num_threads=1).archive
  metrics = {'accuracy': 0.25, 'recall_5': 0.5, 'num_examples': 360,
             'global_step': 3}
  summary = {'depth_multiplier': test_checkpoints.DEPTH_MULTIPLIER,
             'image_size': test_checkpoints.IMAGE_SIZE, 'batch_size': 4,
             'float': metrics, 'quant': dict(metrics, global_step=5),
             'bundles': archives}
  with open(os.path.join(demo, 'summary.json'), 'w') as f:
    json.dump(summary, f)
  return demo


class ResultsReportTest(absltest.TestCase):

  def test_report_from_small_inputs(self):
    out_dir = util.new_dir('report')
    benchmark = _fake_benchmark(os.path.join(out_dir, 'benchmark_tiny.json'))
    data = results_report.gather(
        [(0.25, 32)], [benchmark], _tiny_demo_dir(), invokes=50, warmup=1,
        calibration_steps=2)
    report, chart, data_path = results_report.write_report(data, out_dir)
    with open(report) as f:
      text = f.read()
    with open(chart, 'rb') as f:
      self.assertEqual(f.read(8), b'\x89PNG\r\n\x1a\n')
    with open(data_path) as f:
      saved = json.load(f)
    [row] = saved['models']
    self.assertEqual(row['variant'], 'mobilenet_v1_0.25_32')
    self.assertGreater(row['macs'], 0)
    for kind in ('int8', 'uint8'):
      self.assertLess(row[kind + '_bytes'], row['float_bytes'] * 0.35)
      self.assertGreater(row[kind + '_ms_1thread'], 0)
      self.assertGreater(row[kind + '_ms_all_threads'], 0)
    self.assertIn('| mobilenet_v1_0.25_32 | %.1f |' % (row['macs'] / 1e6),
                  text)
    self.assertIn('accuracy_vs_macs.png', text)
    self.assertIn('**1.25x**', text)
    # Both quantized formats against Keras's int8, and what XNNPACK takes.
    self.assertIn('TFLite, 1 thread: ours int8 0.80x, uint8 1.60x, float '
                  '2.40x the time of Keras\'s int8', text)
    self.assertIn('XNNPACK takes in our int8 model: CONV_2D x15; built-in '
                  'kernels: SOFTMAX x1 (4.0 ms', text)
    # The digits rows: the TF evals as the demo reported them, the .tflite
    # ones measured over all 360 validation digits.
    rows = {r['model']: r for r in saved['digits']['rows']}
    self.assertEqual(rows['float, TensorFlow eval graph']['accuracy'], 0.25)
    for kind in ('float', 'int8', 'uint8'):
      row = rows['%s .tflite (LiteRT)' % kind]
      self.assertEqual(row['num_examples'], 360)
      self.assertTrue(0 <= row['accuracy'] <= row['recall_5'] <= 1)
    # The bundle holds int8; uint8 is converted from its frozen graph.
    self.assertIn('mobilenet_v1_0.25_32_quant.tflite, the bundle\'s', text)
    self.assertIn('uint8 converted from mobilenet_v1_0.25_32_quant_frozen.pb '
                  '(checks passed', text)

  def test_bad_input(self):
    with self.assertRaisesRegex(errors.BadInputError, 'not <depth'):
      results_report.parse_variants(['1.0-224'])
    with self.assertRaisesRegex(errors.BadInputError, 'float variants'):
      results_report.parse_variants(['1.0_224_quant'])
    self.assertLen(results_report.parse_variants(None), 16)
    path = os.path.join(util.new_dir('bad'), 'x.json')
    with open(path, 'w') as f:
      json.dump({'variant': 'x'}, f)
    with self.assertRaisesRegex(errors.BadInputError, 'not a tools/benchmark'):
      results_report.load_benchmarks([path])
    from tools.report import digits_accuracy  # pylint: disable=g-import-not-at-top
    with self.assertRaisesRegex(errors.BadInputError, 'run `bazel run'):
      digits_accuracy.measure(util.new_dir('empty'))


if __name__ == '__main__':
  absltest.main()
