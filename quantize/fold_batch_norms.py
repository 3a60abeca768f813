"""Folds batch norms into the weights and biases of the layers before them.

A layer (Conv2D, DepthwiseConv2dNative or MatMul reading a weight variable,
optionally with a bias) followed by a fused batch norm computes

    y = scale * (conv(x, w) + b - mean) + beta,   scale = gamma / sqrt(var + eps)
      = conv(x, w * scale) + (beta + scale * (b - mean)).

The rewrite builds the right-hand side next to the layer and reroutes the
batch norm's consumers to it, so the weights that get fake-quantized are the
weights an integer-only inference engine runs (Jacob et al. 2018, section
3.2).

Eval graphs (batch norm in inference mode) fold the moving mean and variance.

Training graphs (batch norm in training mode) keep the original layer to
compute the batch mean and variance of its output, fold the batch statistics
(`mul_fold`), and until `freeze_bn_delay` steps keep the output equal to the
unfolded batch norm, gradients included. From then on a correction
(`correction_mult`, sigma_batch / sigma_moving) turns the batch-statistics
weights into moving-average weights and the bias uses the moving mean, so
training sees the weights and biases inference will use. The original batch
norm op stays in the graph only to update the moving averages.
"""

import collections

from absl import logging
import tensorflow.compat.v1 as tf

from quantize import common
from quantize import graph_matcher

_BATCH_NORM_TYPES = '|'.join(common.BATCH_NORM_OP_TYPES)


class _Patterns(object):
  """layer [-> bias add] [-> reshape] -> fused batch norm."""

  def __init__(self):
    self.weights = graph_matcher.OpTypePattern(common.VARIABLE_READ_PATTERN)
    self.layer = graph_matcher.OpTypePattern(
        common.LAYER_PATTERN, inputs=['*', self.weights])
    self.bias = graph_matcher.OpTypePattern('*')
    self.bias_add = graph_matcher.OpTypePattern(
        'BiasAdd|Add|AddV2', inputs=[self.layer, self.bias])
    layer_output = graph_matcher.OneofPattern([self.layer, self.bias_add])
    # Fused batch norm wants 4-D inputs: a fully connected layer's output is
    # reshaped to [N, 1, 1, C] and back.
    self.reshape = graph_matcher.OpTypePattern(
        'Reshape', inputs=[layer_output, '*'])
    bn_input = graph_matcher.OneofPattern([layer_output, self.reshape])
    self.gamma = graph_matcher.OpTypePattern('*')
    self.beta = graph_matcher.OpTypePattern('*')
    self.mean = graph_matcher.OpTypePattern('*')
    self.variance = graph_matcher.OpTypePattern('*')
    self.batch_norm = graph_matcher.OpTypePattern(
        _BATCH_NORM_TYPES,
        inputs=[bn_input, self.gamma, self.beta, self.mean, self.variance])


# One batch norm to fold, as found in the graph.
_FoldableLayer = collections.namedtuple('_FoldableLayer', [
    'layer_op',        # Conv2D / DepthwiseConv2dNative / MatMul
    'weights',         # the layer's weight tensor (a variable read)
    'bias',            # rank-1 bias added before the batch norm, or None
    'layer_output',    # what the batch norm normalises (before any reshape)
    'batch_norm_op',
    'gamma', 'beta', 'mean', 'variance',
    'output',          # the tensor whose consumers get the folded output
])


def _find_foldable_layers(graph, scope):
  patterns = _Patterns()
  found = []
  for match in graph_matcher.GraphMatcher(patterns.batch_norm).match_graph(
      graph):
    bn_op = match.get_op(patterns.batch_norm)
    layer_op = match.get_op(patterns.layer)
    if scope and not layer_op.name.startswith(scope):
      continue
    if common.variable_of_read(match.get_op(patterns.weights)) is None:
      continue  # Not a weight variable: not a layer to fold.
    if bn_op.get_attr('data_format') != b'NHWC' or (
        layer_op.type != 'MatMul' and
        layer_op.get_attr('data_format') != b'NHWC'):
      logging.warning('Not folding %s: only NHWC is supported', bn_op.name)
      continue
    bias = None
    layer_output = layer_op.outputs[0]
    if patterns.bias_add in match:
      bias = match.get_tensor(patterns.bias)
      if bias.shape.ndims != 1:
        continue  # An addition, not a bias.
      layer_output = match.get_op(patterns.bias_add).outputs[0]
    if len(layer_output.consumers()) != 1:
      continue  # The pre-batch-norm value is used elsewhere; keep it.
    output = bn_op.outputs[0]
    if patterns.reshape in match:
      consumers = output.consumers()
      if len(consumers) == 1 and consumers[0].type == 'Reshape':
        output = consumers[0].outputs[0]
    found.append(_FoldableLayer(
        layer_op=layer_op,
        weights=match.get_tensor(patterns.weights),
        bias=bias,
        layer_output=layer_output,
        batch_norm_op=bn_op,
        gamma=match.get_tensor(patterns.gamma),
        beta=match.get_tensor(patterns.beta),
        mean=match.get_tensor(patterns.mean),
        variance=match.get_tensor(patterns.variance),
        output=output))
  return found


def _per_output_channel(vector, layer):
  """Reshapes a per-output-channel vector to broadcast over the weights."""
  op = layer.layer_op
  if op.type == 'DepthwiseConv2dNative':
    # Weights [h, w, in, multiplier]: output channel c = i * multiplier + m.
    in_channels, multiplier = layer.weights.shape.as_list()[2:]
    return tf.reshape(vector, [in_channels, multiplier])
  if op.type == 'MatMul' and op.get_attr('transpose_b'):
    return tf.reshape(vector, [-1, 1])  # Weights [out, in].
  return vector  # Conv2D [h, w, in, out], MatMul [in, out].


