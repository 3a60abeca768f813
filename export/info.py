"""The bundle's `<model>_info.txt`: what a user needs to run the model.

One `Key: value` line per fact, readable by people and by `parse_info`
(label_image reads the input size and the classes from it). The keys are
fixed here; values never contain a newline.
"""

import collections

from export import tflite
from preprocessing import mobilenet_v1_preprocessing

MODEL = 'Model'
DEPTH_MULTIPLIER = 'Depth multiplier'
IMAGE_SIZE = 'Image size'
NUM_CLASSES = 'Classes'
QUANTIZED = 'Quantized'
INPUT = 'Input'
OUTPUT = 'Output'
TFLITE_INPUT = 'TFLite input'
TFLITE_OUTPUT = 'TFLite output'
NORMALIZATION = 'Input normalization'
MILLION_MACS = 'Million MACs'
MILLION_PARAMETERS = 'Million parameters'
MACS = 'MACs'
PARAMETERS = 'Parameters'
GLOBAL_STEP = 'Global step'
CHECKPOINT = 'Source checkpoint'
PARITY = 'TFLite parity'
SIZE_CHECK = 'TFLite size check'
EXPORTED_BY = 'Exported by'


def normalization_text(quantized):
  """How pixels become inputs: the same for every variant, as in eval."""
  text = ('RGB; central crop (%g %% of each side for ImageNet, the whole '
          'image for the digits) and bilinear resize to the input size, as '
          'mobilenet_v1_eval; pixel p in [0, 255] becomes p / 127.5 - 1, in '
          '[-1, 1]' % (100 * mobilenet_v1_preprocessing.DEFAULT_KWARGS[
              'central_fraction']))
  if quantized:
    text += ('; the uint8 .tflite takes q = round(%g * x + %g) for such an '
             'x (about the pixel itself): real = (q - %g) / %g' % (
                 tflite.INPUT_STD, tflite.INPUT_MEAN, tflite.INPUT_MEAN,
                 tflite.INPUT_STD))
  return text


Info = collections.namedtuple('Info', [
    'name', 'depth_multiplier', 'image_size', 'num_classes', 'quantized'])


def format_info(fields):
  """`fields`: ordered (key, value) pairs -> the file's text."""
  lines = []
  for key, value in fields:
    value = ' '.join(str(value).split())
    lines.append('%s: %s\n' % (key, value))
  return ''.join(lines)


def parse_info(text):
  """{key: value} of an info file's text."""
  values = {}
  for line in text.splitlines():
    key, sep, value = line.partition(': ')
    if sep:
      values[key.strip()] = value.strip()
  return values


def read_info(text):
  """The facts label_image and the release need, from an info file's text.

  Raises:
    ValueError: a required line is missing or malformed.
  """
  values = parse_info(text)
  try:
    return Info(
        name=values[MODEL],
        depth_multiplier=float(values[DEPTH_MULTIPLIER]),
        image_size=int(values[IMAGE_SIZE]),
        num_classes=int(values[NUM_CLASSES]),
        quantized=values[QUANTIZED].split()[0] == 'yes')
  except (KeyError, ValueError, IndexError) as e:
    raise ValueError('not a bundle info file (%s)' % e) from e
