"""The LiteRT wrapper: quantization rules, loading errors, a classifier."""

import numpy as np
import tensorflow.compat.v1 as tf

from export import litert
from export import tflite

_UINT8_INPUT = {'dtype': np.uint8, 'quantization': (1 / 128., 128)}
_UINT8_OUTPUT = {'dtype': np.uint8, 'quantization': (1 / 256., 0)}
_FLOAT = {'dtype': np.float32, 'quantization': (0.0, 0)}


def _tiny_float_model(image_size=8, num_classes=3):
  """A frozen softmax classifier [1, H, H, 3] -> [1, classes], as .tflite."""
  graph = tf.Graph()
  with graph.as_default():
    images = tf.placeholder(tf.float32, [1, image_size, image_size, 3],
                            name='input')
    pooled = tf.reduce_mean(images, axis=[1, 2])
    weights = tf.constant(np.arange(3 * num_classes, dtype=np.float32)
                          .reshape(3, num_classes) - 4.0)
    probabilities = tf.nn.softmax(tf.matmul(pooled, weights), name='output')
  return tflite.to_float_tflite(graph.as_graph_def(), ['input'], ['output']), (
      images, probabilities, graph)


class LiteRTTest(tf.test.TestCase):

  def test_input_quantization_rounds_and_clips(self):
    images = np.array([-1.0, -0.5, 0.0, 0.5, 0.99, 1.5], np.float32)
    self.assertAllEqual(litert.quantize_input(images, _UINT8_INPUT),
                        [0, 64, 128, 192, 255, 255])
    self.assertEqual(litert.quantize_input(images, _UINT8_INPUT).dtype,
                     np.uint8)
    self.assertEqual(litert.quantize_input(images, _FLOAT).dtype, np.float32)

  def test_output_dequantization(self):
    self.assertAllClose(
        litert.dequantize(np.array([0, 128, 255], np.uint8), _UINT8_OUTPUT),
        [0.0, 0.5, 255 / 256.])
    values = np.array([0.25, 0.75], np.float32)
    self.assertIs(litert.dequantize(values, _FLOAT), values)

  def test_bad_models_are_load_errors(self):
    with self.assertRaises(litert.LoadError):
      litert.load(b'not a flatbuffer')
    with self.assertRaises(litert.LoadError):
      litert.Classifier(b'not a flatbuffer')

  def test_classifier_refuses_other_shapes(self):
    graph = tf.Graph()
    with graph.as_default():
      images = tf.placeholder(tf.float32, [2, 8, 8, 3], name='input')
      tf.identity(images * 2.0, name='output')
    model = tflite.to_float_tflite(graph.as_graph_def(), ['input'], ['output'])
    with self.assertRaisesRegex(litert.LoadError, r'takes \[2, 8, 8, 3\]'):
      litert.Classifier(model)

  def test_classifier_matches_the_graph(self):
    model, (images, probabilities, graph) = _tiny_float_model()
    classifier = litert.Classifier(model)
    self.assertEqual(classifier.image_size, 8)
    self.assertEqual(classifier.num_classes, 3)
    image = np.random.RandomState(0).uniform(-1, 1, [8, 8, 3])
    with tf.Session(graph=graph) as sess:
      expected = sess.run(probabilities, {images: image[None]})[0]
    self.assertAllClose(classifier.predict(image), expected, atol=1e-6)


if __name__ == '__main__':
  tf.test.main()
