"""Multiply-accumulates and parameters, measured from a built graph.

MACs are counted from the ops that do the arithmetic (Conv2D,
DepthwiseConv2dNative, MatMul) and their static shapes, for one image.
Parameters are counted as the published table counts them: every model
variable, batch-norm moving statistics included.
"""

import collections

from third_party import tf_slim_compat  # pylint: disable=unused-import

import numpy as np
import tf_slim as slim

from core import variants
from model import builder

ModelStats = collections.namedtuple('ModelStats', ['macs', 'params'])


def _static_shape(tensor):
  shape = tensor.shape.as_list()
  if any(d is None for d in shape):
    raise ValueError('%s has no fully known shape: %s' % (tensor.name, shape))
  return shape


def op_macs(op):
  """MACs of one op for its static shapes, 0 for ops that are not counted."""
  if op.type == 'Conv2D':
    out = _static_shape(op.outputs[0])
    kernel = _static_shape(op.inputs[1])  # [h, w, in, out]
    return int(np.prod(out)) * kernel[0] * kernel[1] * kernel[2]
  if op.type == 'DepthwiseConv2dNative':
    out = _static_shape(op.outputs[0])
    kernel = _static_shape(op.inputs[1])  # [h, w, in, multiplier]
    return int(np.prod(out)) * kernel[0] * kernel[1]
  if op.type == 'MatMul':
    a, b = op.inputs
    rows = _static_shape(a)[1 if op.get_attr('transpose_a') else 0]
    inner, cols = _static_shape(b)
    if op.get_attr('transpose_b'):
      inner, cols = cols, inner
    return rows * inner * cols
  return 0


def graph_macs(graph):
  return sum(op_macs(op) for op in graph.get_operations())


def graph_params(graph):
  with graph.as_default():
    model_vars = slim.get_model_variables()
  return sum(int(np.prod(v.shape.as_list())) for v in model_vars)


def measure(depth_multiplier, image_size,
            num_classes=variants.IMAGENET_NUM_CLASSES):
  """Builds the float classifier for one image and measures it.

  The _quant models have the same MACs and parameters (their range variables
  are not model variables).
  """
  graph = builder.build_inference_graph(depth_multiplier, image_size,
                                        num_classes, quantize=False)
  return ModelStats(macs=graph_macs(graph), params=graph_params(graph))
