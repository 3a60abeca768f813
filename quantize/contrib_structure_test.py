"""The rewrites build tf.contrib.quantize's graphs, layer shape by shape.

For every graph of contrib_cases.py (conv, depthwise and fully connected
layers with fused and unfused batch norms, an Identity before the batch norm,
atrous layers, shared weights, separable convolutions, residual additions
before and after the activation, Mul/Add after activations, reshapes,
partitioned weights, inputs of unknown rank, MobileNet v1 and its atrous
output strides 8 and 16), in training (with and without delays) and eval
mode: the quantizers, what each reads and who reads it, the folded layers'
wiring and the variables are those recorded from tf.contrib.quantize on
TensorFlow 1.15 (graph_structure says what is compared). A second rewrite
adds nothing.
"""

from absl.testing import absltest
from absl.testing import parameterized

from third_party import tf_slim_compat  # pylint: disable=unused-import

import tensorflow.compat.v1 as tf
import tf_slim as slim

import quantize
from quantize import contrib_cases
from quantize import graph_structure

_RECORDED = contrib_cases.load_recorded()


def _rewrite(graph, mode, quant_delay, freeze_bn_delay):
  with graph.as_default():
    if mode == 'train':
      quantize.experimental_create_training_graph(
          quant_delay=quant_delay, freeze_bn_delay=freeze_bn_delay)
    else:
      quantize.experimental_create_eval_graph(quant_delay=quant_delay or None)


def _runs():
  return [dict(testcase_name=contrib_cases.run_key(*run), run=run)
          for run in contrib_cases.RUNS]


class ContribStructureTest(parameterized.TestCase):

  def test_every_run_was_recorded(self):
    self.assertEqual(_RECORDED['tensorflow'], '1.15.5')
    for run in contrib_cases.RUNS:
      self.assertIn(contrib_cases.run_key(*run), _RECORDED)

  @parameterized.named_parameters(*_runs())
  def test_graph_is_contribs(self, run):
    case, mode, quant_delay, freeze_bn_delay = run
    graph = tf.Graph()
    with graph.as_default():
      getattr(contrib_cases, case)(tf, slim, mode == 'train')
    _rewrite(graph, mode, quant_delay, freeze_bn_delay)
    expected = _RECORDED[contrib_cases.run_key(*run)]
    actual = graph_structure.summarize(graph)
    if mode == 'train' and expected['fake_quant']:
      # Quantized training graphs always have the quantization step (so that
      # checkpoints resume across delays); contrib made it for delays only.
      self.assertIn('fake_quantization_step', actual['variables'])
      if 'fake_quantization_step' not in expected['variables']:
        actual['variables'].remove('fake_quantization_step')
    self.assertEqual(actual['variables'], expected['variables'])
    self.assertEqual(actual['fake_quant'], expected['fake_quant'])
    self.assertEqual(actual['fold'], expected['fold'])
    self.assertEqual(actual['moving_average_factors'],
                     expected['moving_average_factors'])
    # A second rewrite finds everything done.
    ops = [op.name for op in graph.get_operations()]
    _rewrite(graph, mode, quant_delay, freeze_bn_delay)
    self.assertEqual([op.name for op in graph.get_operations()], ops)


if __name__ == '__main__':
  absltest.main()
