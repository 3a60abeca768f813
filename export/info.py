"""The bundle's `<model>_info.txt`: what a user needs to run the model.

One `Key: value` line per fact, readable by people and by `parse_info`
(label_image reads the input size and the classes from it). The keys are
fixed here; values never contain a newline. `TFLite format` names the
.tflite's format (tflite.FORMATS: float, int8, uint8); bundles made before
that line existed hold float or uint8 models, as read_info assumes.
"""

import collections
import time

import numpy as np

from core import errors
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
TFLITE_FORMAT = 'TFLite format'
INPUT = 'Input'
OUTPUT = 'Output'
TFLITE_INPUT = 'TFLite input'
TFLITE_OUTPUT = 'TFLite output'
TFLITE_SIGNATURE = 'TFLite signature'
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
    text += ('; the quantized .tflite (int8 or uint8) takes uint8 '
             'q = round(%g * x + %g) for such an '
             'x (about the pixel itself): real = (q - %g) / %g' % (
                 tflite.INPUT_STD, tflite.INPUT_MEAN, tflite.INPUT_MEAN,
                 tflite.INPUT_STD))
  return text


Info = collections.namedtuple('Info', [
    'name', 'depth_multiplier', 'image_size', 'num_classes', 'quantized',
    'tflite_format'])


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
    quantized = values[QUANTIZED].split()[0] == 'yes'
    if TFLITE_FORMAT in values:
      tflite_format = values[TFLITE_FORMAT].split()[0]
    else:  # Bundle format 1: the TOCO-era uint8 for _quant.
      tflite_format = tflite.UINT8 if quantized else tflite.FLOAT
    if tflite_format not in tflite.FORMATS:
      raise ValueError('unknown %s %r' % (TFLITE_FORMAT, tflite_format))
    return Info(
        name=values[MODEL],
        depth_multiplier=float(values[DEPTH_MULTIPLIER]),
        image_size=int(values[IMAGE_SIZE]),
        num_classes=int(values[NUM_CLASSES]),
        quantized=quantized,
        tflite_format=tflite_format)
  except (KeyError, ValueError, IndexError) as e:
    raise ValueError('not a bundle info file (%s)' % e) from e


def read_bundle_info(directory, name):
  """read_info of the info file of the bundle `name` extracted in
  `directory` (bundle.opened).

  Raises:
    errors.BadInputError: no info file, or not a valid one.
  """
  path = bundle.member_path(directory, name, 'info')
  with open(path, encoding='utf-8') as f:
    try:
      return read_info(f.read())
    except ValueError as e:
      raise errors.BadInputError('%s: %s' % (path, e)) from e


def _tflite_io_text(model, quantize):
  """(input, output, signature lines) of the info file, from the model."""
  interpreter = checks.interpreter_for(model)
  input_detail, output_detail = litert.single_io(interpreter)

  def describe(detail):
    text = '%s %s %s' % (detail['name'], [int(d) for d in detail['shape']
                                         ], np.dtype(detail['dtype']).name)
    if quantize:
      scale, zero_point = detail['quantization']
      text += ', scale %.8g, zero point %d' % (scale, zero_point)
    return text

  signatures = interpreter.get_signature_list()
  signature_text = '; '.join(
      '%s: %s -> %s' % (key, ', '.join(value['inputs']),
                        ', '.join(value['outputs']))
      for key, value in sorted(signatures.items())) or 'none'
  input_text = describe(input_detail)
  if quantize:
    input_text += ' (mean %g, std %g: real = (q - %g) / %g)' % (
        tflite.INPUT_MEAN, tflite.INPUT_STD, tflite.INPUT_MEAN,
        tflite.INPUT_STD)
  return input_text, describe(output_detail), signature_text


def info_text(name, depth_multiplier, image_size, quantize, num_classes,
              global_step, checkpoint_path, model, macs, params, parity,
              size_ratio, tflite_format):
  """The info file's text for an exported bundle (see the module doc)."""
  input_line, output_line, signature_line = _tflite_io_text(model, quantize)
  fields = [
      (MODEL, name),
      (DEPTH_MULTIPLIER, variants.format_depth_multiplier(depth_multiplier)),
      (IMAGE_SIZE, image_size),
      (NUM_CLASSES, num_classes),
      (QUANTIZED, 'yes (8-bit fake quantization in the graphs; the '
       '.tflite is fully quantized %s)' % tflite_format
       if quantize else 'no (float32)'),
      (TFLITE_FORMAT, '%s (%s)' % (tflite_format,
                                   tflite.FORMATS[tflite_format].description)),
      (INPUT, '%s [1, %d, %d, 3] float32' %
       (variants.INPUT_NODE, image_size, image_size)),
      (OUTPUT, '%s [1, %d] float32 (softmax probabilities)' %
       (variants.OUTPUT_NODE, num_classes)),
      (TFLITE_INPUT, input_line),
      (TFLITE_OUTPUT, output_line),
      (TFLITE_SIGNATURE, signature_line),
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
    fields.append((SIZE_CHECK, '%s .tflite is %.1f %% of the float '
                   'one (limit %d %% at input size >= %d)' %
                   (tflite_format, 100 * size_ratio,
                    round(100 * checks.MAX_QUANT_SIZE_RATIO),
                    checks.SIZE_CHECK_MIN_IMAGE_SIZE)))
  fields.append((EXPORTED_BY, 'export_bundle (bundle format %d), %s' %
                 (bundle.FORMAT_VERSION,
                  time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime()))))
  return format_info(fields)
