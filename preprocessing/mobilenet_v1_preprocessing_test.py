"""Tests for the Inception-style preprocessing, both modes."""

import numpy as np
import tensorflow as tf

from preprocessing import mobilenet_v1_preprocessing as prep
from preprocessing import preprocessing_factory

NO_DISTORTION = dict(random_flip=False, color_distortion=False)


def framed_image(size=64, border=4):
  """Blue image with a red frame `border` pixels wide."""
  image = np.zeros((size, size, 3), np.uint8)
  image[:, :, 0] = 255
  image[border:size - border, border:size - border] = (0, 0, 255)
  return image


def half_black_half_white(height=64, width=64):
  image = np.zeros((height, width, 3), np.uint8)
  image[:, width // 2:] = 255
  return image


class EvalPreprocessingTest(tf.test.TestCase):

  def test_central_crop_drops_the_frame_and_scales_to_unit_range(self):
    # 87.5 % of 64 px keeps the central 56 px: the 4 px frame goes.
    out = prep.preprocess_for_eval(framed_image(), 32, 32).numpy()
    self.assertEqual(out.shape, (32, 32, 3))
    self.assertEqual(out.dtype, np.float32)
    self.assertAllClose(out[:, :, 0], -np.ones((32, 32)), atol=1e-5)
    self.assertAllClose(out[:, :, 2], np.ones((32, 32)), atol=1e-5)

  def test_no_central_crop_keeps_the_frame(self):
    out = prep.preprocess_for_eval(framed_image(), 32, 32,
                                   central_fraction=1.0).numpy()
    self.assertAllClose(out[0, 0], [1.0, -1.0, -1.0], atol=1e-5)
    self.assertAllClose(out[16, 16], [-1.0, -1.0, 1.0], atol=1e-5)

  def test_value_range_and_bilinear_resize(self):
    ramp = np.tile(np.linspace(0, 255, 8).astype(np.uint8)[None, :, None],
                   (8, 1, 3))
    out = prep.preprocess_image(ramp, 16, 16, is_training=False,
                                central_fraction=1.0).numpy()
    self.assertAllClose(out[:, 0, 0], -np.ones(16), atol=1e-5)
    self.assertAllClose(out[:, -1, 0], np.ones(16), atol=1e-5)
    # Bilinear: strictly increasing left to right.
    self.assertTrue(np.all(np.diff(out[0, :, 0]) >= 0))
    self.assertGreater(len(np.unique(np.round(out[0, :, 0], 4))), 8)


class TrainPreprocessingTest(tf.test.TestCase):

  def test_shape_range_and_randomness(self):
    image = tf.constant(np.random.RandomState(0).randint(
        0, 256, (50, 70, 3)).astype(np.uint8))
    outs = [prep.preprocess_for_train(image, 24, 32).numpy() for _ in range(4)]
    for out in outs:
      self.assertEqual(out.shape, (24, 32, 3))
      self.assertGreaterEqual(out.min(), -1.0)
      self.assertLessEqual(out.max(), 1.0)
    self.assertFalse(np.allclose(outs[0], outs[1]))

  def test_without_crop_or_distortion_equals_eval(self):
    image = framed_image(40, 3)
    train = prep.preprocess_for_train(image, 20, 20, crop_area_range=(1., 1.),
                                      crop_aspect_ratio_range=(1., 1.),
                                      **NO_DISTORTION)
    evaluated = prep.preprocess_for_eval(image, 20, 20, central_fraction=1.0)
    self.assertAllClose(train, evaluated, atol=1e-5)

  def test_crop_strength_is_a_parameter(self):
    image = half_black_half_white()
    gentle = [prep.preprocess_for_train(
        image, 16, 16, crop_area_range=(0.9, 1.0),
        crop_aspect_ratio_range=(0.9, 1.1), min_object_covered=0.9,
        **NO_DISTORTION).numpy() for _ in range(10)]
    strong = [prep.preprocess_for_train(
        image, 16, 16, crop_area_range=(0.05, 0.1), min_object_covered=0.05,
        **NO_DISTORTION).numpy() for _ in range(20)]
    # A gentle crop always shows both halves; a strong one often only one.
    for out in gentle:
      self.assertLess(abs(out.mean()), 0.3)
      self.assertLess(out.min(), -0.9)
      self.assertGreater(out.max(), 0.9)
    self.assertGreater(sum(abs(out.mean()) > 0.9 for out in strong), 2)

  def test_crop_keeps_the_bounding_box(self):
    image = np.zeros((64, 64, 3), np.uint8)
    image[:32, :32] = 255
    box = [[0.0, 0.0, 0.5, 0.5]]  # ymin, xmin, ymax, xmax
    on_box = 0
    for _ in range(20):
      mean = prep.preprocess_for_train(
          image, 16, 16, bbox=box, min_object_covered=0.9,
          crop_area_range=(0.2, 0.5), crop_aspect_ratio_range=(0.75, 1.33),
          **NO_DISTORTION).numpy().mean()
      # A crop around the box is >= 0.9 * 0.25 / 0.5 white; when TF's
      # sampler finds none in max_attempts it takes the whole image (-0.5).
      if mean > -0.15:
        on_box += 1
      else:
        self.assertAllClose(mean, -0.5, atol=1e-3)
    self.assertGreaterEqual(on_box, 6)

  def test_colour_distortion_changes_values_within_range(self):
    image = np.full((20, 20, 3), 128, np.uint8)
    outs = [prep.preprocess_for_train(
        image, 8, 8, crop_area_range=(1., 1.), random_flip=False,
        fast_mode=False).numpy() for _ in range(6)]
    means = [out.mean() for out in outs]
    self.assertGreater(np.std(means), 1e-3)
    for out in outs:
      self.assertGreaterEqual(out.min(), -1.0)
      self.assertLessEqual(out.max(), 1.0)

  def test_flip(self):
    image = half_black_half_white(8, 8)
    flipped = 0
    for _ in range(16):
      out = prep.preprocess_for_train(image, 8, 8, crop_area_range=(1., 1.),
                                      crop_aspect_ratio_range=(1., 1.),
                                      color_distortion=False).numpy()
      flipped += out[0, 0, 0] > 0
    self.assertBetween(flipped, 1, 15)


class FactoryTest(tf.test.TestCase):

  def test_registered_and_usable_in_a_graph(self):
    self.assertIn('mobilenet_v1', preprocessing_factory.names())
    with tf.Graph().as_default():
      image = tf.compat.v1.placeholder(tf.uint8, [None, None, 3])
      train = preprocessing_factory.get_preprocessing('mobilenet_v1', True)(
          image, 32, 32, **prep.DEFAULT_KWARGS)
      evaluate = preprocessing_factory.get_preprocessing('mobilenet_v1')(
          image, 32, 32, **prep.DEFAULT_KWARGS)
      self.assertEqual(train.shape.as_list(), [32, 32, 3])
      with tf.compat.v1.Session() as sess:
        a, b = sess.run([train, evaluate], {image: framed_image()})
    self.assertEqual(a.shape, (32, 32, 3))
    self.assertAllClose(b[:, :, 2], np.ones((32, 32)), atol=1e-5)

  def test_errors(self):
    with self.assertRaisesRegex(ValueError, 'unknown preprocessing'):
      preprocessing_factory.get_preprocessing('vgg')
    with self.assertRaisesRegex(TypeError, 'crop_strength'):
      prep.preprocess_image(framed_image(), 8, 8, crop_strength=2)


if __name__ == '__main__':
  tf.test.main()
