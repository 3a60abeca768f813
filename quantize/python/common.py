"""Helpers shared by the batch-norm fold and the quantizer insertion.

The public names are tf.contrib.quantize's (RerouteTensor,
CreateOrGetQuantizationStep, ...); the lower-case ones serve this package.
"""

import contextlib
import re

import tensorflow.compat.v1 as tf

# Op names the rewrites never take for layers of the model.
SKIPPED_PREFIXES = ('gradients/', 'RMSProp/', 'Adagrad/', 'Const_',
                    'HistogramSummary', 'ScalarSummary')

# Ops that multiply an input by a weight tensor: the layers.
LAYER_OP_TYPES = ('Conv2D', 'DepthwiseConv2dNative', 'MatMul')
# A layer's activation; Identity stands for "no activation" (tf.identity).
ACTIVATION_OP_TYPES = ('Relu6', 'Relu', 'Identity')
RELU_OP_TYPES = ('Relu6', 'Relu')
ADD_OP_TYPES = ('Add', 'AddV2')
FUSED_BATCH_NORM_OP_TYPES = ('FusedBatchNorm', 'FusedBatchNormV2',
                             'FusedBatchNormV3')
FAKE_QUANT_OP_TYPES = ('FakeQuantWithMinMaxVars',
                       'FakeQuantWithMinMaxVarsPerChannel',
                       'FakeQuantWithMinMaxArgs')
VARIABLE_OP_TYPES = ('VariableV2', 'Variable', 'VarHandleOp')
# Ops through which a two-way choice (tf.cond v1 or v2, tf.where) or a plain
# Identity forwards a tensor unchanged.
_FORWARDING_OP_TYPES = ('Identity', 'Switch', 'Merge', 'If', 'StatelessIf',
                        'SelectV2')
# Training ops: an optimizer already exists.
_TRAINING_OP_TYPE = re.compile(r'^(Resource)?(Sparse)?Apply')
# Gradient ops: Relu6Grad, FusedBatchNormGradV3, Conv2DBackpropFilter...
_GRADIENT_OP_TYPE = re.compile(r'Grad(V\d)?$|Backprop')
_ACTIVATION_OP_SUFFIXES = ('Relu6', 'Relu', 'Identity')
_BATCHNORM_RE = re.compile(r'^(.*)BatchNorm/batchnorm')

QUANTIZATION_STEP_NAME = 'fake_quantization_step'


def RerouteTensor(t0, t1, can_modify=None):
  """Makes the consumers of t1 read t0 instead.

  Args:
    t0: the new tensor.
    t1: the tensor whose consumers change.
    can_modify: if given, only these consumer ops are changed.

  Returns:
    The number of op inputs changed.
  """
  count = 0
  for consumer in _unique(t1.consumers()):
    if can_modify is not None and consumer not in can_modify:
      continue
    for index, tensor in enumerate(consumer.inputs):
      if tensor is t1:
        consumer._update_input(index, t0)  # pylint: disable=protected-access
        count += 1
  return count


def CreateOrGetQuantizationStep():
  """The step counter of the delays, created on first use.

  A variable `fake_quantization_step` (int64, 0 at first) that every run of
  an op reading the returned tensor increments first: the value is 1 in the
  first training step. quant_delay and freeze_bn_delay count it, so they
  need no global step and count the steps of this graph.

  Returns:
    The incremented step (`fake_quantization_step/Identity:0`).
  """
  graph = tf.get_default_graph()
  try:
    return graph.get_tensor_by_name(QUANTIZATION_STEP_NAME + '/Identity:0')
  except KeyError:
    pass
  with graph.name_scope(None):
    step = tf.Variable(0, dtype=tf.int64, name=QUANTIZATION_STEP_NAME,
                       trainable=False,
                       collections=[tf.GraphKeys.GLOBAL_VARIABLES])
    with graph.name_scope(step.op.name + '/'):
      incremented = step.assign_add(tf.constant(1, tf.int64),
                                    name='AssignAdd')
      return tf.identity(incremented, name='Identity')


def DropStringPrefix(s, prefix):
  """s without `prefix` if it starts with it."""
  return s[len(prefix):] if s.startswith(prefix) else s


def GetEndpointActivationOp(graph, prefix):
  """The op `prefix` + Relu6, Relu or Identity (the first found), or None."""
  for suffix in _ACTIVATION_OP_SUFFIXES:
    try:
      return graph.get_operation_by_name(prefix + suffix)
    except KeyError:
      pass
  return None


def BatchNormGroups(graph):
  """Name prefixes of the unfused batch norms ('a/' for a/BatchNorm/...)."""
  groups = []
  for op in graph.get_operations():
    match = _BATCHNORM_RE.search(op.name)
    if match and match.group(1) not in groups:
      groups.append(match.group(1))
  return groups


