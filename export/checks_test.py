"""The export checks pass on honest models and fail on broken ones."""

import tempfile

from absl.testing import absltest
import numpy as np
import tensorflow.compat.v1 as tf

from export import check_inputs
from export import checks
from export import float_parity
from export import freeze
from export import quant_parity
from export import test_checkpoints
from export import tflite
from model import builder

DEPTH = test_checkpoints.DEPTH_MULTIPLIER
SIZE = test_checkpoints.IMAGE_SIZE
CLASSES = test_checkpoints.NUM_CLASSES


def _with_const_changed(graph_def, consumer, input_index, change):
  """A copy of graph_def with change(value) for the constant feeding input
  `input_index` of node `consumer` (through Identity nodes)."""
  edited = type(graph_def)()
  edited.CopyFrom(graph_def)
  nodes = {node.name: node for node in edited.node}
  node = nodes[nodes[consumer].input[input_index].split(':')[0]]
  while node.op != 'Const':
    node = nodes[node.input[0].split(':')[0]]
  value = change(tf.make_ndarray(node.attr['value'].tensor))
  node.attr['value'].tensor.CopyFrom(tf.make_tensor_proto(value))
  return edited


def _node_named(graph_def, suffix):
  [name] = [n.name for n in graph_def.node if n.name.endswith(suffix)]
  return name


def _frozen(checkpoint, quantize):
  graph = builder.build_inference_graph(DEPTH, SIZE, CLASSES, quantize)
  return freeze.freeze_graph(graph, checkpoint)


class ChecksTest(absltest.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    directory = tempfile.mkdtemp(dir=absltest.get_default_test_tmpdir())
    float_checkpoint, quant_checkpoint = test_checkpoints.float_and_quant(
        directory)
    cls.float_frozen = _frozen(float_checkpoint, False)
    cls.float_model = tflite.to_float_tflite(cls.float_frozen)
    cls.quant_frozen = _frozen(quant_checkpoint, True)
    cls.quant_model = tflite.to_uint8_tflite(cls.quant_frozen)
    # The same architecture with other weights: the float graph of the
    # quantized checkpoint (fine-tuned further from the float one).
    cls.other_float_model = tflite.to_float_tflite(
        _frozen(quant_checkpoint, False))

  def test_check_images_are_fixed_uint8(self):
    images = check_inputs.check_images(SIZE)
    self.assertEqual(images.shape, (check_inputs.NUM_INPUTS, 1, SIZE, SIZE, 3))
    self.assertEqual(images.dtype, np.uint8)
    np.testing.assert_array_equal(images, check_inputs.check_images(SIZE))
    self.assertGreater(images.std(), 30)
    floats = check_inputs.to_float_input(images)
    self.assertGreaterEqual(floats.min(), -1)
    self.assertLess(floats.max(), 1)

  def test_float_parity(self):
    report = float_parity.check_float_parity(self.float_model,
                                             self.float_frozen, SIZE)
    self.assertEqual(report.top1_agreement, check_inputs.NUM_INPUTS)
    self.assertLess(report.max_abs_difference, 1e-5)

  def test_float_parity_fails_on_corrupted_tflite(self):
    corrupted = test_checkpoints.corrupt_largest_constant(
        bytearray(self.float_model))
    with self.assertRaisesRegex(checks.CheckFailedError,
                                'float .tflite disagrees with the frozen '
                                'graph'):
      float_parity.check_float_parity(bytes(corrupted), self.float_frozen, SIZE)

  def test_float_parity_fails_on_another_models_tflite(self):
    with self.assertRaisesRegex(checks.CheckFailedError, 'disagrees'):
      float_parity.check_float_parity(self.other_float_model, self.float_frozen,
                                      SIZE)

  def test_uint8_parity(self):
    report = quant_parity.check_uint8_parity(self.quant_model,
                                             self.quant_frozen, SIZE)
    # 27 convolutions, the pooling, the logits and the softmax.
    self.assertEqual(report.layers_checked, 30)
    self.assertLessEqual(report.max_layer_steps, 1)
    self.assertIn('30 operations checked layer by layer, worst 1 quantization '
                  'step(s)', checks.describe(report))

  def test_uint8_parity_fails_on_corrupted_tflite(self):
    corrupted = test_checkpoints.corrupt_largest_constant(
        bytearray(self.quant_model))
    with self.assertRaisesRegex(checks.CheckFailedError,
                                r'uint8 .tflite disagrees with the frozen '
                                r'graph on check input 0: CONV_2D .* is \d+ '
                                r'quantization steps off \(limit 2\)'):
      quant_parity.check_uint8_parity(bytes(corrupted), self.quant_frozen, SIZE)

  def test_uint8_parity_fails_on_another_activation_range(self):
    # The graph's learned max of one layer doubled: the layer comparison,
    # made in TFLite's steps, would not see it; the range check does.
    fake_quant = _node_named(self.quant_frozen,
                             'Conv2d_3_pointwise/act_quant/'
                             'FakeQuantWithMinMaxVars')
    edited = _with_const_changed(self.quant_frozen, fake_quant, 2,
                                 lambda value: 2 * value)
    with self.assertRaisesRegex(checks.CheckFailedError,
                                r'Conv2d_3_pointwise.* is quantized as real '
                                r'= \(q - \d+\) \* .*range'):
      quant_parity.check_uint8_parity(self.quant_model, edited, SIZE)

  def test_uint8_parity_fails_on_another_bias(self):
    beta = _node_named(self.quant_frozen, 'Conv2d_3_pointwise/BatchNorm/beta')
    [reader] = [n.name for n in self.quant_frozen.node if list(n.input) == [beta]]
    edited = _with_const_changed(self.quant_frozen, reader, 0,
                                 lambda value: value + 0.5)
    with self.assertRaisesRegex(checks.CheckFailedError,
                                r'bias .*Conv2d_3_pointwise.* bias steps from '
                                r'the frozen graph'):
      quant_parity.check_uint8_parity(self.quant_model, edited, SIZE)

  def test_uint8_parity_refuses_other_models(self):
    with self.assertRaisesRegex(checks.CheckFailedError,
                                'takes float32 .* not uint8'):
      quant_parity.check_uint8_parity(self.float_model, self.quant_frozen, SIZE)
    other_stats = tflite.to_uint8_tflite(self.quant_frozen, mean=0.0,
                                         std=255.0)
    with self.assertRaisesRegex(checks.CheckFailedError,
                                r'not \(q - 128\) / 128'):
      quant_parity.check_uint8_parity(other_stats, self.quant_frozen, SIZE)
    with self.assertRaisesRegex(checks.CheckFailedError, 'does not load'):
      quant_parity.check_uint8_parity(b'not a model', self.quant_frozen, SIZE)

  def test_size_rule(self):
    self.assertAlmostEqual(checks.check_size(29, 100, 224), 0.29)
    with self.assertRaisesRegex(checks.CheckFailedError,
                                r'31.0 % of the float one .*limit 30 %'):
      checks.check_size(31, 100, 224)
    # Below 224 the ratio is measured, not enforced.
    self.assertAlmostEqual(checks.check_size(31, 100, 128), 0.31)
    ratio = checks.check_size(len(self.quant_model), len(self.float_model),
                              224)
    self.assertLess(ratio, checks.MAX_UINT8_SIZE_RATIO)


if __name__ == '__main__':
  absltest.main()
