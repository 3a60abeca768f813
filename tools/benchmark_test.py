"""Smoke test of the benchmark: one short run of every measurement.

A tiny variant (0.25, 32 px, batch 4, a couple of steps): it checks that
every figure is measured and sane, not how fast anything is (speed is
measured by `bazel run -c opt //tools:benchmark`, never by tests).
"""

import json

from absl.testing import absltest

from training import test_util as util

util.use_test_data_cache()

# pylint: disable=g-import-not-at-top,g-bad-import-order
from tools.bench import suite
from tools.bench import timing
# pylint: enable=g-import-not-at-top,g-bad-import-order


TINY = suite.Settings(depth_multiplier=0.25, image_size=32, batch_size=4,
                      warmup_steps=1, train_steps=2, quant_train_steps=2,
                      rounds=2, eval_steps=2, input_batches=2,
                      jpeg_images=24,
                      tflite_warmup=1, tflite_invokes=50,
                      calibration_images=2, num_threads=1)


class TimingTest(absltest.TestCase):

  def test_interleaved_rounds_split_the_steps(self):
    calls = []

    class Runner(object):
      images_per_step = 8

      def __init__(self, name):
        self.name = name

      def step(self):
        calls.append(self.name)

    result = timing.measure_interleaved(
        {'a': Runner('a'), 'b': Runner('b')}, warmup_steps=1,
        steps={'a': 5, 'b': 2}, rounds=2)
    self.assertEqual(result['a'].steps, 5)
    self.assertEqual(result['b'].steps, 2)
    # Warm-up of each, then the rounds alternate.
    self.assertEqual(''.join(calls), 'ab' + 'aab' + 'aaab')
    self.assertGreater(result['a'].images_per_sec, 0)

  def test_median_resists_one_stall(self):
    t = timing.summarize([0.1, 0.1, 5.0, 0.1, 0.1], images_per_step=32)
    self.assertAlmostEqual(t.median_seconds, 0.1)
    self.assertAlmostEqual(t.images_per_sec, 320.0)
    self.assertGreater(t.mean_seconds, 1.0)


class SuiteTest(absltest.TestCase):

  def test_tiny_run_measures_every_figure(self):
    result = suite.run(TINY, work_dir=util.new_dir('bench'))
    for key in suite.FIGURES:
      self.assertIn(key, result)
    self.assertEqual(result['variant'], 'mobilenet_v1_0.25_32')
    for key in suite.FIGURES[1:] + ('input_jpeg_images_per_sec',):
      self.assertGreater(result[key], 0, key)
    # The quantized models are smaller than the float one; Keras's too.
    for kind in ('int8', 'uint8'):
      self.assertLess(result['tflite_%s_bytes' % kind],
                      result['tflite_float_bytes'] * 0.35)
    # tflite_quant_* is the bundle's default format, int8.
    self.assertEqual(result['tflite_quant_format'], 'int8')
    for suffix in ('ms_1thread', 'ms_all_threads', 'bytes'):
      self.assertEqual(result['tflite_quant_' + suffix],
                       result['tflite_int8_' + suffix])
    # XNNPACK takes the convolutions of every format; the QUANTIZE ops at
    # the int8 model's ends stay with the built-in kernels.
    for kind in ('float', 'int8', 'uint8'):
      self.assertIn('CONV_2D x15, DEPTHWISE_CONV_2D x13',
                    result['xnnpack'][kind]['xnnpack'])
      self.assertGreater(result['tflite_%s_builtin_ms_1thread' % kind], 0)
    self.assertIn('QUANTIZE x2', result['xnnpack']['int8']['builtin'])
    self.assertLess(result['keras_tflite_int8_bytes'],
                    result['keras_tflite_float_bytes'])
    json.dumps(result)  # Everything is JSON.
    table = suite.format_table(result)
    self.assertIn('training, float (images/s)', table)
    self.assertIn('%.1f' % result['keras_train_images_per_sec'], table)
    self.assertIn('TFLite uint8 (TOCO-era), 1 thread (ms)', table)
    self.assertIn('the time of Keras\'s int8', table)


if __name__ == '__main__':
  absltest.main()
