"""Tests for image_coding: the oddities both converters rely on."""

import io

from absl.testing import absltest
import numpy as np
from PIL import Image

from datasets import image_coding
from datasets import test_images


def _decode(data):
  with Image.open(io.BytesIO(data)) as image:
    return image.format, image.mode, np.asarray(image.convert('RGB'))


class EncodeForRecordTest(absltest.TestCase):

  def test_rgb_jpeg_is_kept_byte_for_byte(self):
    data = test_images.solid_rgb((200, 30, 40))
    image = image_coding.encode_for_record(data)
    self.assertEqual(image.data, data)
    self.assertEqual((image.format, image.height, image.width, image.fixes),
                     ('JPEG', 16, 24, ()))

  def test_png_named_jpeg_becomes_rgb_jpeg(self):
    data = test_images.solid_rgb((10, 200, 60), image_format='PNG')
    image = image_coding.encode_for_record(data, image_coding.JPEG)
    fmt, mode, pixels = _decode(image.data)
    self.assertEqual((fmt, mode), ('JPEG', 'RGB'))
    self.assertEqual(image.fixes, ('PNG re-encoded as JPEG',))
    np.testing.assert_allclose(pixels.reshape(-1, 3).mean(0), (10, 200, 60),
                               atol=3)

  def test_cmyk_jpeg_becomes_rgb(self):
    # Pure cyan in CMYK is (0, 255, 255) in RGB.
    image = image_coding.encode_for_record(test_images.cmyk_jpeg(
        (255, 0, 0, 0)))
    fmt, mode, pixels = _decode(image.data)
    self.assertEqual((fmt, mode), ('JPEG', 'RGB'))
    self.assertIn(image_coding.FIX_CMYK, image.fixes)
    np.testing.assert_allclose(pixels.reshape(-1, 3).mean(0), (0, 255, 255),
                               atol=4)
    self.assertEqual((image.height, image.width), (12, 20))

  def test_grayscale_becomes_three_equal_channels(self):
    image = image_coding.encode_for_record(test_images.grayscale_jpeg(90))
    fmt, mode, pixels = _decode(image.data)
    self.assertEqual((fmt, mode), ('JPEG', 'RGB'))
    self.assertEqual(image.fixes, (image_coding.FIX_GRAYSCALE,))
    self.assertEqual(pixels.shape, (14, 18, 3))
    np.testing.assert_allclose(pixels.reshape(-1, 3).mean(0), (90, 90, 90),
                               atol=2)

  def test_png_output_is_lossless(self):
    rng = np.random.RandomState(0)
    noise = rng.randint(0, 256, size=(9, 7, 3)).astype(np.uint8)
    jpeg_free = test_images.encode(Image.fromarray(noise), 'PNG')
    gray = test_images.encode(Image.fromarray(noise[:, :, 0]), 'PNG')
    kept = image_coding.encode_for_record(jpeg_free, image_coding.PNG)
    self.assertEqual(kept.data, jpeg_free)
    converted = image_coding.encode_for_record(gray, image_coding.PNG)
    fmt, mode, pixels = _decode(converted.data)
    self.assertEqual((fmt, mode), ('PNG', 'RGB'))
    for channel in range(3):
      np.testing.assert_array_equal(pixels[:, :, channel], noise[:, :, 0])

  def test_unreadable_bytes_raise(self):
    with self.assertRaises(image_coding.UnreadableImageError):
      image_coding.encode_for_record(b'this is not an image')
    truncated = test_images.solid_rgb((1, 2, 3), 64, 64)[:200]
    with self.assertRaises(image_coding.UnreadableImageError):
      image_coding.encode_for_record(truncated)


if __name__ == '__main__':
  absltest.main()
