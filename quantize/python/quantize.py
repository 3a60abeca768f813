"""Inserts fake-quant ops at the weights and outputs of every layer.

A layer is a Conv2D, DepthwiseConv2dNative or MatMul whose weights are a
variable (read directly, through an Identity, partitioned, or scaled by the
batch-norm fold). From the layer the rewrite follows its output through an
atrous BatchToSpaceND, the bias add (or the fold's add_fold; the
single-convolution fold's `<layer>_fold_output`), then one of

    [conv_quant] residual Add -> activation  act_quant (in the parent scope)
    activation -> [residual Add]  act_quant, post_activation_bypass_quant
    nothing                       act_quant on the layer's output

where an activation is Relu, Relu6 or Identity, and quantizes:

  * `<layer scope>/weights_quant`: the weights, with the range of their
    current value (narrow range: 8-bit levels -127..127);
  * `<layer scope>/act_quant`: the activation (or the layer's output);
  * `<layer scope>/conv_quant`: a layer's output entering a residual
    addition before the activation; the activation's quantizer is then in the
    layer's parent scope, as is a `post_activation_bypass_quant` on a
    residual addition after the activation;
  * `<op>/activation_<Type>_quant`: any other Add, AddV2 or Mul fed by a
    quantized tensor (through Reshape, Identity, MaxPool, ... which keep the
    values), unless only ReLUs read it.

Scopes are op name scopes (for tf-slim, `MobilenetV1/MobilenetV1/Conv2d_0`),
as tf.contrib.quantize named them. Activation ranges are moving averages; in
training they learn every step and, with a quant_delay, quantize from that
quantization step on (common.CreateOrGetQuantizationStep). A tensor already
read by a fake-quant op is left alone, so rewriting twice changes nothing.
"""

import collections

from absl import logging
import tensorflow.compat.v1 as tf

from quantize.python import common
from quantize.python import quant_ops
from quantize.python import single_conv_fold

# Ops that keep the values of their input: a tensor read through them is as
# quantized as the input.
_PASS_THROUGH_OP_TYPES = ('BatchToSpaceND', 'Identity', 'Max', 'MaxPool',
                          'Reshape', 'SpaceToBatchND')
_ACTIVATION_LAYER_OP_TYPES = ('Add', 'AddV2', 'Mul')
_WEIGHT_OP_TYPES = ('Identity', 'ReadVariableOp', 'Mul')
# The fold's ops between the folded layer and its output.
_FOLD_OUTPUT_NAMES = ('post_conv_mul', 'correction_add', 'add_fold')
# Where ranges start: activations (act_quant) at [0, 6], others at [-6, 6].
ACTIVATION_INIT_RANGE = (0.0, 6.0)
DEFAULT_INIT_RANGE = (-6.0, 6.0)


# A layer to quantize and the ops around it.
_Layer = collections.namedtuple('_Layer', [
    'layer_op',
    'context',         # the layer op's name scope: names its quantizers
    'output',          # after bias / fold, before any residual or activation
    'bypass_op',       # a residual Add between output and activation, or None
    'activation_op',   # Relu, Relu6 or Identity, or None
    'post_bypass_op',  # a residual Add after the activation, or None
])


def Quantize(graph, is_training, weight_bits=8, activation_bits=8,
             symmetric=False, ema_decay=0.999, quant_delay=None,
             vars_collection=tf.GraphKeys.GLOBAL_VARIABLES, scope=None,
             *, symmetric_weights=False):
  """Inserts fake-quant ops for the weights and outputs of every layer.

  Args:
    graph: the tf.Graph to rewrite (batch norms already folded).
    is_training: learn the ranges (else read them).
    weight_bits: bits of the weight quantizers.
    activation_bits: bits of the activation quantizers.
    symmetric: ranges centred on 0, for weights and activations.
    ema_decay: decay of the activation ranges' moving averages.
    quant_delay: the quantization step from which training graphs quantize
      (the values pass through unchanged before; the ranges learn from the
      start); None or <= 0 quantizes from the start.
    vars_collection: a collection for the range variables, besides
      GLOBAL_VARIABLES.
    scope: only quantize ops whose names start with this.
    symmetric_weights: project extension: weight ranges centred on 0 even
      when `symmetric` is False (int8-friendly weights, asymmetric
      activations).
  """
  inserter = _Inserter(graph, is_training, weight_bits, activation_bits,
                       symmetric, symmetric or symmetric_weights, ema_decay,
                       quant_delay, vars_collection, scope)
  with common.root_scopes(graph):
    layers = _find_layers(graph)
    for layer in layers:
      _quantize_layer(inserter, layer)
    _quantize_activation_layers(graph, inserter)
  if inserter.count:
    logging.info('Inserted %d fake-quant ops for %d layers', inserter.count,
                 len(layers))


