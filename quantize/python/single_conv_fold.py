"""Project extension: the training fold with one convolution per layer.

tf.contrib.quantize's training fold (fold_batch_norms) keeps the original
layer and batch norm to compute the batch statistics and runs a second,
folded layer next to them: two convolutions forwards per layer, and
per-channel corrections around the folded one. Here, as PyTorch's
quantization-aware Conv-BN modules do, the layer runs once, on the weights
inference uses, and its own fused batch norm normalizes the result:

    s = gamma / sigma_moving                       (BatchNorm_Fold/mul)
    y = conv(x, Q(w * s))                          (the layer, mul_fold)
    out = batch_norm(y / s [+ bias])               (div_fold, the model's
                                                    own batch norm)

Q (the weights' fake quantization, inserted later by quantize.Quantize on
`mul_fold`) sees exactly the weights of the eval graph's fold. Dividing by
s brings the output back to the scale of conv(x, w), so the batch norm,
in training mode, normalizes it with its batch statistics, updates its
moving averages from them and takes its gradient with TensorFlow's fused
kernel, as in float training. Without quantization the output is the
unfolded model's (up to rounding); with it, the batch statistics are those
of the quantized-weight convolution rather than the float one's (which is
what the layer computes at inference).

s gets no gradient while the batch norm's output is used: it cancels out of
the forward pass (exactly, without quantization), so gamma's gradient is the
batch norm's own; a gradient through both of its uses would add only the
weights' quantization error, for a sum over every activation per layer.

From `freeze_batch_norm_delay` on, the layer's output is eval's fold
(`add_fold`: y + beta - s * (mean_moving - bias)), so training computes
what inference computes, s gets its gradient through the weights and the
offset, and the moving averages stop (their update factor becomes 0). The
batch norm still runs forwards then (its output is not used).

The layer op itself is rewired (no clone), so the graph has no second
convolution; the layer's output, for the quantizer, is the Identity
`<layer op>_fold_output` (folded_output).
"""

import tensorflow.compat.v1 as tf

from quantize.python import common
from quantize.python import moving_statistics

_OUTPUT_SUFFIX = '_fold_output'


def folded_output(layer_op):
  """The output of a layer this fold rewrote (its Identity), or None."""
  try:
    return layer_op.graph.get_operation_by_name(
        layer_op.name + _OUTPUT_SUFFIX).outputs[0]
  except KeyError:
    return None


def fold(graph, match, freeze_delay):
  """Folds a fused training-mode batch norm (fold_batch_norms' match)."""
  layer_op = match.layer_op
  context = common.op_context(layer_op)
  fold_scope = common.join_scope(context, 'BatchNorm_Fold')
  if match.moving_variance is None or (
      freeze_delay is not None and match.moving_mean is None):
    raise ValueError('cannot fold %s: the moving averages of its batch '
                     'statistics were not found' % layer_op.name)
  frozen = None
  with common.absolute_name_scope(graph, fold_scope):
    moving_variance = moving_statistics.read_before_update(
        match.variance, match.moving_variance)
    # As the eval fold computes it, so that the weights are the same.
    rsqrt = tf.math.rsqrt(
        tf.math.add(moving_variance, match.epsilon, name='add'),
        name='Rsqrt')
    scale = tf.math.multiply(match.gamma, rsqrt, name='mul')
    fixed_scale = tf.stop_gradient(scale, name='fixed_scale')
    if freeze_delay is not None:
      step = common.CreateOrGetQuantizationStep()
      frozen = tf.math.greater_equal(
          step, tf.constant(freeze_delay, tf.int64),
          name='use_moving_average')
      moving_statistics.freeze_update(match.mean, frozen,
                                      'freeze_moving_mean')
      moving_statistics.freeze_update(match.variance, frozen,
                                      'freeze_moving_var')
      weight_scale = common.choose(frozen, scale, fixed_scale,
                                   name='weight_scale')
    else:
      weight_scale = fixed_scale
    weight_scale = common.per_output_channel(weight_scale, layer_op,
                                             'scale_reshape')
    inverse_scale = tf.math.divide_no_nan(tf.ones_like(fixed_scale),
                                          fixed_scale, name='inverse_scale')

  with common.absolute_name_scope(graph, context):
    weights = tf.math.multiply(layer_op.inputs[1], weight_scale,
                               name='mul_fold')
  layer_op._update_input(1, weights)  # pylint: disable=protected-access

  # The layer's output (after an atrous BatchToSpaceND), before any bias.
  output = (match.batch_to_space or layer_op).outputs[0]
  readers = common.unique_consumers(output)
  with common.absolute_name_scope(graph, context):
    unscaled = tf.math.multiply(output, inverse_scale, name='div_fold')
  common.RerouteTensor(unscaled, output, can_modify=readers)

  result = match.output
  readers = common.unique_consumers(result)
  if frozen is not None:
    with common.absolute_name_scope(graph, fold_scope):
      offset = _moving_offset(match, scale)
    with common.absolute_name_scope(graph, context):
      result = tf.cond(frozen,
                       lambda: _eval_fold(output, offset, match.output),
                       lambda: match.output, name='freeze_fold')
  with common.absolute_name_scope(graph, context):
    result = tf.identity(
        result, name=layer_op.name.rpartition('/')[2] + _OUTPUT_SUFFIX)
  if result.op.name != layer_op.name + _OUTPUT_SUFFIX:
    raise ValueError('cannot fold %s: the name %s is taken' %
                     (layer_op.name, layer_op.name + _OUTPUT_SUFFIX))
  common.RerouteTensor(result, match.output, can_modify=readers)


def _moving_offset(match, scale):
  """beta - (mean_moving - bias) * s, as the eval fold computes it."""
  mean = moving_statistics.read_before_update(match.mean, match.moving_mean)
  if match.bias is not None:
    mean = mean - match.bias
  return tf.math.subtract(match.beta,
                          tf.math.multiply(mean, scale, name='mul_1'),
                          name='bias')


def _eval_fold(output, offset, like):
  """The eval fold's output: the layer's plus the offset."""
  result = tf.raw_ops.Add(x=output, y=offset, name='add_fold')
  if result.shape.ndims != like.shape.ndims:
    result = tf.reshape(result, tf.shape(like), name='reshape_fold')
  return result
