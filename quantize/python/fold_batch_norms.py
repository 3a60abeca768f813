"""Folds batch norms into the weights and biases of the layers before them.

A layer (Conv2D, DepthwiseConv2dNative or MatMul; optionally atrous, with
SpaceToBatchND / BatchToSpaceND around it, or with an Identity or a bias
before the batch norm) followed by a batch norm (fused, or tf-slim's unfused
one) computes

    y = gamma * (conv(x, w) - mean) / sigma + beta
      = conv(x, w * gamma / sigma) + (beta - gamma * mean / sigma).

The fold builds the right-hand side next to the layer (`mul_fold`,
`<layer>_Fold`, `add_fold`) and reroutes the batch norm's consumers to it,
so that the weights the quantizer sees are those an integer-only engine runs
(Jacob et al. 2018, section 3.2).

Eval graphs fold the moving mean and variance. Training graphs use
tf.contrib.quantize's scheme: the folded weights are scaled by the *moving*
sigma (`correction_mult`: w * sigma_batch / sigma_moving, then `mul_fold`:
times gamma / sigma_batch), so the weights quantized in training are the
ones inference uses; until `freeze_batch_norm_delay` steps the convolution's
output is brought back to the batch statistics (`post_conv_mul`: times
sigma_moving / sigma_batch) and the output equals the unfolded batch norm's.
From then on `post_conv_mul` is 1, `correction_add` moves the bias to the
moving mean, and the moving averages stop (their update factor becomes 0).
The batch mean and variance are the batch norm's own outputs (the fused op's,
with Bessel's correction undone); the original layer and batch norm stay in
the graph to compute them and to update the moving averages.

Gradients flow through the batch statistics into the original layer, as in
tf.contrib.quantize: before the freeze a training step computes the exact
gradient of the unfolded model (the fused batch norm's mean and variance get
the gradient FoldFusedBatchNormGrad below, which TensorFlow does not define).
That runs the layer's convolution backwards twice.

Project extension (folded_batch_norm_gradient=True, fused batch norms): the
batch statistics get no gradient, so the original layer runs forwards only,
and the folded layer's output gets the batch norm's gradient instead
(`batch_norm_gradient`, FoldedBatchNormGrad below): the batch-norm gradient
formula on the folded output, which before quantization is a fixed
per-channel multiple of the original output. Before quantization starts the
gradients are the exact ones again; with quantized weights they differ from
contrib's by the weights' quantization error (both are straight-through
estimates). Without any gradient for the statistics the weights would grow
without bound (docs/PERFORMANCE.md).
"""

import collections

from absl import logging
import tensorflow.compat.v1 as tf
from tensorflow.core.framework import attr_value_pb2

from quantize.python import common
from quantize.python import moving_statistics
from quantize.python import single_conv_fold as single_conv_fold_lib

_BATCH_STATISTICS_GRADIENT = 'FoldFusedBatchNormGrad'
_FOLDED_GRADIENT = 'FoldedBatchNormGrad'
# Added to the folded output's variance: finite gradients for gamma = 0.
_TINY_VARIANCE = 1e-30
_BIAS_OP_TYPES = ('BiasAdd',) + common.ADD_OP_TYPES


# One batch norm to fold, as found in the graph.
_Match = collections.namedtuple('_Match', [
    'layer_op',         # Conv2D / DepthwiseConv2dNative / MatMul
    'bias',             # a rank-1 bias added before the batch norm, or None
    'batch_to_space',   # the BatchToSpaceND of an atrous layer, or None
    'fused_op',         # the fused batch norm op; None for an unfused one
    'training',         # batch statistics (training mode)
    'gamma',            # scale, or None for 1
    'beta',             # offset, or None for 0
    'epsilon',          # a float or a tensor
    'mean',             # batch mean (training) or moving mean (inference)
    'variance',         # batch variance (Bessel-corrected for fused ops)
    'moving_mean',      # training: the moving mean variable op, or None
    'moving_variance',  # training: the moving variance variable op, or None
    'unfused_scale',    # unfused: the batch norm's gamma / sigma tensor
    'unfused_offset',   # unfused: its beta - mean * gamma / sigma tensor
    'output',           # the tensor whose consumers get the folded output
])