def _unique(items):
  seen, result = set(), []
  for item in items:
    if id(item) not in seen:
      seen.add(id(item))
      result.append(item)
  return result


def op_context(op):
  """The name scope an op was created in: 'a/b/Conv2D' -> 'a/b'."""
  return op.name.rpartition('/')[0]


def parent_scope(scope):
  """'a/b' -> 'a'; 'a' -> ''."""
  return scope.rpartition('/')[0]


def join_scope(scope, name):
  """'a/b', 'c' -> 'a/b/c'; '', 'c' -> 'c' (the graph's root)."""
  return '%s/%s' % (scope, name) if scope else name


@contextlib.contextmanager
def absolute_name_scope(graph, scope):
  """Enters `scope` exactly, whatever name scope the caller is in."""
  with graph.name_scope(scope + '/' if scope else None) as name:
    yield name


@contextlib.contextmanager
def root_scopes(graph):
  """The graph as default, at the root name and variable scopes."""
  with graph.as_default(), graph.name_scope(None):
    with tf.variable_scope(tf.VariableScope(reuse=None, name=''),
                           auxiliary_name_scope=False):
      yield


def unique_consumers(tensor):
  return _unique(tensor.consumers())


def variable_read(tensor):
  """The variable op a tensor reads, or None.

  A read is a ReadVariableOp or Identity of the variable, or the Identity of
  the concatenation of a partitioned variable's parts (then the partitioned
  variable's name, without /part_N, is what counts).
  """
  op = tensor.op
  if op.type in ('ReadVariableOp', 'Identity') and op.inputs:
    source = op.inputs[0].op
    if source.type in VARIABLE_OP_TYPES:
      return source
    if op.type == 'Identity' and _partitioned_parts(source):
      return op
  return None


def variable_name(tensor):
  """The name of the variable a tensor reads ('a/weights'), or None."""
  variable = variable_read(tensor)
  return variable.name if variable is not None else None


def _partitioned_parts(op):
  """The part variables a ConcatV2 joins, if it joins a partitioned one."""
  if op.type != 'ConcatV2' or len(op.inputs) < 2:
    return None
  parts = [variable_read(t) for t in op.inputs[:-1]]
  if all(p is not None and '/part_' in p.name for p in parts):
    return parts
  return None


def is_quantized(tensor):
  """Whether a tensor is a fake-quant output (possibly delayed or forwarded)."""
  seen = set()
  stack = [tensor.op]
  while stack:
    op = stack.pop()
    if op.name in seen:
      continue
    seen.add(op.name)
    if op.type in FAKE_QUANT_OP_TYPES:
      return True
    if op.type in _FORWARDING_OP_TYPES:
      stack.extend(t.op for t in op.inputs)
  return False


def followed_by_fake_quant(tensor):
  """Whether a fake-quant op already reads this tensor."""
  return any(c.type in FAKE_QUANT_OP_TYPES for c in tensor.consumers())


def per_output_channel(vector, layer_op, name):
  """Reshapes a per-output-channel vector to broadcast over a layer's weights.

  Conv2D weights are [h, w, in, out] and MatMul's [in, out]: the vector as
  it is. Depthwise weights are [h, w, in, multiplier], output channel
  c = i * multiplier + m; transposed MatMul weights are [out, in].
  """
  if layer_op.type == 'DepthwiseConv2dNative':
    in_channels, multiplier = layer_op.inputs[1].shape.as_list()[2:]
    return tf.reshape(vector, [in_channels, multiplier], name=name)
  if layer_op.type == 'MatMul' and layer_op.get_attr('transpose_b'):
    return tf.reshape(vector, [-1, 1], name=name)
  return vector


def choose(condition, on_true, on_false, name):
  """on_true where the scalar bool `condition` holds, else on_false.

  An elementwise select: for the small per-channel tensors of the fold.
  """
  return tf.where_v2(condition, on_true, on_false, name=name)


def switch(condition, on_true, on_false, name):
  """on_true if the scalar bool `condition` holds, else on_false.

  For activations and weights: a cond forwards one of the two tensors
  where an elementwise select would copy the whole tensor forwards and
  backwards.
  """
  return tf.cond(condition, lambda: on_true, lambda: on_false, name=name)


def training_ops(graph):
  """Op types of the graph's optimizer updates (ApplyGradientDescent, ...)."""
  return sorted({op.type for op in graph.get_operations()
                 if _TRAINING_OP_TYPE.match(op.type)})


def first_gradient_consumer(ops):
  """A gradient op that reads one of `ops`' inputs or outputs, or None."""
  for op in ops:
    for tensor in list(op.outputs) + list(op.inputs):
      for consumer in tensor.consumers():
        if (_GRADIENT_OP_TYPE.search(consumer.type) or
            consumer.name.startswith('gradients/')):
          return consumer
  return None
