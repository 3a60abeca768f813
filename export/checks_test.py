"""The export checks pass on honest models and fail on broken ones."""

import tempfile

from absl.testing import absltest
import numpy as np
import tensorflow.compat.v1 as tf

from export import check_inputs
from export import checks
from export import float_parity
from export import freeze
from export import litert
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
    # Both quantized formats, from the same graph.
    cls.quant_models = {kind: tflite.convert(cls.quant_frozen, kind)
                        for kind in tflite.QUANTIZED_FORMATS}
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

  def test_quant_parity(self):
    # 27 convolutions, the pooling, the logits and the softmax; int8 adds
    # the QUANTIZE at each end.
    expected = {tflite.UINT8: 30, tflite.INT8: 32}
    for kind, model in self.quant_models.items():
      with self.subTest(kind):
        report = quant_parity.check_quant_parity(model, self.quant_frozen,
                                                 SIZE, kind)
        self.assertEqual(report.kind, kind)
        self.assertEqual(report.layers_checked, expected[kind])
        self.assertLessEqual(report.max_layer_steps, 1)
        # The converter kept the learned weight ranges: no rounding at all.
        self.assertLess(report.max_weight_steps, 1e-3)
        self.assertIn('%s: %d operations checked layer by layer, worst 1 '
                      'quantization step(s)' % (kind, expected[kind]),
                      checks.describe(report))

  def test_int8_is_uint8_shifted(self):
    # Same scales everywhere; every zero point 128 lower in int8.
    tensors = {}
    for kind, model in self.quant_models.items():
      interpreter = litert.load(model, allocate=False)
      tensors[kind] = {d['name']: d for d in interpreter.get_tensor_details()}
    shared = [name for name, detail in tensors[tflite.UINT8].items()
              if detail['dtype'] == np.uint8 and name in tensors[tflite.INT8]]
    self.assertGreater(len(shared), 28)
    for name in shared:
      uint8 = tensors[tflite.UINT8][name]
      int8 = tensors[tflite.INT8][name]
      self.assertAlmostEqual(int8['quantization'][0], uint8['quantization'][0],
                             places=9, msg=name)
      shift = 0 if int8['dtype'] == np.uint8 else 128
      self.assertEqual(int8['quantization'][1],
                       uint8['quantization'][1] - shift, name)

  def test_quant_parity_fails_on_corrupted_tflite(self):
    for kind, model in self.quant_models.items():
      with self.subTest(kind):
        corrupted = test_checkpoints.corrupt_largest_constant(
            bytearray(model))
        with self.assertRaisesRegex(
            checks.CheckFailedError,
            r'%s .tflite disagrees with the frozen graph on check input 0: '
            r'CONV_2D .* is \d+ quantization steps off \(limit 2\)' % kind):
          quant_parity.check_quant_parity(bytes(corrupted), self.quant_frozen,
                                          SIZE, kind)

  def test_quant_parity_fails_on_one_weight_off_by_a_step(self):
    # Too small for the layer comparison to see on the check inputs
    # (the last layer's weights), not for the weight check.
    for kind, model in self.quant_models.items():
      with self.subTest(kind):
        nudged = test_checkpoints.nudge_one_weight(bytearray(model))
        with self.assertRaisesRegex(
            checks.CheckFailedError,
            r'%s .tflite (weights of CONV_2D are 1 steps from|disagrees)' %
            kind):
          quant_parity.check_quant_parity(bytes(nudged), self.quant_frozen,
                                          SIZE, kind)

  def test_quant_parity_fails_on_another_activation_range(self):
    # The graph's learned max of one layer doubled: the layer comparison,
    # made in TFLite's steps, would not see it; the range check does.
    fake_quant = _node_named(self.quant_frozen,
                             'Conv2d_3_pointwise/act_quant/'
                             'FakeQuantWithMinMaxVars')
    edited = _with_const_changed(self.quant_frozen, fake_quant, 2,
                                 lambda value: 2 * value)
    for kind, model in self.quant_models.items():
      with self.subTest(kind):
        with self.assertRaisesRegex(checks.CheckFailedError,
                                    r'Conv2d_3_pointwise.* is quantized as '
                                    r'real = \(q - -?\d+\) \* .*range'):
          quant_parity.check_quant_parity(model, edited, SIZE, kind)

  def test_quant_parity_fails_on_another_bias(self):
    beta = _node_named(self.quant_frozen, 'Conv2d_3_pointwise/BatchNorm/beta')
    [reader] = [n.name for n in self.quant_frozen.node
                if list(n.input) == [beta]]
    edited = _with_const_changed(self.quant_frozen, reader, 0,
                                 lambda value: value + 0.5)
    for kind, model in self.quant_models.items():
      with self.subTest(kind):
        with self.assertRaisesRegex(checks.CheckFailedError,
                                    r'bias .*Conv2d_3_pointwise.* bias steps '
                                    r'from the frozen graph'):
          quant_parity.check_quant_parity(model, edited, SIZE, kind)

  def test_quant_parity_refuses_other_models(self):
    for kind, model in self.quant_models.items():
      with self.subTest(kind):
        with self.assertRaisesRegex(checks.CheckFailedError,
                                    'takes float32 .* not uint8'):
          quant_parity.check_quant_parity(self.float_model, self.quant_frozen,
                                          SIZE, kind)
        other = tflite.UINT8 if kind == tflite.INT8 else tflite.INT8
        with self.assertRaisesRegex(checks.CheckFailedError,
                                    'the %s .tflite is not fully quantized'
                                    % kind):
          quant_parity.check_quant_parity(self.quant_models[other],
                                          self.quant_frozen, SIZE, kind)
        with self.assertRaisesRegex(checks.CheckFailedError, 'does not load'):
          quant_parity.check_quant_parity(b'not a model', self.quant_frozen,
                                          SIZE, kind)
    other_stats = tflite.to_uint8_tflite(self.quant_frozen, mean=0.0,
                                         std=255.0)
    with self.assertRaisesRegex(checks.CheckFailedError,
                                r'not \(q - 128\) / 128'):
      quant_parity.check_quant_parity(other_stats, self.quant_frozen, SIZE,
                                      tflite.UINT8)
    other_stats = tflite.to_int8_tflite(self.quant_frozen, mean=0.0,
                                        std=255.0)
    with self.assertRaisesRegex(checks.CheckFailedError,
                                r'not \(q - 128\) / 128'):
      quant_parity.check_quant_parity(other_stats, self.quant_frozen, SIZE,
                                      tflite.INT8)

  def test_size_rule(self):
    self.assertAlmostEqual(checks.check_size(29, 100, 224), 0.29)
    with self.assertRaisesRegex(checks.CheckFailedError,
                                r'31.0 % of the float one .*limit 30 %'):
      checks.check_size(31, 100, 224)
    # Below 224 the ratio is measured, not enforced.
    self.assertAlmostEqual(checks.check_size(31, 100, 128), 0.31)
    for model in self.quant_models.values():
      ratio = checks.check_size(len(model), len(self.float_model), 224)
      self.assertLess(ratio, checks.MAX_QUANT_SIZE_RATIO)


if __name__ == '__main__':
  absltest.main()
