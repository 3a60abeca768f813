"""Quantization-aware training computes what tf.contrib.quantize computed.

contrib_cases.train_numeric_net (a conv with a fused batch norm, a depthwise
conv with an unfused one, a residual addition and a fully connected layer)
trains for 6 steps of SGD with quant_delay 2 and freeze_bn_delay 4 from
fixed initial values; testdata/contrib_graphs.json holds the losses and the
final value of every variable under tf.contrib.quantize (TensorFlow 1.15).
The same run here must give the same numbers: the folds with their
corrections and exact gradients, the zero-debiased moving-average ranges,
the delays counted in quantization steps and the frozen moving averages.
"""

from absl.testing import absltest
import numpy as np

from third_party import tf_slim_compat  # pylint: disable=unused-import

import tensorflow.compat.v1 as tf
import tf_slim as slim

import quantize
from quantize import contrib_cases


class ContribNumericsTest(absltest.TestCase):

  def test_training_steps_match_contrib(self):
    expected = contrib_cases.load_recorded()['numeric_net']
    actual = contrib_cases.train_numeric_net(tf, slim, quantize)
    self.assertEqual(sorted(actual), sorted(expected))
    self.assertEqual(actual['fake_quantization_step'],
                     contrib_cases.NUMERIC_STEPS)
    for name in sorted(expected):
      want = np.asarray(expected[name])
      np.testing.assert_allclose(np.asarray(actual[name]), want, rtol=1e-4,
                                 atol=1e-5, err_msg=name)


if __name__ == '__main__':
  absltest.main()