def _in_scope(op, scope):
  return not scope or op.name.startswith(scope)


def _real_consumers(tensor):
  """Consumers, leaving out fake-quant ops and quantizers' internals."""
  return [c for c in common.unique_consumers(tensor)
          if c.type not in common.FAKE_QUANT_OP_TYPES and
          '_quant/' not in c.name and
          not c.name.startswith(common.SKIPPED_PREFIXES)]


def _sole_consumer(tensor, op_types=None):
  consumers = _real_consumers(tensor)
  if len(consumers) == 1 and (op_types is None or
                              consumers[0].type in op_types):
    return consumers[0]
  return None


def _is_bias(op, tensor):
  others = [t for t in op.inputs if t is not tensor]
  return len(others) == 1 and others[0].shape.ndims == 1


def _feeds_batch_norm(tensor):
  """Whether a batch norm reads the tensor (through Identity or Reshape)."""
  for consumer in tensor.consumers():
    if consumer.type in common.FUSED_BATCH_NORM_OP_TYPES:
      return True
    if '/moments/' in consumer.name or '/batchnorm' in consumer.name:
      return True
    if consumer.type in ('Identity', 'Reshape') and _feeds_batch_norm(
        consumer.outputs[0]):
      return True
  return False


def _layer_output(layer_op):
  """The layer's output after an atrous BatchToSpaceND and the bias or fold.

  The fold's ops are followed by name (contrib's names, set by
  fold_batch_norms); the single-convolution fold names its output.
  """
  folded = single_conv_fold.folded_output(layer_op)
  if folded is not None:
    return folded
  output = layer_op.outputs[0]
  consumer = _sole_consumer(output, ('BatchToSpaceND',))
  if consumer is not None:
    output = consumer.outputs[0]
  consumer = _sole_consumer(output, ('IdentityN',))  # The folded gradient.
  if consumer is not None:
    output = consumer.outputs[0]
  for name in _FOLD_OUTPUT_NAMES:
    consumer = _sole_consumer(output)
    if consumer is not None and consumer.name.rpartition('/')[2] == name:
      output = consumer.outputs[0]
  consumer = _sole_consumer(output, ('BiasAdd',) + common.ADD_OP_TYPES)
  if (consumer is not None and consumer.name.rpartition('/')[2] != 'add_fold'
      and _is_bias(consumer, output)):
    output = consumer.outputs[0]
  return output


def _find_layers(graph):
  layers = []
  for op in graph.get_operations():
    if (op.type not in common.LAYER_OP_TYPES or
        op.name.startswith(common.SKIPPED_PREFIXES)):
      continue
    weights = op.inputs[1]
    if (weights.op.type not in _WEIGHT_OP_TYPES and
        not common.is_quantized(weights)):
      continue
    output = _layer_output(op)
    if _feeds_batch_norm(output):
      continue  # Feeds a batch norm the fold did not take (or its copy).
    bypass = activation = post_bypass = None
    consumer = _sole_consumer(output, common.ADD_OP_TYPES)
    if consumer is not None:
      after = _sole_consumer(consumer.outputs[0],
                             common.ACTIVATION_OP_TYPES)
      if after is not None:
        bypass, activation = consumer, after
    if activation is None:
      activation = _sole_consumer(output, common.ACTIVATION_OP_TYPES)
    if activation is not None:
      post_bypass = _post_activation_bypass(activation.outputs[0])
    layers.append(_Layer(layer_op=op, context=common.op_context(op),
                         output=output, bypass_op=bypass,
                         activation_op=activation,
                         post_bypass_op=post_bypass))
  return layers


def _only_relus_read(tensor):
  consumers = _real_consumers(tensor)
  return bool(consumers) and all(c.type in common.RELU_OP_TYPES
                                 for c in consumers)


def _post_activation_bypass(activation):
  """The first Add reading the activation (in graph order), unless only
  ReLUs read that Add."""
  # pylint: disable=protected-access
  for consumer in sorted(_real_consumers(activation), key=lambda op: op._id):
    if consumer.type in common.ADD_OP_TYPES:
      if _only_relus_read(consumer.outputs[0]):
        return None
      return consumer
  return None


