"""Inserts fake-quant ops at a layer's weights and outputs.

Every layer (Conv2D, DepthwiseConv2dNative or MatMul reading a weight
variable, directly or through the batch-norm fold) gets

  * `<layer>/weights_quant`: symmetric, narrow-range, last-value range on the
    weights the layer multiplies by (after folding);
  * `<layer>/act_quant`: moving-average range on the layer's output, taken
    after the bias add, a residual addition and the activation (Relu, Relu6
    or Identity), whichever come last; that is the tensor an integer engine
    stores;
  * `<layer>/conv_quant`: when a residual addition comes before the
    activation, on the layer's own output entering the addition;

and additions of two quantized tensors that no layer claims get
`<scope>/add_quant`. `<layer>` is the variable scope of the layer's weights
(MobilenetV1/Conv2d_0), so the range variables have the names of the
published _quant checkpoints; the ops themselves sit next to the layer's ops.

In training graphs the quantizers learn their ranges every step and quantize
from `quant_delay` steps on (the tensors pass through unchanged before);
eval graphs read the learned ranges.
"""

import collections

from absl import logging
import tensorflow.compat.v1 as tf

from quantize import common
from quantize import graph_matcher
from quantize import quant_ops

_ADD_TYPES = ('Add', 'AddV2')
_BIAS_ADD_TYPES = ('BiasAdd',) + _ADD_TYPES


class _Patterns(object):
  """A layer whose weights are a variable, possibly folded (x scale x corr)."""

  def __init__(self):
    self.variable_read = graph_matcher.OpTypePattern(
        common.VARIABLE_READ_PATTERN)
    folded = graph_matcher.OpTypePattern(
        'Mul', inputs=[self.variable_read, '*'])
    corrected = graph_matcher.OpTypePattern('Mul', inputs=[folded, '*'])
    weights = graph_matcher.OneofPattern([self.variable_read, folded,
                                          corrected])
    self.layer = graph_matcher.OpTypePattern(common.LAYER_PATTERN,
                                             inputs=['*', weights])


# A layer to quantize and the tensors around it.
_Layer = collections.namedtuple('_Layer', [
    'layer_op',
    'var_scope',       # variable scope of the weights: names the quantizers
    'op_scope',        # name scope of the layer's ops
    'pre_bypass',      # layer output entering a residual addition, or None
    'bypass',          # that residual addition (covered by act_quant), or None
    'output',          # the layer's final output
])


def _sole_consumer(tensor, op_types):
  consumers = tensor.consumers()
  if len(consumers) == 1 and consumers[0].type in op_types:
    return consumers[0]
  return None


def _other_input(op, tensor):
  others = [t for t in op.inputs if t is not tensor]
  return others[0] if len(others) == 1 else None


def _feeds_batch_norm(tensor):
  """Whether the tensor (possibly through a reshape) feeds a batch norm."""
  for consumer in tensor.consumers():
    if consumer.type in common.BATCH_NORM_OP_TYPES:
      return True
    if consumer.type in ('Reshape', 'BiasAdd') + _ADD_TYPES and any(
        c.type in common.BATCH_NORM_OP_TYPES
        for c in consumer.outputs[0].consumers()):
      return True
  return False


def _layer_outputs(layer_op):
  """Follows the layer through bias add, residual add and activation."""
  output = layer_op.outputs[0]
  bias_add = _sole_consumer(output, _BIAS_ADD_TYPES)
  if bias_add is not None:
    other = _other_input(bias_add, output)
    if other is not None and other.shape.ndims == 1:
      output = bias_add.outputs[0]
  pre_bypass = bypass = None
  add = _sole_consumer(output, _ADD_TYPES)
  if add is not None:
    other = _other_input(add, output)
    if other is not None and other.shape.ndims == output.shape.ndims:
      pre_bypass, bypass = output, add
      output = add.outputs[0]
  activation = _sole_consumer(output, common.ACTIVATION_OP_TYPES)
  if activation is not None:
    output = activation.outputs[0]
  elif pre_bypass is not None:
    # A residual addition with no activation after it: its output is
    # quantized as an addition; the layer's own output as the layer's.
    output, pre_bypass, bypass = pre_bypass, None, None
  return pre_bypass, bypass, output


def _find_layers(graph, scope, skip_ops):
  patterns = _Patterns()
  layers = []
  for match in graph_matcher.GraphMatcher(patterns.layer).match_graph(graph):
    layer_op = match.get_op(patterns.layer)
    if scope and not layer_op.name.startswith(scope):
      continue
    if layer_op in skip_ops:
      continue
    variable_op = common.variable_of_read(match.get_op(patterns.variable_read))
    if variable_op is None:
      continue
    if _feeds_batch_norm(layer_op.outputs[0]):
      # The batch-statistics copy of a folded training layer, or a batch
      # norm the fold did not handle (quantizing before it would not model
      # inference).
      logging.warning('Not quantizing %s: it feeds a batch norm',
                      layer_op.name)
      continue
    pre_bypass, bypass, output = _layer_outputs(layer_op)
    layers.append(_Layer(layer_op=layer_op,
                         var_scope=common.variable_scope_of(variable_op),
                         op_scope=common.op_context(layer_op),
                         pre_bypass=pre_bypass,
                         bypass=bypass,
                         output=output))
  return layers


def _is_quantized(tensor, quantized):
  return tensor.name in quantized or any(
      c.type in common.FAKE_QUANT_OP_TYPES for c in tensor.consumers())


