"""Tests for tools/model_stats and the graph measurements behind it."""

import os
import subprocess
import sys

from third_party import tf_slim_compat  # pylint: disable=unused-import

import tensorflow.compat.v1 as tf

from core import variants
from model import graph_stats


class GraphStatsTest(tf.test.TestCase):

  def test_1_0_224_matches_the_paper(self):
    stats = graph_stats.measure(1.0, 224)
    self.assertAlmostEqual(stats.macs / 1e6, 569, delta=1)
    self.assertEqual(round(stats.params / 1e6, 2), 4.24)

  def test_macs_scale_with_resolution_and_width(self):
    # 64 and 32 halve evenly through all five stride-2 layers.
    full = graph_stats.measure(0.25, 64).macs
    half = graph_stats.measure(0.25, 32).macs
    # Every layer's cost scales with the number of output pixels except the
    # 1024 x 1001 logits, which is independent of resolution.
    logits_macs = 256 * 1001
    self.assertEqual(full - logits_macs, 4 * (half - logits_macs))

  def test_op_macs_of_a_known_conv_and_matmul(self):
    with tf.Graph().as_default() as graph:
      images = tf.zeros([1, 8, 8, 3])
      tf.nn.conv2d(images, tf.zeros([3, 3, 3, 5]), strides=1, padding='SAME')
      tf.nn.depthwise_conv2d(images, tf.zeros([3, 3, 3, 1]), [1, 2, 2, 1],
                             'SAME')
      tf.matmul(tf.zeros([1, 7]), tf.zeros([7, 4]))
    # 8*8*5 outputs x 27 taps; 4*4*3 outputs x 9 taps; 7 x 4.
    self.assertEqual(graph_stats.graph_macs(graph),
                     8 * 8 * 5 * 27 + 4 * 4 * 3 * 9 + 7 * 4)


class ModelStatsBinaryTest(tf.test.TestCase):

  def test_csv_lists_all_16_float_models(self):
    binary = os.path.join(os.path.dirname(__file__), 'model_stats')
    command = [binary] if os.path.exists(binary) else [
        sys.executable, '-m', 'tools.model_stats']
    out = subprocess.run(command + ['--format=csv'], check=True,
                         capture_output=True, text=True).stdout
    lines = out.strip().splitlines()
    self.assertEqual(lines[0], 'model,million_macs,million_params')
    rows = {line.split(',')[0]: line.split(',')[1:] for line in lines[1:]}
    self.assertCountEqual(rows, [v.name for v in variants.FLOAT_VARIANTS])
    macs, params = map(float, rows['mobilenet_v1_1.0_224'])
    self.assertAlmostEqual(macs, 569, delta=1)
    self.assertAlmostEqual(params, 4.244, delta=0.001)
    self.assertAlmostEqual(float(rows['mobilenet_v1_0.25_128'][0]), 13.6,
                           delta=0.1)


if __name__ == '__main__':
  tf.disable_eager_execution()
  tf.test.main()