def _quantize_layer(inserter, layer):
  context = layer.context
  if _in_scope(layer.layer_op, inserter.scope):
    inserter.weights(layer.layer_op, common.join_scope(context,
                                                       'weights_quant'))
  if layer.bypass_op is not None:
    inserter.activations(layer.output,
                         common.join_scope(context, 'conv_quant'),
                         DEFAULT_INIT_RANGE,
                         consumers=[layer.bypass_op])
    act_scope = common.parent_scope(context)
  else:
    act_scope = context
  if layer.activation_op is not None:
    activation = layer.activation_op.outputs[0]
  else:
    activation = layer.output
  inserter.activations(activation, common.join_scope(act_scope, 'act_quant'),
                       ACTIVATION_INIT_RANGE)
  if layer.post_bypass_op is not None:
    inserter.activations(
        layer.post_bypass_op.outputs[0],
        common.join_scope(common.parent_scope(context),
                          'post_activation_bypass_quant'),
        DEFAULT_INIT_RANGE)


def _reaches_quantized(tensor):
  """Whether a tensor is a quantized one, read through value-keeping ops."""
  op = tensor.op
  while op.type in _PASS_THROUGH_OP_TYPES and not common.is_quantized(
      op.outputs[0]):
    op = op.inputs[0].op
  return common.is_quantized(op.outputs[0])


def _quantize_activation_layers(graph, inserter):
  """Add, AddV2 and Mul ops fed by quantized tensors get quantized outputs."""
  for op in list(graph.get_operations()):
    if (op.type not in _ACTIVATION_LAYER_OP_TYPES or
        op.name.startswith(common.SKIPPED_PREFIXES) or
        '_quant/' in op.name):
      continue
    output = op.outputs[0]
    if common.followed_by_fake_quant(output) or _only_relus_read(output):
      continue
    if any(_reaches_quantized(t) for t in op.inputs):
      inserter.activations(
          output, common.join_scope(op.name, 'activation_%s_quant' % op.type),
          DEFAULT_INIT_RANGE)


class _Inserter(object):
  """Creates quantizers and reroutes the consumers of what they quantize."""

  def __init__(self, graph, is_training, weight_bits, activation_bits,
               symmetric, symmetric_weights, ema_decay, quant_delay,
               vars_collection, scope):
    self._graph = graph
    self._is_training = is_training
    self._weight_bits = weight_bits
    self._activation_bits = activation_bits
    self._symmetric = symmetric
    self._symmetric_weights = symmetric_weights
    self._ema_decay = ema_decay
    self._quant_delay = quant_delay
    self._vars_collection = vars_collection
    self.scope = scope
    self.count = 0
    # Variable name -> its quantized weights, for variables several layers
    # read through reads of their own (resource variables).
    self._quantized_variables = {}

  def weights(self, layer_op, name):
    tensor = layer_op.inputs[1]
    if common.is_quantized(tensor):
      return
    variable = common.variable_name(tensor)
    if variable in self._quantized_variables:
      common.RerouteTensor(self._quantized_variables[variable], tensor,
                           can_modify=[layer_op])
      return
    consumers = _real_consumers(tensor)
    quantized = quant_ops.LastValueQuantize(
        tensor, init_min=DEFAULT_INIT_RANGE[0],
        init_max=DEFAULT_INIT_RANGE[1],
        vars_collection=self._vars_collection, name_prefix=name,
        is_training=self._is_training, num_bits=self._weight_bits,
        narrow_range=True, symmetric=self._symmetric_weights)
    quantized = self._finish(tensor, quantized, consumers)
    if variable is not None:
      self._quantized_variables[variable] = quantized

  def activations(self, tensor, name, init_range, consumers=None):
    """Quantizes `tensor` for `consumers` (default: all of them)."""
    if not _in_scope(tensor.op, self.scope) or (
        common.followed_by_fake_quant(tensor)):
      return
    if consumers is None:
      consumers = _real_consumers(tensor)
    elif self.scope:
      consumers = [c for c in consumers if _in_scope(c, self.scope)]
      if not consumers:
        return
    quantized = quant_ops.MovingAvgQuantize(
        tensor, init_min=init_range[0], init_max=init_range[1],
        ema_decay=self._ema_decay, vars_collection=self._vars_collection,
        name_prefix=name, is_training=self._is_training,
        num_bits=self._activation_bits, narrow_range=False,
        symmetric=self._symmetric)
    self._finish(tensor, quantized, consumers)

  def _finish(self, tensor, quantized, consumers):
    """Adds the delay and reroutes `consumers`; returns what they now read."""
    self.count += 1
    if self._quant_delay is not None and self._quant_delay > 0:
      scope = common.op_context(quantized.op)
      step = common.CreateOrGetQuantizationStep()
      with common.absolute_name_scope(self._graph, scope):
        active = tf.math.greater_equal(
            step, tf.constant(self._quant_delay, tf.int64),
            name='activate_quant')
        quantized = common.switch(active, quantized, tensor,
                                  name='delayed_quant')
    common.RerouteTensor(quantized, tensor, can_modify=consumers)
    return quantized
