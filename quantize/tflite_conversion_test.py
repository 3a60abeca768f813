"""The fake-quantized eval graph converts to a fully quantized uint8 TFLite
model with no default ranges, and that model computes what the graph does.

The model is trained first, quantized from scratch with the trainer's rewrite
(batch norms frozen halfway), so the ranges are learned and its predictions
are confident, as for a shipped model; docs/PERFORMANCE.md says why that
training needs gradients for the batch statistics.
On an untrained model the agreement is lower: the converter quantizes the
biases to int32 and requantizes in fixed point, which the float graph does
not model, and the one-step differences that makes in a few activations grow
over MobileNet's 28 layers.
"""

import os

from absl import logging
from absl.testing import absltest
from absl.testing import parameterized
from ai_edge_litert.interpreter import Interpreter
import numpy as np
import tensorflow.compat.v1 as tf
import tf_slim as slim

from core import variants
from export import freeze
from export import tflite
import mobilenet_v1
from model import builder
import quantize
from quantize import test_util



def _train_quantized(directory):
  """Quantization-aware training from scratch on template images, with the
  trainer's rewrite (model/builder.py's); returns the checkpoint."""
  graph = tf.Graph()
  with graph.as_default():
    tf.set_random_seed(0)
    images, labels = test_util.batch_placeholders()
    loss = builder.build_training_model(
        images, labels, test_util.NUM_CLASSES, test_util.DEPTH_MULTIPLIER,
        quantize=True, quant_delay=0,
        freeze_bn_delay=test_util.SCRATCH_FREEZE_BN_DELAY,
        batch_norm_decay=0.9).total_loss
    train_op = test_util.train_op(
        loss, learning_rate=test_util.SCRATCH_LEARNING_RATE)
    with test_util.session(graph) as sess:
      sess.run(tf.global_variables_initializer())
      value = test_util.train_on_templates(sess, images, labels,
                                           [loss, train_op],
                                           test_util.SCRATCH_STEPS)
      logging.info('loss after %d steps: %.3f', test_util.SCRATCH_STEPS,
                   value)
      return tf.train.Saver().save(sess, os.path.join(directory, 'q.ckpt'))


def _interpreter(model):
  interpreter = Interpreter(model_content=model, num_threads=1)
  interpreter.allocate_tensors()
  return interpreter


def _run_tflite(interpreter, image):
  input_detail = interpreter.get_input_details()[0]
  output_detail = interpreter.get_output_details()[0]
  interpreter.set_tensor(input_detail['index'], image)
  interpreter.invoke()
  output = interpreter.get_tensor(output_detail['index'])
  scale, zero_point = output_detail['quantization']
  if output_detail['dtype'] == np.uint8:
    return (output.astype(np.float32) - zero_point) * scale
  return output


