"""Fake-quantization ops with range variables, as tf.contrib.quantize made them.

Each function creates `min` and `max` variables in a new variable scope
(`name_prefix`, made unique: `act_quant`, `act_quant_1`, ...) and returns the
fake-quantized input. In training the ranges follow the data:

  * LastValueQuantize stores the range of the current value (for weights);
  * MovingAvgQuantize keeps an exponential moving average of the range, zero-
    debiased (variables `<scope>/<scope>/min/biased` and `.../local_step`),
    so that after a few steps the range is that of the data, not of the
    initial value (for activations).

Every range includes 0, so that 0 is exactly representable. `symmetric`
centres the range on 0: [-m, m] with `narrow_range` (levels -127..127 for 8
bits), else [-m * 128/127, m] or [-m, m * 127/128] (levels -128..127). Out of
training (`is_training=False`) the ops read the stored ranges.
"""

import tensorflow.compat.v1 as tf
from tensorflow.python.training import moving_averages


def FixedQuantize(inputs, init_min=-6.0, init_max=6.0, scope=None):
  """Fake-quantizes to the fixed range [init_min, init_max]."""
  with tf.name_scope(scope, 'FixedQuantize', values=[inputs]):
    return tf.quantization.fake_quant_with_min_max_args(
        inputs, min=init_min, max=init_max)


def LastValueQuantize(inputs, per_channel=False, init_min=-6.0,
                      init_max=6.0, vars_collection=None,
                      name_prefix='LastValueQuant', reuse=None,
                      is_training=True, num_bits=8, narrow_range=False,
                      symmetric=False):
  """Fake-quantizes with the range of the value itself (last value).

  Args:
    inputs: the tensor to quantize.
    per_channel: one range per element of the last dimension.
    init_min, init_max: the range before the first training step.
    vars_collection: a collection for the range variables, besides
      GLOBAL_VARIABLES (None: only that one).
    name_prefix: the variable scope to create (made unique unless reuse).
    reuse: reuse existing range variables of that scope.
    is_training: store the current range (else read the stored one).
    num_bits: bits of the quantized values (2 to 16).
    narrow_range: leave out the lowest level (-127..127 for 8 bits).
    symmetric: centre the range on 0.

  Returns:
    The fake-quantized tensor.
  """
  return _quantize(inputs, per_channel, init_min, init_max, vars_collection,
                   name_prefix, reuse, is_training, num_bits, narrow_range,
                   symmetric, ema_decay=None)


def MovingAvgQuantize(inputs, per_channel=False, init_min=-6.0,
                      init_max=6.0, ema_decay=0.999,
                      vars_collection=tf.GraphKeys.MOVING_AVERAGE_VARIABLES,
                      name_prefix='MovingAvgQuantize', reuse=None,
                      is_training=True, num_bits=8, narrow_range=False,
                      symmetric=False):
  """Fake-quantizes with a zero-debiased moving average of the value's range.

  Arguments as LastValueQuantize's; ema_decay is the moving averages' decay.
  """
  return _quantize(inputs, per_channel, init_min, init_max, vars_collection,
                   name_prefix, reuse, is_training, num_bits, narrow_range,
                   symmetric, ema_decay=ema_decay)


def _range_variable(name, shape, initial_value, collections):
  return tf.get_variable(
      name, shape=shape, dtype=tf.float32,
      initializer=tf.constant_initializer(initial_value), trainable=False,
      collections=collections)


def _symmetric_ratio(num_bits, narrow_range):
  """min / max of a symmetric range: -1, or -(2^(b-1) - 1) / 2^(b-1)."""
  if narrow_range:
    return -1.0
  return -((1 << num_bits) - 2) / float(1 << num_bits)


def _quantize(inputs, per_channel, init_min, init_max, vars_collection,
              name_prefix, reuse, is_training, num_bits, narrow_range,
              symmetric, ema_decay):
  with tf.variable_scope(None, default_name=name_prefix, values=[inputs],
                         reuse=reuse) as scope:
    scope.set_partitioner(None)
    if per_channel:
      depth = inputs.shape.as_list()[-1]
      if depth is None:
        raise ValueError('per-channel quantization of %s needs a known last '
                         'dimension' % inputs.name)
      shape = [depth]
      axes = list(range(inputs.shape.ndims - 1))
    else:
      shape = []
      axes = None  # All of them, whatever the rank.
    collections = [tf.GraphKeys.GLOBAL_VARIABLES]
    if vars_collection and vars_collection not in collections:
      collections.append(vars_collection)
    min_var = _range_variable('min', shape, init_min, collections)
    max_var = _range_variable('max', shape, init_max, collections)
    if not is_training:
      return _fake_quant(inputs, min_var, max_var, per_channel, num_bits,
                         narrow_range)
    batch_min = tf.reduce_min(inputs, axis=axes, name='BatchMin')
    batch_max = tf.reduce_max(inputs, axis=axes, name='BatchMax')
    if symmetric:
      ratio = _symmetric_ratio(num_bits, narrow_range)
      range_min = tf.minimum(batch_min, batch_max / ratio)
      range_max = tf.maximum(batch_max, batch_min * ratio)
    else:
      range_min = tf.minimum(batch_min, 0.0)
      range_max = tf.maximum(batch_max, 0.0)
    if ema_decay is None:
      new_min = min_var.assign(range_min, name='AssignMinLast')
      new_max = max_var.assign(range_max, name='AssignMaxLast')
    else:
      new_min = moving_averages.assign_moving_average(
          min_var, range_min, ema_decay, zero_debias=True,
          name='AssignMinEma')
      new_max = moving_averages.assign_moving_average(
          max_var, range_max, ema_decay, zero_debias=True,
          name='AssignMaxEma')
    return _fake_quant(inputs, new_min, new_max, per_channel, num_bits,
                       narrow_range)


def _fake_quant(inputs, range_min, range_max, per_channel, num_bits,
                narrow_range):
  if per_channel:
    return tf.quantization.fake_quant_with_min_max_vars_per_channel(
        inputs, range_min, range_max, num_bits=num_bits,
        narrow_range=narrow_range)
  return tf.quantization.fake_quant_with_min_max_vars(
      inputs, range_min, range_max, num_bits=num_bits,
      narrow_range=narrow_range)
