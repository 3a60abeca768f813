"""Conversion to float, int8 and uint8 TensorFlow Lite models."""

from absl.testing import absltest
from ai_edge_litert.interpreter import Interpreter
import numpy as np
import tensorflow.compat.v1 as tf

from export import tflite


def _frozen(fake_quant):
  """input [1, 4, 4, 2] -> conv -> relu6 [-> fake quant] -> output."""
  graph = tf.Graph()
  with graph.as_default():
    x = tf.placeholder(tf.float32, [1, 4, 4, 2], name='input')
    weights = np.random.RandomState(0).uniform(-1, 1, [3, 3, 2, 3])
    w = tf.constant(weights.astype(np.float32))
    if fake_quant:
      w = tf.quantization.fake_quant_with_min_max_args(
          w, -1, 1, narrow_range=True)
    y = tf.nn.relu6(tf.nn.conv2d(x, w, [1, 1, 1, 1], 'SAME'))
    if fake_quant:
      y = tf.quantization.fake_quant_with_min_max_args(y, 0, 6)
    tf.identity(y, name='output')
  return graph.as_graph_def()


def _interpreter(model):
  interpreter = Interpreter(model_content=model, num_threads=1)
  interpreter.allocate_tensors()
  return interpreter


class TfliteTest(absltest.TestCase):

  def test_float_model_computes_the_graph(self):
    graph_def = _frozen(fake_quant=False)
    image = np.random.RandomState(1).uniform(-1, 1, [1, 4, 4, 2]).astype(
        np.float32)
    with tf.Graph().as_default() as graph:
      tf.import_graph_def(graph_def, name='')
      with tf.Session(graph=graph) as sess:
        expected = sess.run('output:0', {'input:0': image})
    interpreter = _interpreter(tflite.to_float_tflite(
        graph_def, ['input'], ['output']))
    interpreter.set_tensor(interpreter.get_input_details()[0]['index'], image)
    interpreter.invoke()
    actual = interpreter.get_tensor(
        interpreter.get_output_details()[0]['index'])
    np.testing.assert_allclose(actual, expected, rtol=0, atol=1e-5)
    # A signature keyed by the graph's names, as every format has.
    runner = interpreter.get_signature_runner(tflite.SIGNATURE_KEY)
    np.testing.assert_allclose(runner(input=image)['output'], expected,
                               rtol=0, atol=1e-5)

  def test_uint8_model_with_input_statistics(self):
    model = tflite.to_uint8_tflite(_frozen(fake_quant=True), ['input'],
                                   ['output'], mean=0.0, std=255.0)
    self.assertEqual(tflite.float_tensors(model), [])
    interpreter = _interpreter(model)
    [input_detail] = interpreter.get_input_details()
    [output_detail] = interpreter.get_output_details()
    self.assertEqual(input_detail['dtype'], np.uint8)
    scale, zero_point = input_detail['quantization']
    self.assertAlmostEqual(scale, 1 / 255, places=7)
    self.assertEqual(zero_point, 0)
    self.assertEqual(output_detail['dtype'], np.uint8)
    scale, zero_point = output_detail['quantization']
    self.assertAlmostEqual(scale, 6 / 255, places=6)
    self.assertEqual(zero_point, 0)
    # The v1 converter makes no signature; the export adds one.
    self.assertEqual(interpreter.get_signature_list(), {
        tflite.SIGNATURE_KEY: {'inputs': ['input'], 'outputs': ['output']}})

  def test_int8_model_keeps_the_published_interface(self):
    graph_def = _frozen(fake_quant=True)
    model = tflite.to_int8_tflite(graph_def, ['input'], ['output'])
    self.assertEqual(tflite.model_format(model), tflite.INT8)
    self.assertEqual(tflite.unquantized_tensors(model, tflite.INT8), [])
    interpreter = _interpreter(model)
    [input_detail] = interpreter.get_input_details()
    [output_detail] = interpreter.get_output_details()
    # The graph's names, uint8 at both ends, real = (q - 128) / 128 in.
    self.assertEqual(input_detail['name'], 'input')
    self.assertEqual(output_detail['name'], 'output')
    self.assertEqual(interpreter.get_signature_list(), {
        tflite.SIGNATURE_KEY: {'inputs': ['input'], 'outputs': ['output']}})
    self.assertEqual(input_detail['dtype'], np.uint8)
    self.assertEqual(input_detail['quantization'], (1 / 128, 128))
    self.assertEqual(output_detail['dtype'], np.uint8)
    scale, zero_point = output_detail['quantization']
    self.assertAlmostEqual(scale, 6 / 255, places=6)
    self.assertEqual(zero_point, 0)
    inside = [d for d in interpreter.get_tensor_details()
              if d['index'] not in (input_detail['index'],
                                    output_detail['index'])]
    self.assertTrue(inside)
    self.assertTrue(all(d['dtype'] in (np.int8, np.int32) for d in inside))
    # The same integers as the uint8 model of the same ranges.
    uint8 = _interpreter(tflite.to_uint8_tflite(graph_def, ['input'],
                                                ['output']))
    image = np.random.RandomState(2).randint(0, 256, [1, 4, 4, 2]).astype(
        np.uint8)
    outputs = []
    for each in (interpreter, uint8):
      each.set_tensor(each.get_input_details()[0]['index'], image)
      each.invoke()
      outputs.append(each.get_tensor(each.get_output_details()[0]['index']))
    self.assertGreater(outputs[1].max(), 0)
    np.testing.assert_array_equal(outputs[0], outputs[1])

  def test_formats(self):
    self.assertEqual(tflite.resolve_format(False), tflite.FLOAT)
    self.assertEqual(tflite.resolve_format(True), tflite.INT8)
    self.assertEqual(tflite.resolve_format(True, 'uint8'), tflite.UINT8)
    with self.assertRaisesRegex(ValueError, 'float model cannot be converted '
                                'to int8'):
      tflite.resolve_format(False, 'int8')
    with self.assertRaisesRegex(ValueError, 'quantized model cannot'):
      tflite.resolve_format(True, 'float')
    with self.assertRaisesRegex(ValueError, 'unknown'):
      tflite.resolve_format(True, 'int4')
    float_model = tflite.to_float_tflite(_frozen(fake_quant=False), ['input'],
                                         ['output'])
    self.assertEqual(tflite.model_format(float_model), tflite.FLOAT)
    uint8 = tflite.to_uint8_tflite(_frozen(fake_quant=True), ['input'],
                                   ['output'])
    self.assertEqual(tflite.model_format(uint8), tflite.UINT8)

  def test_graph_without_ranges_is_not_a_quantized_model(self):
    with self.assertRaisesRegex(ValueError, 'no learned range'):
      tflite.to_uint8_tflite(_frozen(fake_quant=False), ['input'], ['output'])
    # The v2 converter leaves float what has no range: refused, naming it.
    with self.assertRaisesRegex(ValueError,
                                r'not fully quantized int8: .*\(float32\)'):
      tflite.to_int8_tflite(_frozen(fake_quant=False), ['input'], ['output'])
    float_model = tflite.to_float_tflite(_frozen(fake_quant=False), ['input'],
                                         ['output'])
    self.assertIn('output', tflite.float_tensors(float_model))

  def test_unknown_names_are_refused(self):
    with self.assertRaisesRegex(ValueError, 'not in the frozen graph'):
      tflite.to_float_tflite(_frozen(fake_quant=False), ['images'],
                             ['output'])


if __name__ == '__main__':
  absltest.main()