def _moving_statistics(layer):
  """Moving mean and variance of a training-mode batch norm, or (None, None).

  Keras-style batch norms pass them in as inputs (ignored in training);
  tf.nn.fused_batch_norm passes empty tensors, and then they are found
  through the moving-average updates that read the batch statistics.
  """
  if (layer.mean.shape.num_elements() and
      layer.variance.shape.num_elements()):
    return layer.mean, layer.variance
  found = []
  for output in layer.batch_norm_op.outputs[1:3]:
    moving = None
    for consumer in output.consumers():
      for tensor in consumer.inputs:
        if common.variable_of_read(tensor.op) is not None:
          moving = tensor
    found.append(moving)
  return tuple(found)


def _fold_layer(graph, layer, bn_frozen):
  """Builds the folded layer and reroutes the batch norm's consumers to it."""
  layer_op = layer.layer_op
  bn_op = layer.batch_norm_op
  context = common.op_context(layer_op)
  epsilon = bn_op.get_attr('epsilon')
  batch_stats = bn_op.get_attr('is_training')
  with common.absolute_name_scope(
      graph, common.join_scope(context, 'BatchNorm_Fold')):
    gamma, beta = layer.gamma, layer.beta
    if batch_stats:
      axes = list(range(layer.layer_output.shape.ndims - 1))
      batch_mean, batch_variance = tf.nn.moments(
          layer.layer_output, axes, name='batch_moments')
      batch_std = tf.sqrt(batch_variance + epsilon, name='batch_std')
      scale = tf.math.divide(gamma, batch_std, name='batch_scale')
      weight_scale = scale
      mean = batch_mean
      if bn_frozen is not None:
        moving_mean, moving_variance = _moving_statistics(layer)
        if moving_mean is None or moving_variance is None:
          raise ValueError('cannot freeze %s: its moving mean and variance '
                           'were not found' % bn_op.name)
        moving_rstd = tf.math.rsqrt(moving_variance + epsilon,
                                    name='moving_rstd')
        # sigma_batch / sigma_moving: batch-statistics weights times this
        # are the moving-average weights.
        correction = common.select(
            bn_frozen, batch_std * moving_rstd, tf.ones_like(batch_std),
            name='correction')
        scale = common.select(bn_frozen, gamma * moving_rstd, scale,
                              name='scale')
        mean = common.select(bn_frozen, moving_mean, batch_mean,
                             name='mean')
    else:
      scale = tf.math.multiply(gamma, tf.math.rsqrt(layer.variance + epsilon),
                               name='scale')
      weight_scale = scale
      mean = layer.mean
    shift = layer.bias - mean if layer.bias is not None else -mean
    bias = tf.math.add(beta, scale * shift, name='bias')
    weight_scale = _per_output_channel(weight_scale, layer)
    if batch_stats and bn_frozen is not None:
      correction = _per_output_channel(correction, layer)

  with common.absolute_name_scope(graph, context):
    weights = tf.math.multiply(layer.weights, weight_scale, name='mul_fold')
    if batch_stats and bn_frozen is not None:
      weights = tf.math.multiply(weights, correction, name='correction_mult')
    base_name = layer_op.name.rpartition('/')[2]
    folded_op = graph.create_op(
        layer_op.type, [layer_op.inputs[0], weights],
        [layer_op.outputs[0].dtype], name=base_name + '_Fold',
        attrs=dict(layer_op.node_def.attr))
    output = tf.math.add(folded_op.outputs[0], bias, name='add_fold')
    if output.shape.ndims != layer.output.shape.ndims:
      output = tf.reshape(output, tf.shape(layer.output), name='reshape_fold')

  consumers = list(layer.output.consumers())
  common.reroute(layer.output, output, consumers)
  return folded_op


def FoldBatchNorms(graph, is_training, freeze_batch_norm_delay=None,
                   scope=None):
  """Folds every fused batch norm that follows a layer, in place.

  Args:
    graph: the tf.Graph to rewrite.
    is_training: whether this is a training graph (batch norms in training
      mode); eval graphs must have their batch norms in inference mode.
    freeze_batch_norm_delay: training graphs only: the global step from
      which the folded weights and biases use the moving averages instead of
      the batch statistics; None never switches.
    scope: only fold layers whose op names start with this.

  Returns:
    The list of (original layer op, folded layer op). In training graphs the
    original layer still computes the batch statistics.

  Raises:
    ValueError: for a training-mode batch norm in an eval graph.

  The delay and the absence of gradient ops are checked by the caller
  (quantize_graph).
  """
  layers = _find_foldable_layers(graph, scope)
  for layer in layers:
    training_mode = layer.batch_norm_op.get_attr('is_training')
    if training_mode and not is_training:
      raise ValueError(
          'eval graph has batch norm %s in training mode; build the eval '
          'model with is_training=False' % layer.batch_norm_op.name)
  bn_frozen = None
  if is_training and freeze_batch_norm_delay is not None and any(
      layer.batch_norm_op.get_attr('is_training') for layer in layers):
    bn_frozen = common.step_reached(graph, freeze_batch_norm_delay,
                                    name='BatchNorm_Fold/freeze_bn')
  folded = []
  with graph.as_default():
    for layer in layers:
      folded.append((layer.layer_op, _fold_layer(graph, layer, bn_frozen)))
  logging.info('Folded %d batch norms', len(folded))
  return folded