def FoldBatchNorms(graph, is_training, freeze_batch_norm_delay=None, *,
                   folded_batch_norm_gradient=False, single_conv_fold=False):
  """Folds every batch norm that follows a layer, in place.

  Args:
    graph: the tf.Graph to rewrite.
    is_training: a training graph (batch norms with batch statistics get the
      training fold); an eval graph must have none.
    freeze_batch_norm_delay: training graphs: the quantization step
      (common.CreateOrGetQuantizationStep) from which the folded layers use
      the moving averages and stop updating them; None never.
    folded_batch_norm_gradient: project extension: the fused batch norms'
      gradient is taken on the folded layer, and the original layer runs
      forwards only (see the module docstring).
    single_conv_fold: project extension: fused batch norms in training mode
      get single_conv_fold.py's fold (one convolution per layer) instead.

  Raises:
    ValueError: a batch norm in training mode in an eval graph.
  """
  matches = _find_matches(graph)
  for match in matches:
    if match.training and not is_training:
      raise ValueError(
          'eval graph has batch norm %s in training mode; build the eval '
          'model with is_training=False' %
          (match.fused_op or match.output.op).name)
  with common.root_scopes(graph):
    for match in matches:
      if single_conv_fold and match.training and match.fused_op is not None:
        single_conv_fold_lib.fold(graph, match, freeze_batch_norm_delay)
        continue
      _fold(graph, match, freeze_batch_norm_delay,
            folded_batch_norm_gradient and match.fused_op is not None)
  if matches:
    logging.info('Folded %d batch norms', len(matches))


def _FoldFusedBatchNormGrad(op, unused_grad_y, grad_mean, grad_var,
                            *unused_grads):
  """The gradient of a fused batch norm's batch mean and variance.

  x's gradient through mean = sum(x) / n and the Bessel-corrected
  variance = sum((x - mean)^2) / (n - 1), written as x * a + b with
  per-channel a and b (two passes over x); nothing for gamma, beta and the
  moving statistics (the fold reads gamma and beta directly).
  """
  x, mean = op.inputs[0], op.outputs[1]
  n = _per_channel_count(x, mean)
  if grad_mean is None:
    grad_mean = tf.zeros_like(mean)
  if grad_var is None:
    grad_var = tf.zeros_like(mean)
  a = grad_var * (2.0 / (n - 1.0))
  b = grad_mean / n - mean * a
  return [x * a + b] + [None] * (len(op.inputs) - 1)


try:
  tf.RegisterGradient(_BATCH_STATISTICS_GRADIENT)(_FoldFusedBatchNormGrad)
except KeyError:
  pass  # Registered by an earlier import of this file under another name.


def _FoldedBatchNormGrad(op, grad, *unused_grads):
  """The batch norm's gradient, on the folded layer's output.

  op is an IdentityN of (z, gamma, scale, mean, variance, moving_rstd,
  active, epsilon): z the folded layer's output, which before quantization
  is scale (gamma / sigma_moving) times the original output; mean and
  variance the original output's batch statistics (variance without
  Bessel's correction); moving_rstd 1 / sigma_moving; active 1 until the
  freeze, else 0. Until the freeze z's gradient loses its components along
  the batch mean and the normalized output, as a batch norm's input
  gradient does (TensorFlow's fused kernel computes it, given z's
  statistics: scale * mean and scale^2 * (variance + epsilon)), and gamma
  gets what that takes from its gradient through the folded weights.
  """
  z, gamma, scale, mean, variance, moving_rstd, active, epsilon = op.inputs

  def projected():
    # With this variance and scale the fused kernel's factor
    # scale * rsqrt(variance + 0) is 1. _TINY_VARIANCE keeps it finite
    # for a channel whose gamma is 0 (whose z is 0).
    z_variance = tf.square(scale) * (variance + epsilon) + _TINY_VARIANCE
    rank = z.shape.ndims
    as_image = (lambda t: tf.reshape(t, [-1, 1, 1, t.shape[-1]])) if (
        rank == 2) else (lambda t: t)
    grad_z, sum_grad_normalized, sum_grad, _, _ = (
        tf.raw_ops.FusedBatchNormGradV3(
            y_backprop=as_image(grad), x=as_image(z),
            scale=tf.sqrt(z_variance), reserve_space_1=scale * mean,
            reserve_space_2=z_variance,
            reserve_space_3=tf.zeros([0], tf.float32), epsilon=0.0,
            is_training=True))
    if rank == 2:
      grad_z = tf.reshape(grad_z, tf.shape(grad))
    # gamma's gradient through the weights lost sum((grad - grad_z) * z) /
    # gamma = sum(grad) * mean / sigma_moving + sum(grad * z_normalized) *
    # sign(gamma) * variance / (sigma_moving * sigma).
    grad_gamma = moving_rstd * (
        sum_grad * mean + sum_grad_normalized * tf.sign(gamma) * variance *
        tf.math.rsqrt(variance + epsilon))
    return grad_z, grad_gamma

  if tf.get_static_value(active) == 1.0:  # No freeze.
    return list(projected()) + [None] * 6
  return list(tf.cond(active > 0.5, projected,
                      lambda: (grad, tf.zeros_like(gamma)))) + [None] * 6