class _Inserter(object):
  """Inserts quantizers and remembers what it quantized."""

  def __init__(self, graph, is_training, weight_bits, activation_bits,
               ema_decay, quant_enabled, vars_collection):
    self._graph = graph
    self._is_training = is_training
    self._weight_bits = weight_bits
    self._activation_bits = activation_bits
    self._ema_decay = ema_decay
    self._quant_enabled = quant_enabled
    self._vars_collection = vars_collection
    self.quantized = set()  # Names of quantized outputs (fake-quant results).
    self.names = []  # Variable scopes of the quantizers inserted.

  def _finish(self, tensor, quantized, consumers, op_scope, var_scope):
    if self._quant_enabled is not None:
      with common.absolute_name_scope(self._graph, op_scope):
        quantized = common.switch(self._quant_enabled, quantized, tensor,
                                  name='delayed_quant')
    common.reroute(tensor, quantized, consumers)
    self.quantized.add(quantized.name)
    self.names.append(var_scope)
    return quantized

  def weights(self, layer_op, var_scope, op_scope):
    tensor = layer_op.inputs[1]
    var_scope = common.join_scope(var_scope, 'weights_quant')
    op_scope = common.join_scope(op_scope, 'weights_quant')
    quantized = quant_ops.last_value_quantize(
        tensor, var_scope, op_scope, is_training=self._is_training,
        num_bits=self._weight_bits, narrow_range=True, symmetric=True,
        vars_collection=self._vars_collection)
    return self._finish(tensor, quantized, [layer_op], op_scope, var_scope)

  def activations(self, tensor, var_scope, op_scope, name):
    if _is_quantized(tensor, self.quantized):
      return None
    consumers = list(tensor.consumers())
    if not consumers:
      # Nothing reads it (a graph output): the quantizer would be dead, and
      # the converter would leave this tensor in float.
      logging.warning('%s has no consumers; its %s learns a range but does '
                      'not quantize anything: end the graph with an op that '
                      'reads it', tensor.name, name)
    var_scope = common.join_scope(var_scope, name)
    op_scope = common.join_scope(op_scope, name)
    quantized = quant_ops.moving_avg_quantize(
        tensor, var_scope, op_scope, is_training=self._is_training,
        num_bits=self._activation_bits, ema_decay=self._ema_decay,
        narrow_range=False, symmetric=False,
        vars_collection=self._vars_collection)
    return self._finish(tensor, quantized, consumers, op_scope, var_scope)


def _unique_scope(graph, scope):
  """scope, or scope_1, scope_2... whichever has no range variables yet."""
  candidate, index = scope, 0
  while True:
    try:
      graph.get_operation_by_name(candidate + '/min')
    except KeyError:
      return candidate
    index += 1
    candidate = '%s_%d' % (scope, index)


def _quantize_additions(graph, inserter, scope, claimed):
  """Additions of two quantized tensors (e.g. residuals) get add_quant.

  Additions inside a layer (a residual before the activation, `claimed`)
  are covered by the layer's act_quant.
  """
  for op in list(graph.get_operations()):
    if op.type not in _ADD_TYPES or (scope and not op.name.startswith(scope)):
      continue
    if op.name in claimed:
      continue
    if len(op.inputs) == 2 and all(
        t.name in inserter.quantized for t in op.inputs):
      context = common.op_context(op)
      var_scope = _unique_scope(graph,
                                common.join_scope(context, 'add_quant'))
      inserter.activations(op.outputs[0], var_scope.rpartition('/')[0],
                           context, var_scope.rpartition('/')[2])


def Quantize(graph, is_training, weight_bits, activation_bits, ema_decay,
             quant_delay, scope, skip_ops,
             vars_collection=tf.GraphKeys.MOVING_AVERAGE_VARIABLES):
  """Fake-quantizes the weights and outputs of every layer, in place.

  Args:
    graph: the tf.Graph to rewrite (batch norms already folded).
    is_training: training graphs learn the ranges; eval graphs read them.
    weight_bits: bits of the weight quantizers.
    activation_bits: bits of the activation quantizers.
    ema_decay: decay of the activation ranges' moving averages.
    quant_delay: training graphs: the global step from which the quantizers
      quantize; None or 0 quantizes from the start.
    scope: only quantize layers whose op names start with this.
    skip_ops: layer ops not to quantize.
    vars_collection: collection for the range variables, besides
      GLOBAL_VARIABLES.

  Returns:
    The variable scopes of the quantizers inserted, e.g.
    ['MobilenetV1/Conv2d_0/weights_quant', 'MobilenetV1/Conv2d_0/act_quant',
    ...].

  Raises:
    ValueError: if the graph has no layer to quantize.

  The arguments and the absence of gradient ops are checked by the caller
  (quantize_graph).
  """
  layers = _find_layers(graph, scope, set(skip_ops))
  if not layers:
    raise ValueError(
        'found no layer to quantize%s: expected Conv2D, '
        'DepthwiseConv2dNative or MatMul ops reading weight variables' %
        (' in scope %r' % scope if scope else ''))
  quant_enabled = None
  if is_training and quant_delay:
    quant_enabled = common.step_reached(graph, quant_delay,
                                        name='quant_delay_reached')
  inserter = _Inserter(graph, is_training, weight_bits, activation_bits,
                       ema_decay, quant_enabled, vars_collection)
  with graph.as_default():
    for layer in layers:
      inserter.weights(layer.layer_op, layer.var_scope, layer.op_scope)
      if layer.pre_bypass is not None:
        inserter.activations(layer.pre_bypass, layer.var_scope,
                             layer.op_scope, 'conv_quant')
      inserter.activations(layer.output, layer.var_scope, layer.op_scope,
                           'act_quant')
    claimed = {layer.bypass.name for layer in layers
               if layer.bypass is not None}
    _quantize_additions(graph, inserter, scope, claimed)
  logging.info('Inserted %d quantizers for %d layers', len(inserter.names),
               len(layers))
  return inserter.names
