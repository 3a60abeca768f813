"""The 32 published MobileNet v1 variants: their names and published figures.

The one place that knows which variants exist and how they are named
(`mobilenet_v1_<depth multiplier>_<image size>[_quant]`, as in the original
download links), and what the original README published for each.
"""

import collections
import re

DEPTH_MULTIPLIERS = (1.0, 0.75, 0.5, 0.25)
IMAGE_SIZES = (224, 192, 160, 128)
# The published models classify ImageNet's 1000 classes plus background (0).
IMAGENET_NUM_CLASSES = 1001

# Tensor names of exported graphs, as in the original frozen graphs.
INPUT_NODE = 'input'
OUTPUT_NODE = 'MobilenetV1/Predictions/Reshape_1'

QUANT_SUFFIX = '_quant'
_NAME_RE = re.compile(r'^mobilenet_v1_(\d+(?:\.\d+)?)_(\d+)(%s)?$' % QUANT_SUFFIX)


def format_depth_multiplier(depth_multiplier):
  """1.0 -> '1.0', 0.5 -> '0.5', 0.75 -> '0.75', as in the original names."""
  return repr(float(depth_multiplier))


def model_name(depth_multiplier, image_size, quantize=False):
  """E.g. model_name(0.5, 160, True) == 'mobilenet_v1_0.5_160_quant'."""
  return 'mobilenet_v1_%s_%d%s' % (format_depth_multiplier(depth_multiplier),
                                   int(image_size),
                                   QUANT_SUFFIX if quantize else '')


class Variant(collections.namedtuple(
    'Variant', ['depth_multiplier', 'image_size', 'quantize'])):
  """One model: depth multiplier, input resolution, quantized or float."""
  __slots__ = ()

  @property
  def name(self):
    return model_name(self.depth_multiplier, self.image_size, self.quantize)


def parse_model_name(name):
  """'mobilenet_v1_0.25_128_quant' -> Variant(0.25, 128, True).

  Raises:
    ValueError: if `name` is not of that form.
  """
  match = _NAME_RE.match(name)
  if not match:
    raise ValueError('not a MobileNet v1 model name: %r (expected e.g. '
                     'mobilenet_v1_1.0_224 or mobilenet_v1_0.5_160_quant)' %
                     name)
  return Variant(float(match.group(1)), int(match.group(2)),
                 bool(match.group(3)))


# The 16 float models, then the 16 quantized ones, in the original's order.
FLOAT_VARIANTS = tuple(Variant(d, s, False)
                       for d in DEPTH_MULTIPLIERS for s in IMAGE_SIZES)
QUANT_VARIANTS = tuple(v._replace(quantize=True) for v in FLOAT_VARIANTS)
ALL_VARIANTS = FLOAT_VARIANTS + QUANT_VARIANTS

PublishedFigures = collections.namedtuple(
    'PublishedFigures', ['million_macs', 'million_params', 'top1', 'top5'])

# The original README's table (TF-Slim models/research/slim/nets/
# mobilenet_v1.md), ImageNet validation accuracy in percent.
PUBLISHED = {
    'mobilenet_v1_1.0_224': PublishedFigures(569, 4.24, 70.9, 89.9),
    'mobilenet_v1_1.0_192': PublishedFigures(418, 4.24, 70.0, 89.2),
    'mobilenet_v1_1.0_160': PublishedFigures(291, 4.24, 68.0, 87.7),
    'mobilenet_v1_1.0_128': PublishedFigures(186, 4.24, 65.2, 85.8),
    'mobilenet_v1_0.75_224': PublishedFigures(317, 2.59, 68.4, 88.2),
    'mobilenet_v1_0.75_192': PublishedFigures(233, 2.59, 67.2, 87.3),
    'mobilenet_v1_0.75_160': PublishedFigures(162, 2.59, 65.3, 86.0),
    'mobilenet_v1_0.75_128': PublishedFigures(104, 2.59, 62.1, 83.9),
    'mobilenet_v1_0.5_224': PublishedFigures(150, 1.34, 63.3, 84.9),
    'mobilenet_v1_0.5_192': PublishedFigures(110, 1.34, 61.7, 83.6),
    'mobilenet_v1_0.5_160': PublishedFigures(77, 1.34, 59.1, 81.9),
    'mobilenet_v1_0.5_128': PublishedFigures(49, 1.34, 56.3, 79.4),
    'mobilenet_v1_0.25_224': PublishedFigures(41, 0.47, 49.8, 74.2),
    'mobilenet_v1_0.25_192': PublishedFigures(34, 0.47, 47.7, 72.3),
    'mobilenet_v1_0.25_160': PublishedFigures(21, 0.47, 45.5, 70.3),
    'mobilenet_v1_0.25_128': PublishedFigures(14, 0.47, 41.5, 66.3),
    'mobilenet_v1_1.0_224_quant': PublishedFigures(569, 4.24, 70.1, 88.9),
    'mobilenet_v1_1.0_192_quant': PublishedFigures(418, 4.24, 69.2, 88.3),
    'mobilenet_v1_1.0_160_quant': PublishedFigures(291, 4.24, 67.2, 86.7),
    'mobilenet_v1_1.0_128_quant': PublishedFigures(186, 4.24, 63.4, 84.2),
    'mobilenet_v1_0.75_224_quant': PublishedFigures(317, 2.59, 66.8, 87.0),
    'mobilenet_v1_0.75_192_quant': PublishedFigures(233, 2.59, 66.1, 86.4),
    'mobilenet_v1_0.75_160_quant': PublishedFigures(162, 2.59, 62.3, 83.8),
    'mobilenet_v1_0.75_128_quant': PublishedFigures(104, 2.59, 55.8, 78.8),
    'mobilenet_v1_0.5_224_quant': PublishedFigures(150, 1.34, 60.7, 83.2),
    'mobilenet_v1_0.5_192_quant': PublishedFigures(110, 1.34, 60.0, 82.2),
    'mobilenet_v1_0.5_160_quant': PublishedFigures(77, 1.34, 57.7, 80.4),
    'mobilenet_v1_0.5_128_quant': PublishedFigures(49, 1.34, 54.5, 77.7),
    'mobilenet_v1_0.25_224_quant': PublishedFigures(41, 0.47, 48.0, 72.8),
    'mobilenet_v1_0.25_192_quant': PublishedFigures(34, 0.47, 46.0, 71.2),
    'mobilenet_v1_0.25_160_quant': PublishedFigures(21, 0.47, 43.4, 68.5),
    'mobilenet_v1_0.25_128_quant': PublishedFigures(14, 0.47, 39.5, 64.4),
}