try:
  tf.RegisterGradient(_FOLDED_GRADIENT)(_FoldedBatchNormGrad)
except KeyError:
  pass  # Registered by an earlier import of this file under another name.


def _per_channel_count(x, per_channel):
  """How many values of `x` each channel's statistic summarises (float)."""
  if x.shape.is_fully_defined() and per_channel.shape.is_fully_defined():
    return float(x.shape.num_elements() // per_channel.shape.num_elements())
  return tf.cast(tf.size(x) // tf.size(per_channel), tf.float32)


# ---------------------------------------------------------------------------
# Finding the batch norms.


def _sole_consumer(tensor):
  consumers = common.unique_consumers(tensor)
  return consumers[0] if len(consumers) == 1 else None


def _layer_before(tensor, is_batch_norm_op):
  """Walks from a batch norm's input up to its layer.

  Returns (layer_op, bias, batch_to_space, reshaped) or None. Nothing but
  the next op on the way and the batch norm's own ops
  (`is_batch_norm_op(op)`) may read the tensors on the way: the fold
  replaces them.
  """
  def only_read_by(tensor, next_op):
    return all(c is next_op or is_batch_norm_op(c)
               for c in tensor.consumers())

  bias = batch_to_space = None
  reshaped = False
  op = tensor.op
  if not only_read_by(tensor, None):
    return None
  while op.type not in common.LAYER_OP_TYPES:
    if op.type == 'Identity':
      pass
    elif op.type == 'Reshape' and not reshaped:
      reshaped = True
    elif op.type == 'BatchToSpaceND' and batch_to_space is None:
      batch_to_space = op
    elif op.type in _BIAS_OP_TYPES and bias is None:
      if op.inputs[1].shape.ndims != 1:
        return None
      bias = op.inputs[1]
    else:
      return None
    if not only_read_by(op.inputs[0], op):
      return None
    op = op.inputs[0].op
  if op.type != 'MatMul' and op.get_attr('data_format') != b'NHWC':
    logging.warning('Not folding the batch norm after %s: only NHWC layers '
                    'fold', op.name)
    return None
  if op.type == 'MatMul' and op.get_attr('transpose_a'):
    return None
  return op, bias, batch_to_space, reshaped


def _find_matches(graph):
  matches = []
  for op in graph.get_operations():
    if op.type in common.FUSED_BATCH_NORM_OP_TYPES:
      match = _match_fused(op)
    elif op.type in common.ADD_OP_TYPES:
      match = _match_unfused(op)
    else:
      continue
    if match is not None:
      matches.append(match)
  return matches


def _match_fused(bn_op):
  output = bn_op.outputs[0]
  if bn_op.get_attr('data_format') != b'NHWC':
    logging.warning('Not folding %s: only NHWC batch norms fold', bn_op.name)
    return None
  found = _layer_before(bn_op.inputs[0], lambda op: op is bn_op)
  if found is None:
    return None
  layer_op, bias, batch_to_space, reshaped = found
  if reshaped:
    # A fully connected layer's [N, C] reshaped to [N, 1, 1, C] and back.
    consumer = _sole_consumer(output)
    if consumer is not None and consumer.type == 'Reshape':
      output = consumer.outputs[0]
  if not output.consumers():
    return None  # Already folded (or unused).
  training = bn_op.get_attr('is_training')
  moving_mean = moving_variance = None
  if training:
    mean, variance = bn_op.outputs[1], bn_op.outputs[2]
    moving_mean = moving_statistics.variable_of(mean)
    moving_variance = moving_statistics.variable_of(variance)
  else:
    mean, variance = bn_op.inputs[3], bn_op.inputs[4]
  return _Match(
      layer_op=layer_op, bias=bias, batch_to_space=batch_to_space,
      fused_op=bn_op, training=training, gamma=bn_op.inputs[1],
      beta=bn_op.inputs[2], epsilon=bn_op.get_attr('epsilon'), mean=mean,
      variance=variance, moving_mean=moving_mean,
      moving_variance=moving_variance, unfused_scale=None,
      unfused_offset=None, output=output)


def _other_input(op, tensor):
  others = [t for t in op.inputs if t is not tensor]
  return others[0] if len(others) == 1 else None


def _match_unfused(add_op):
  """tf-slim's unfused batch norm, ending in add_op = x * scale + offset.

  scale = rsqrt(variance + epsilon) [* gamma], offset = beta - mean * scale
  (or -mean * scale without beta).
  """
  if not add_op.outputs[0].consumers():
    return None
  for scaled, offset in (add_op.inputs, reversed(add_op.inputs)):
    if scaled.op.type != 'Mul':
      continue
    if offset.op.type == 'Sub':
      beta, mean_scaled = offset.op.inputs
    elif offset.op.type == 'Neg':
      beta, mean_scaled = None, offset.op.inputs[0]
    else:
      continue
    if mean_scaled.op.type != 'Mul':
      continue
    shared = [t for t in scaled.op.inputs
              if any(t is u for u in mean_scaled.op.inputs)]
    if len(shared) != 1:
      continue
    scale = shared[0]
    x = _other_input(scaled.op, scale)
    mean = _other_input(mean_scaled.op, scale)
    parsed = _parse_unfused_scale(scale)
    if x is None or mean is None or parsed is None:
      continue
    gamma, variance, epsilon = parsed
    found = _layer_before(x, _unfused_batch_norm_ops(add_op, scaled.op))
    if found is None:
      continue
    layer_op, bias, batch_to_space, _ = found
    training = common.variable_read(variance) is None
    return _Match(
        layer_op=layer_op, bias=bias, batch_to_space=batch_to_space,
        fused_op=None, training=training, gamma=gamma, beta=beta,
        epsilon=epsilon, mean=mean, variance=variance,
        moving_mean=(moving_statistics.variable_of(mean) if training
                     else None),
        moving_variance=(moving_statistics.variable_of(variance) if training
                         else None),
        unfused_scale=scale, unfused_offset=offset,
        output=add_op.outputs[0])
  return None


def _unfused_batch_norm_ops(add_op, scaled_op):
  """Recognises the ops of the unfused batch norm ending in add_op.

  tf.nn.batch_normalization's ops are in <scope>/batchnorm, the moments and
  moving-average updates of tf-slim's batch norm in <scope>.
  """
  scope = common.parent_scope(common.op_context(add_op))
  if scope:
    return lambda op: op is scaled_op or op.name.startswith(scope + '/')
  return lambda op: op is scaled_op or op.name.startswith(
      ('moments', 'batchnorm'))


def _parse_unfused_scale(scale):
  """(gamma or None, variance, epsilon) of rsqrt(variance + eps) [* gamma]."""
  gamma = None
  rsqrt = scale.op
  if rsqrt.type == 'Mul':
    for candidate in rsqrt.inputs:
      if candidate.op.type == 'Rsqrt':
        gamma = _other_input(rsqrt, candidate)
        rsqrt = candidate.op
        break
    else:
      return None
  if rsqrt.type != 'Rsqrt':
    return None
  add = rsqrt.inputs[0].op
  if add.type not in common.ADD_OP_TYPES:
    return None
  variance, epsilon = add.inputs
  if variance.op.type == 'Const':
    variance, epsilon = epsilon, variance
  return gamma, variance, epsilon


# ---------------------------------------------------------------------------
# Building the fold.


def _clone(graph, op, inputs, name):
  return graph.create_op(op.type, inputs, [t.dtype for t in op.outputs],
                         name=name, attrs=dict(op.node_def.attr))


def _fold(graph, match, freeze_delay, folded_gradient):
  context = common.op_context(match.layer_op)
  if match.fused_op is not None:
    fold_scope = common.join_scope(context, 'BatchNorm_Fold')
    reshape_scope = fold_scope
  else:
    fold_scope = None
    reshape_scope = context
  correction_scope = common.join_scope(fold_scope or context,
                                       'batch_norm_correction')

  folded_gradient = folded_gradient and match.training
  if match.fused_op is not None:
    scale, offset, batch = _fused_scale_and_offset(graph, match, fold_scope,
                                                   folded_gradient)
  else:
    scale, offset = match.unfused_scale, match.unfused_offset
    batch = (match.mean, match.variance)
    if match.bias is not None:
      with common.absolute_name_scope(graph, context):
        offset = tf.math.add(offset, scale * match.bias, name='bias_fold')

  correction = None
  if match.training:
    correction = _correction(graph, match, correction_scope, batch,
                             freeze_delay, folded_gradient)
  with common.absolute_name_scope(graph, reshape_scope):
    weight_scale = common.per_output_channel(scale, match.layer_op,
                                             'scale_reshape')
    if correction is not None:
      correction_scale = common.per_output_channel(
          correction.scale, match.layer_op, 'correction_reshape')

  layer_op = match.layer_op
  with common.absolute_name_scope(graph, context):
    weights = layer_op.inputs[1]
    if correction is not None:
      weights = tf.math.multiply(correction_scale, weights,
                                 name='correction_mult')
      weights = tf.math.multiply(weights, weight_scale, name='mul_fold')
    else:
      weights = tf.math.multiply(weights, weight_scale, name='mul_fold')
    base_name = layer_op.name.rpartition('/')[2]
    output = _clone(graph, layer_op, [layer_op.inputs[0], weights],
                    base_name + '_Fold').outputs[0]
  if match.batch_to_space is not None:
    to_space = match.batch_to_space
    scope = context if match.fused_op is not None else common.op_context(
        to_space)
    with common.absolute_name_scope(graph, scope):
      output = _clone(graph, to_space, [output] + list(to_space.inputs[1:]),
                      to_space.name.rpartition('/')[2] + '_Fold').outputs[0]
  with common.absolute_name_scope(graph, context):
    if folded_gradient:
      output = _with_folded_gradient(output, match, scale, correction, batch)
    if correction is not None:
      output = tf.math.multiply(correction.recip, output,
                                name='post_conv_mul')
      output = tf.raw_ops.Add(x=output, y=correction.offset,
                              name='correction_add')
    output = tf.raw_ops.Add(x=output, y=offset, name='add_fold')
    if output.shape.ndims != match.output.shape.ndims:
      output = tf.reshape(output, tf.shape(match.output),
                          name='reshape_fold')
  common.RerouteTensor(output, match.output)


def _with_folded_gradient(output, match, scale, correction, batch):
  """output, with the batch norm's gradient (FoldedBatchNormGrad)."""
  active = tf.constant(1.0) if correction.frozen is None else (
      1.0 - tf.cast(correction.frozen, tf.float32))
  mean, variance = batch
  if match.bias is not None:
    mean = mean - match.bias
  forwarded = tf.raw_ops.IdentityN(
      input=[output, match.gamma,
             # gamma / sigma_moving: the folded weights' scale.
             tf.stop_gradient(scale * correction.scale), mean, variance,
             correction.moving_rstd, active,
             tf.constant(match.epsilon, tf.float32)],
      name='batch_norm_gradient')
  forwarded[0].op._set_attr(  # pylint: disable=protected-access
      '_gradient_op_type',
      attr_value_pb2.AttrValue(s=_FOLDED_GRADIENT.encode()))
  return forwarded[0]


def _fused_scale_and_offset(graph, match, fold_scope, folded_gradient):
  """gamma / sigma and beta - gamma * mean / sigma of a fused batch norm.

  Training: of the batch statistics, with the variance's Bessel correction
  undone. Returns (scale, offset, (batch mean, batch variance) or None).
  """
  mean, variance = match.mean, match.variance
  batch = None
  if match.training:
    bn_op = match.fused_op
    if folded_gradient:
      mean = tf.stop_gradient(mean)
      variance = tf.stop_gradient(variance)
    else:
      _set_batch_statistics_gradient(bn_op)
    with common.absolute_name_scope(graph, common.op_context(bn_op)):
      n = _per_channel_count(bn_op.inputs[0], variance)
      variance = tf.math.multiply(variance, (n - 1.0) / n,
                                  name='Undo_Bessel_Correction')
    batch = (mean, variance)
  if match.bias is not None:
    mean = mean - match.bias
    if folded_gradient:
      # The batch statistics have no gradient: then neither has the bias
      # they contain (it cancels out until the freeze).
      mean = tf.stop_gradient(mean)
  with common.absolute_name_scope(graph, fold_scope):
    rsqrt = tf.math.rsqrt(tf.math.add(variance, match.epsilon, name='add'),
                          name='Rsqrt')
    scale = tf.math.multiply(match.gamma, rsqrt, name='mul')
    offset = tf.math.subtract(match.beta,
                              tf.math.multiply(mean, scale, name='mul_1'),
                              name='bias')
  return scale, offset, batch


def _set_batch_statistics_gradient(bn_op):
  # pylint: disable=protected-access
  bn_op._set_attr('_gradient_op_type', attr_value_pb2.AttrValue(
      s=_BATCH_STATISTICS_GRADIENT.encode()))


_Correction = collections.namedtuple('_Correction', [
    'scale',        # sigma_batch / sigma_moving, for the weights
    'recip',        # its inverse until the freeze, then 1, for the output
    'offset',       # 0 until the freeze, then the bias's move to the moving
                    # mean, for the output
    'moving_rstd',  # 1 / sigma_moving
    'frozen',       # the scalar bool of the freeze, or None
])


def _correction(graph, match, scope, batch, freeze_delay, folded_gradient):
  """The correction from batch to moving statistics.

  scale = sigma_batch / sigma_moving (applied to the weights), recip = its
  inverse until the freeze, then 1 (applied to the output), offset = 0
  until the freeze, then gamma * (mean_batch / sigma_batch -
  mean_moving / sigma_moving) (added to the output).
  """
  batch_mean, batch_variance = batch
  if match.moving_mean is None or match.moving_variance is None:
    raise ValueError('cannot fold %s: the moving averages of its batch '
                     'statistics were not found' % match.layer_op.name)
  with common.absolute_name_scope(graph, scope):
    moving_mean = moving_statistics.read_before_update(match.mean,
                                                       match.moving_mean)
    moving_variance = moving_statistics.read_before_update(
        match.variance, match.moving_variance)
    if match.bias is not None:
      batch_mean = batch_mean - match.bias
      if folded_gradient:
        batch_mean = tf.stop_gradient(batch_mean)
      moving_mean = moving_mean - match.bias
    moving_rstd = tf.math.rsqrt(
        tf.math.add(moving_variance, match.epsilon, name='add'),
        name='Rsqrt')
    batch_rstd = tf.math.rsqrt(
        tf.math.add(batch_variance, match.epsilon, name='add_1'),
        name='Rsqrt_1')
    scale = tf.identity(tf.math.divide(moving_rstd, batch_rstd,
                                       name='scale_compute'),
                        name='correction_scale')
    recip = tf.math.reciprocal(scale, name='reciprocal_compute')
    gamma = match.gamma if match.gamma is not None else tf.ones_like(
        moving_rstd, name='ones')
    offset = tf.math.multiply(
        gamma, tf.math.subtract(
            tf.math.multiply(batch_mean, batch_rstd, name='mul'),
            tf.math.multiply(moving_mean, moving_rstd, name='mul_1'),
            name='sub'),
        name='offset_compute')
    # A constant when the channel count is known, so that Grappler drops the
    # addition of zeros until the freeze.
    channels = offset.shape.as_list()[-1] if offset.shape.ndims else None
    zeros = (tf.zeros([channels], offset.dtype, name='zeros') if channels
             else tf.zeros_like(offset, name='zeros'))
    if freeze_delay is None:
      return _Correction(scale=scale, recip=recip, offset=zeros,
                         moving_rstd=moving_rstd, frozen=None)
    step = common.CreateOrGetQuantizationStep()
    frozen = tf.math.greater_equal(
        step, tf.constant(freeze_delay, tf.int64), name='use_moving_average')
    moving_statistics.freeze_update(match.mean, frozen,
                                    'freeze_moving_mean')
    moving_statistics.freeze_update(match.variance, frozen,
                                    'freeze_moving_var')
    recip = common.choose(frozen, tf.ones_like(recip), recip,
                          name='correction_recip')
    offset = common.choose(frozen, offset, zeros, name='correction_offset')
  return _Correction(scale=scale, recip=recip, offset=offset,
                     moving_rstd=moving_rstd, frozen=frozen)
