"""The bundle's `<model>_info.txt`: what a user needs to run the model.

One `Key: value` line per fact, readable by people and by `parse_info`
(label_image reads the input size and the classes from it). The keys are
fixed here; values never contain a newline.
"""

import collections
import time

import numpy as np

from core import variants
from export import bundle
from export import checks
from export import litert
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
  styles = mobilenet_v1_preprocessing.STYLES
  text = ('RGB; central crop (%g %% of each side with the inception '
          'preprocessing of photos and ImageNet, %g %% with the gentle one of '
          'small images) and bilinear resize to the input size, as '
          'mobilenet_v1_eval; pixel p in [0, 255] becomes p / 127.5 - 1, in '
          '[-1, 1]' % (
              100 * styles[mobilenet_v1_preprocessing.INCEPTION][
                  'central_fraction'],
              100 * styles[mobilenet_v1_preprocessing.GENTLE][
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


def _tflite_io_text(model, quantize):
  """(input line, output line) of the info file, read from the model."""
  interpreter = checks.interpreter_for(model)
  input_detail, output_detail = litert.single_io(interpreter)

  def describe(detail):
    text = '%s %s %s' % (detail['name'], [int(d) for d in detail['shape']
                                         ], np.dtype(detail['dtype']).name)
    if quantize:
      scale, zero_point = detail['quantization']
      text += ', scale %.8g, zero point %d' % (scale, zero_point)
    return text

  input_text = describe(input_detail)
  if quantize:
    input_text += ' (mean %g, std %g: real = (q - %g) / %g)' % (
        tflite.INPUT_MEAN, tflite.INPUT_STD, tflite.INPUT_MEAN,
        tflite.INPUT_STD)
  return input_text, describe(output_detail)


def info_text(name, depth_multiplier, image_size, quantize, num_classes,
              global_step, checkpoint_path, model, macs, params, parity,
              size_ratio):
  """The info file's text for an exported bundle (see the module doc)."""
  input_line, output_line = _tflite_io_text(model, quantize)
  fields = [
      (MODEL, name),
      (DEPTH_MULTIPLIER, variants.format_depth_multiplier(depth_multiplier)),
      (IMAGE_SIZE, image_size),
      (NUM_CLASSES, num_classes),
      (QUANTIZED, 'yes (8-bit fake quantization in the graphs; the '
       '.tflite is fully quantized uint8)' if quantize else 'no (float32)'),
      (INPUT, '%s [1, %d, %d, 3] float32' %
       (variants.INPUT_NODE, image_size, image_size)),
      (OUTPUT, '%s [1, %d] float32 (softmax probabilities)' %
       (variants.OUTPUT_NODE, num_classes)),
      (TFLITE_INPUT, input_line),
      (TFLITE_OUTPUT, output_line),
      (NORMALIZATION, normalization_text(quantize)),
      (MILLION_MACS, '%.1f' % (macs / 1e6)),
      (MILLION_PARAMETERS, '%.2f' % (params / 1e6)),
      (MACS, macs),
      (PARAMETERS, params),
      (GLOBAL_STEP, global_step),
      (CHECKPOINT, checkpoint_path),
      (PARITY, checks.describe(parity)),
  ]
  if size_ratio is not None:
    fields.append((SIZE_CHECK, 'uint8 .tflite is %.1f %% of the float '
                   'one (limit %d %% at input size >= %d)' %
                   (100 * size_ratio, round(100 * checks.MAX_UINT8_SIZE_RATIO),
                    checks.SIZE_CHECK_MIN_IMAGE_SIZE)))
  fields.append((EXPORTED_BY, 'export_bundle (bundle format %d), %s' %
                 (bundle.FORMAT_VERSION,
                  time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime()))))
  return format_info(fields)
