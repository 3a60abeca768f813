"""Fake-quant nodes with range variables named the way contrib named them.

tensorflow-model-optimization's graph-mode quant ops (LastValueQuantize,
MovingAvgQuantize) do the work; they take the min/max variables from the
caller. This adapter creates those variables as `<var_scope>/min` and
`<var_scope>/max` (e.g. MobilenetV1/Conv2d_0/act_quant/min), the names in the
published _quant checkpoints, and puts the quantization ops in `op_scope`,
next to the layer's own ops.
"""

import tensorflow.compat.v1 as tf
from tensorflow_model_optimization.python.core.quantization.keras import (
    quant_ops as tfmot_quant_ops)

from quantize import common

# Ranges start at [-6, 6]; weight ranges are overwritten at the first step.
# Outputs of a ReLU or ReLU6 start at [0, 6] instead (contrib started its
# act_quant ranges at 0 too): their minimum is exactly 0, and the slow moving
# average (quantize_graph._ACTIVATION_EMA_DECAY) would otherwise spend
# thousands of steps walking -6 up to 0, wasting half of the 256 levels in
# short fine-tuning runs. Outputs that can be negative (bias-add, identity,
# additions) keep -6, so that negative values are not clipped, and get no
# gradient, while the range learns.
INIT_MIN = -6.0
INIT_MAX = 6.0
RELU_INIT_MIN = 0.0
NON_NEGATIVE_OPS = ('Relu', 'Relu6')
# How close to its initial value a stored range counts as never updated.
_INITIAL_TOLERANCE = 1e-6


def initial_range(op_type=None):
  """(min, max) a range starts at, for the output of an op of `op_type`.

  ReLU and ReLU6 outputs start at [0, 6]; anything else (other activations,
  weights: op_type None) at [-6, 6].
  """
  if op_type in NON_NEGATIVE_OPS:
    return RELU_INIT_MIN, INIT_MAX
  return INIT_MIN, INIT_MAX


def is_initial_range(range_min, range_max):
  """Whether a stored [min, max] is still where some range starts.

  For a checkpoint alone, which does not say what each range follows: a
  range equal to one of the initial ranges was never updated (or learned
  exactly that, which a trained model's ranges do not all do).
  """
  return any(abs(float(range_min) - low) <= _INITIAL_TOLERANCE and
             abs(float(range_max) - high) <= _INITIAL_TOLERANCE
             for low, high in (initial_range(None),
                               initial_range(NON_NEGATIVE_OPS[0])))


def _range_variable(graph, var_scope, name, initial_value, collections):
  full_name = '%s/%s' % (var_scope, name)
  try:
    graph.get_operation_by_name(full_name)
  except KeyError:
    pass
  else:
    raise ValueError('%s already exists: the layer is already quantized' %
                     full_name)
  with common.absolute_name_scope(graph, var_scope):
    variable = tf.Variable(
        initial_value, name=name, trainable=False, dtype=tf.float32,
        collections=collections, use_resource=True)
  if variable.op.name != full_name:
    raise ValueError('could not create range variable %s (got %s)' %
                     (full_name, variable.op.name))
  return variable


def range_variables(graph, var_scope, vars_collection, init_min=INIT_MIN,
                    init_max=INIT_MAX):
  """The [min, max] variables of one quantizer, initialised to the range."""
  collections = [tf.GraphKeys.GLOBAL_VARIABLES]
  if vars_collection:
    collections.append(vars_collection)
  return (_range_variable(graph, var_scope, 'min', init_min, collections),
          _range_variable(graph, var_scope, 'max', init_max, collections))


def last_value_quantize(inputs, var_scope, op_scope, is_training, num_bits,
                        narrow_range, symmetric, vars_collection):
  """Fake-quantizes with the range of the current value (for weights).

  In training graphs each step stores the value's range in the variables;
  eval graphs read the stored range.
  """
  graph = inputs.graph
  min_var, max_var = range_variables(graph, var_scope, vars_collection)
  with graph.as_default():
    return tfmot_quant_ops.LastValueQuantize(
        inputs, min_var, max_var, per_channel=False,
        name_prefix=op_scope + '/', is_training=is_training,
        num_bits=num_bits, narrow_range=narrow_range, symmetric=symmetric)


def moving_avg_quantize(inputs, var_scope, op_scope, is_training, num_bits,
                        ema_decay, narrow_range, symmetric, vars_collection):
  """Fake-quantizes with an exponential moving average of the value's range.

  For activations: training graphs update the averages every step, eval
  graphs read them.
  """
  graph = inputs.graph
  init_min, init_max = initial_range(inputs.op.type)
  min_var, max_var = range_variables(graph, var_scope, vars_collection,
                                     init_min=init_min, init_max=init_max)
  with graph.as_default():
    return tfmot_quant_ops.MovingAvgQuantize(
        inputs, min_var, max_var, per_channel=False, ema_decay=ema_decay,
        name_prefix=op_scope + '/', is_training=is_training,
        num_bits=num_bits, narrow_range=narrow_range, symmetric=symmetric)
