"""Helpers shared by the batch-norm folding and the fake-quant rewrites."""

import contextlib
import re

import tensorflow.compat.v1 as tf

# Ops that multiply an input by a weight tensor: the layers that get folded
# and quantized.
LAYER_OP_TYPES = ('Conv2D', 'DepthwiseConv2dNative', 'MatMul')
# Activations whose output is a layer's output (Identity: no activation).
ACTIVATION_OP_TYPES = ('Relu', 'Relu6', 'Identity')
BATCH_NORM_OP_TYPES = ('FusedBatchNorm', 'FusedBatchNormV2',
                       'FusedBatchNormV3')
FAKE_QUANT_OP_TYPES = ('FakeQuantWithMinMaxVars',
                       'FakeQuantWithMinMaxVarsPerChannel',
                       'FakeQuantWithMinMaxArgs')
_VARIABLE_OP_TYPES = ('VarHandleOp', 'VariableV2', 'Variable')
_VARIABLE_READ_OP_TYPES = ('ReadVariableOp', 'Identity')
# The same op types as graph_matcher.OpTypePattern strings ('A|B').
LAYER_PATTERN = '|'.join(LAYER_OP_TYPES)
VARIABLE_READ_PATTERN = '|'.join(_VARIABLE_READ_OP_TYPES)
# Gradient op types: Relu6Grad, FusedBatchNormGradV3, Conv2DBackpropFilter...
_GRADIENT_OP_TYPE = re.compile(r'Grad(V\d)?$|Backprop')


def op_context(op):
  """The name scope an op was created in: 'a/b/Conv2D' -> 'a/b'."""
  return op.name.rpartition('/')[0]


def join_scope(scope, name):
  """'a/b', 'c' -> 'a/b/c'; '', 'c' -> 'c' (ops at the graph's root)."""
  return '%s/%s' % (scope, name) if scope else name


@contextlib.contextmanager
def absolute_name_scope(graph, scope):
  """Enters `scope` as given, whatever name scope the caller is in.

  The rewrite puts its ops next to the ops of the layer they belong to
  ('<layer>/mul_fold', '<layer>/act_quant/...'), as contrib did.
  """
  with graph.name_scope(scope + '/' if scope else None) as name:
    yield name


def variable_of_read(op):
  """The variable op read by a ReadVariableOp or Identity op, else None."""
  if op.type not in _VARIABLE_READ_OP_TYPES or not op.inputs:
    return None
  source = op.inputs[0].op
  if source.type in _VARIABLE_OP_TYPES:
    return source
  return None


def variable_scope_of(variable_op):
  """'MobilenetV1/Conv2d_0/weights' -> 'MobilenetV1/Conv2d_0'."""
  return variable_op.name.rpartition('/')[0]


def reroute(old, new, consumers):
  """Makes `consumers` read `new` wherever they read `old`; returns the count."""
  count = 0
  for consumer in consumers:
    for index, tensor in enumerate(consumer.inputs):
      if tensor is old:
        consumer._update_input(index, new)  # pylint: disable=protected-access
        count += 1
  return count


def get_or_create_global_step(graph):
  """The graph's global step, created (as tf.train would) if missing."""
  with graph.as_default(), graph.name_scope(None):
    return tf.train.get_or_create_global_step(graph)


def step_reached(graph, delay, name):
  """A scalar bool tensor: global step >= delay."""
  global_step = get_or_create_global_step(graph)
  with graph.as_default(), graph.name_scope(None):
    return tf.greater_equal(global_step,
                            tf.cast(delay, global_step.dtype.base_dtype),
                            name=name)


def select(condition, on_true, on_false, name):
  """on_true where the scalar `condition` holds, else on_false (exactly).

  For small tensors (per-channel vectors): an elementwise select.
  """
  return tf.where_v2(condition, on_true, on_false, name=name)


def switch(condition, on_true, on_false, name):
  """on_true if the scalar `condition` holds, else on_false.

  For activations: a cond forwards one of the two tensors where an
  elementwise select would copy the whole tensor forwards and backwards
  (measured: +45% training step time on MobileNet with a quant delay).
  """
  return tf.cond(condition, lambda: on_true, lambda: on_false, name=name)


def check_delay(name, value):
  if value is None:
    return
  if isinstance(value, bool) or not isinstance(value, int) or value < 0:
    raise ValueError('%s must be None or an integer >= 0, got %r' %
                     (name, value))


def check_bits(name, value):
  if isinstance(value, bool) or not isinstance(value, int) or not (
      2 <= value <= 16):
    raise ValueError('%s must be an integer from 2 to 16, got %r' %
                     (name, value))


def check_not_rewritten(graph):
  """Refuses a graph that already has fake-quant ops: rewrite a float graph once."""
  for op in graph.get_operations():
    if op.type in FAKE_QUANT_OP_TYPES:
      raise ValueError(
          'the graph already has fake-quant ops (e.g. %s): '
          'create_training_graph/create_eval_graph rewrite a float graph '
          'once' % op.name)


def check_no_gradients(forward_ops, what):
  """Refuses a graph whose forward ops already have gradient ops.

  The training rewrite must run after the loss and before the optimizer, so
  that gradients flow through the folded and fake-quantized layers.
  """
  for op in forward_ops:
    # Gradient ops read a layer's outputs (FusedBatchNormGrad) or its inputs
    # (Conv2DBackpropFilter).
    for tensor in list(op.outputs) + list(op.inputs):
      for consumer in tensor.consumers():
        if (_GRADIENT_OP_TYPE.search(consumer.type) or
            consumer.name.startswith('gradients/')):
          raise ValueError(
              '%s: %s already has gradient ops (%s); call it after building '
              'the loss and before creating the optimizer' %
              (what, op.name, consumer.name))
