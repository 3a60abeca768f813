"""Turns the bytes of any image file into what the TFRecords store.

Both converters call `encode_for_record`, the one place that handles the known
oddities of real image collections (ImageNet has them all):
  * a PNG (or other format) saved under a .JPEG name is re-encoded as JPEG;
  * CMYK JPEGs are converted to RGB and re-encoded;
  * grayscale (and palette, RGBA, ...) images become 3-channel RGB;
  * a file that cannot be fully decoded (not an image, truncated) raises
    UnreadableImageError so the converter can skip it and say which.
An RGB file already in the wanted format is stored byte for byte, so
re-running a conversion gives identical records and no quality is lost.
"""

import collections
import io

from PIL import Image

JPEG = 'JPEG'
PNG = 'PNG'
OUTPUT_FORMATS = (JPEG, PNG)
# High enough that re-encoding the few odd files costs no visible quality.
JPEG_QUALITY = 95

# Fix labels, counted in the converters' summaries (format changes read e.g.
# 'PNG re-encoded as JPEG').
FIX_CMYK = 'CMYK converted to RGB'
FIX_GRAYSCALE = 'grayscale converted to RGB'
FIX_OTHER_MODE = 'other colour mode converted to RGB'

EncodedImage = collections.namedtuple(
    'EncodedImage', ['data', 'format', 'height', 'width', 'fixes'])


class UnreadableImageError(Exception):
  """The bytes are not an image that can be decoded completely."""


def _to_rgb(image):
  """An RGB copy of `image` and the fix that describes the conversion."""
  mode = image.mode
  if mode == 'RGB':
    return image, None
  if mode == 'CMYK':
    return image.convert('RGB'), FIX_CMYK
  if mode in ('L', 'LA', '1'):
    return image.convert('L').convert('RGB'), FIX_GRAYSCALE
  if mode in ('I;16', 'I;16B', 'I;16L', 'I'):
    # 16-bit grayscale: keep the top 8 bits (convert('L') would clip).
    eight_bit = image.point(lambda value: value / 256.0, 'F').convert('L')
    return eight_bit.convert('RGB'), FIX_GRAYSCALE
  return image.convert('RGB'), FIX_OTHER_MODE


def encode_for_record(data, output_format=JPEG):
  """Checks and, where needed, re-encodes one image file's bytes.

  Args:
    data: the file's bytes.
    output_format: JPEG (the ImageNet layout) or PNG (lossless).

  Returns:
    EncodedImage(data, format, height, width, fixes): RGB image bytes in
    `output_format`, its size, and a tuple of the FIX_* labels that applied
    (empty when the input was stored unchanged).

  Raises:
    UnreadableImageError: the bytes cannot be decoded as an image.
  """
  if output_format not in OUTPUT_FORMATS:
    raise ValueError('output_format must be one of %s, not %r' %
                     (OUTPUT_FORMATS, output_format))
  try:
    with Image.open(io.BytesIO(data)) as image:
      source_format = image.format
      image.load()  # Decodes everything: truncated files fail here.
      rgb, mode_fix = _to_rgb(image)
      fixes = []
      if source_format != output_format:
        fixes.append('%s re-encoded as %s' % (source_format, output_format))
      if mode_fix:
        fixes.append(mode_fix)
      width, height = rgb.size
      if not fixes:
        return EncodedImage(data, output_format, height, width, ())
      buffer = io.BytesIO()
      if output_format == JPEG:
        rgb.save(buffer, format=JPEG, quality=JPEG_QUALITY)
      else:
        rgb.save(buffer, format=PNG)
      return EncodedImage(buffer.getvalue(), output_format, height, width,
                          tuple(fixes))
  except Image.UnidentifiedImageError as e:
    raise UnreadableImageError('not a known image format') from e
  except (OSError, SyntaxError, ValueError, EOFError,
          Image.DecompressionBombError) as e:
    raise UnreadableImageError('%s: %s' % (type(e).__name__, e)) from e