class QuantizedConversionTest(absltest.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.checkpoint = _train_quantized(absltest.get_default_test_tmpdir())
    cls.graph = builder.build_inference_graph(
        test_util.DEPTH_MULTIPLIER, test_util.IMAGE_SIZE,
        test_util.NUM_CLASSES, quantize=True)
    cls.frozen = freeze.freeze_graph(cls.graph, cls.checkpoint)
    cls.model = tflite.to_uint8_tflite(cls.frozen)
    # Held-out images, as uint8 and as the float values they stand for.
    images, cls.labels = test_util.template_images(
        100, seed=2, noise=test_util.SCRATCH_NOISE)
    cls.uint8_images = np.clip(np.round(images * 128 + 128), 0,
                               255).astype(np.uint8)
    cls.float_images = (cls.uint8_images.astype(np.float32) - 128) / 128

  def test_model_is_fully_quantized_uint8(self):
    interpreter = _interpreter(self.model)
    [input_detail] = interpreter.get_input_details()
    [output_detail] = interpreter.get_output_details()
    self.assertEqual(input_detail['dtype'], np.uint8)
    self.assertEqual(list(input_detail['shape']),
                     [1, test_util.IMAGE_SIZE, test_util.IMAGE_SIZE, 3])
    self.assertEqual(input_detail['quantization'], (1 / 128, 128))
    self.assertEqual(output_detail['dtype'], np.uint8)
    self.assertEqual(list(output_detail['shape']), [1, test_util.NUM_CLASSES])
    # Activations and weights uint8, biases int32: nothing left in float.
    dtypes = {d['dtype'] for d in interpreter.get_tensor_details()
              if len(d['shape'])}
    self.assertEqual(dtypes, {np.uint8, np.int32})
    logging.info('uint8 model: %d bytes', len(self.model))

  def test_tflite_agrees_with_fake_quant_graph(self):
    interpreter = _interpreter(self.model)
    with self.graph.as_default(), test_util.session(self.graph) as sess:
      tf.train.Saver().restore(sess, self.checkpoint)
      expected = np.concatenate([
          sess.run(variants.OUTPUT_NODE + ':0',
                   {variants.INPUT_NODE + ':0': image[None]})
          for image in self.float_images])
    actual = np.concatenate([_run_tflite(interpreter, image[None])
                             for image in self.uint8_images])
    steps = np.abs(actual - expected) * 256  # Output step: 1/256.
    within = np.mean(steps <= 2 + 1e-3)
    logging.info('TFLite vs fake-quant graph: %.2f%% of outputs within 2 '
                 'steps; steps at the 50/99/100th percentile: %s; top-1 '
                 'agreement %d/%d; accuracy %d/%d', 100 * within,
                 np.percentile(steps, [50, 99, 100]),
                 np.sum(actual.argmax(1) == expected.argmax(1)), len(actual),
                 np.sum(expected.argmax(1) == self.labels), len(actual))
    self.assertGreaterEqual(within, 0.99)
    # The model learned the task, so the agreement is not that of a
    # constant output.
    self.assertGreaterEqual(np.mean(expected.argmax(1) == self.labels), 0.8)

  def test_float_model_converts_and_agrees(self):
    graph = builder.build_inference_graph(
        test_util.DEPTH_MULTIPLIER, test_util.IMAGE_SIZE,
        test_util.NUM_CLASSES, quantize=False)
    frozen = freeze.freeze_graph(graph, self.checkpoint)
    interpreter = _interpreter(tflite.to_float_tflite(frozen))
    self.assertEqual(interpreter.get_input_details()[0]['dtype'], np.float32)
    with graph.as_default(), test_util.session(graph) as sess:
      tf.train.Saver().restore(sess, self.checkpoint)
      for image in self.float_images[:5]:
        expected = sess.run(variants.OUTPUT_NODE + ':0',
                            {variants.INPUT_NODE + ':0': image[None]})
        np.testing.assert_allclose(_run_tflite(interpreter, image[None]),
                                   expected, rtol=0, atol=1e-5)

  def test_graph_without_ranges_does_not_convert(self):
    # The same graph without the rewrite: no ranges, so no uint8 model.
    graph = builder.build_inference_graph(
        test_util.DEPTH_MULTIPLIER, test_util.IMAGE_SIZE,
        test_util.NUM_CLASSES, quantize=False)
    frozen = freeze.freeze_graph(graph, self.checkpoint)
    with self.assertRaisesRegex(ValueError, 'no learned range'):
      tflite.to_uint8_tflite(frozen)


class ResidualConversionTest(absltest.TestCase):

  def test_residual_graph_converts(self):
    """Additions (residuals) carry ranges too: no default ranges needed."""
    graph = tf.Graph()
    with graph.as_default():
      x = tf.placeholder(tf.float32, [1, 8, 8, 4], name='input')
      with slim.arg_scope([slim.conv2d], normalizer_fn=slim.batch_norm,
                          normalizer_params={'is_training': False}):
        a = slim.conv2d(x, 4, [3, 3], scope='a')
        b = slim.conv2d(a, 4, [3, 3], activation_fn=None, scope='b')
        c = tf.nn.relu(b + a)
        d = slim.conv2d(c, 4, [1, 1], activation_fn=None, scope='d')
        # Average pooling keeps its input's range.
        tf.nn.avg_pool2d(tf.add(d, c), 8, 8, 'VALID', name='output')
      quantize.create_eval_graph()
      with test_util.session(graph) as sess:
        sess.run(tf.global_variables_initializer())
        frozen = freeze.freeze_session(sess, ['output'])
    interpreter = _interpreter(tflite.to_uint8_tflite(
        frozen, input_names=['input'], output_names=['output']))
    self.assertEqual(interpreter.get_output_details()[0]['dtype'], np.uint8)
    output = _run_tflite(interpreter, np.full([1, 8, 8, 4], 128, np.uint8))
    self.assertEqual(output.shape, (1, 1, 1, 4))


class AtrousMobilenetConversionTest(parameterized.TestCase):
  """The DeepLab backbone: MobileNet with atrous layers from stride 8 or 16."""

  @parameterized.parameters(8, 16)
  def test_every_layer_quantized_and_converted(self, output_stride):
    graph = tf.Graph()
    with graph.as_default():
      images = tf.placeholder(tf.float32, [1, 64, 64, 3], name='input')
      with slim.arg_scope(mobilenet_v1.mobilenet_v1_arg_scope(
          is_training=False)):
        net, _ = mobilenet_v1.mobilenet_v1_base(
            images, output_stride=output_stride,
            depth_multiplier=test_util.DEPTH_MULTIPLIER)
        # A per-position classifier, as a segmentation head.
        logits = slim.conv2d(net, test_util.NUM_CLASSES, [1, 1],
                             activation_fn=None, normalizer_fn=None,
                             scope='Logits')
      output = tf.nn.avg_pool2d(logits, 2, 2, 'VALID', name='output')
      quantize.create_eval_graph()
      atrous = [op for op in graph.get_operations()
                if op.type == 'BatchToSpaceND' and op.name.endswith('_Fold')]
      # Past the layer that reaches the output stride, the depthwise layers
      # are atrous: Conv2d_7 to 13 at stride 8, Conv2d_13 at stride 16.
      self.assertLen(atrous, 7 if output_stride == 8 else 1)
      fake_quants = [op for op in graph.get_operations()
                     if op.type == 'FakeQuantWithMinMaxVars']
      self.assertLen(fake_quants, 2 * 28)
      for op in atrous:
        weights = op.inputs[0].op.inputs[1].op
        self.assertEqual(weights.type, 'FakeQuantWithMinMaxVars', op.name)
      with test_util.session(graph) as sess:
        sess.run(tf.global_variables_initializer())
        frozen = freeze.freeze_session(sess, ['output'])
    model = tflite.to_uint8_tflite(frozen, input_names=['input'],
                                   output_names=['output'])
    interpreter = _interpreter(model)
    dtypes = {d['dtype'] for d in interpreter.get_tensor_details()
              if len(d['shape'])}
    self.assertEqual(dtypes, {np.uint8, np.int32})
    output = _run_tflite(interpreter, np.full([1, 64, 64, 3], 128, np.uint8))
    self.assertEqual(output.shape, (1, 64 // output_stride // 2,
                                    64 // output_stride // 2,
                                    test_util.NUM_CLASSES))


if __name__ == '__main__':
  absltest.main()
