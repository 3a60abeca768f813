"""A rewritten graph's structure, comparable across TensorFlow versions.

The expected structures in testdata/contrib_graphs.json were recorded by
running tf.contrib.quantize (TensorFlow 1.15) on the graphs of
contrib_cases.py; the tests build the same graphs on today's TensorFlow,
rewrite them with this package and compare summaries. A summary keeps what
the rewrite decides (which quantizers exist, what each one reads, who reads
its output, how the folded layers are wired, which variables exist) and
drops what differs between TensorFlow versions for the same decision:

  * variable reads: a reference variable's `<var>/read` and a resource
    variable's ReadVariableOp are both `var:<var>`;
  * constants are `const`; Identity ops are looked through;
  * a two-way choice (a v1 cond's Merge, a v2 If op, an elementwise select)
    is `cond:<name of the choice>`, and consumers are followed through it;
  * weight regularizers are not counted among a quantizer's consumers: with
    reference variables a layer and its regularizer read one tensor, so
    tf.contrib.quantize's weight quantizer fed both; with resource variables
    each reads the variable on its own.

Runs on Python 3.7 / TensorFlow 1.15 as well (the recorder uses it).
"""

_VARIABLE_TYPES = ('VariableV2', 'Variable', 'VarHandleOp')
_CHOICE_TYPES = ('If', 'StatelessIf', 'SelectV2', 'Select')
_COND_INTERNAL_TYPES = ('Switch', 'Merge', 'If', 'StatelessIf', 'Identity')
# Ops of the fold, recognised by the last component of their name.
_FOLD_NAMES = ('mul_fold', 'correction_mult', 'post_conv_mul',
               'correction_add', 'add_fold')


def _strip(tensor_name):
  return tensor_name[:-2] if tensor_name.endswith(':0') else tensor_name


def _partitioned_variable(op):
  """'a/weights' for the concatenation of a/weights/part_*, else None."""
  if op.type != 'ConcatV2':
    return None
  parts = [t.op for t in op.inputs[:-1]]
  names = [_read_variable(p) for p in parts]
  if parts and all(names):
    prefix = names[0].rpartition('/part_')[0]
    if prefix and all(n.startswith(prefix + '/part_') for n in names):
      return prefix
  return None


def _read_variable(op):
  """The variable an op reads (a read Identity or ReadVariableOp), or None."""
  if op.type in ('Identity', 'ReadVariableOp') and op.inputs:
    source = op.inputs[0].op
    if source.type in _VARIABLE_TYPES:
      return source.name
  return None


def canonical(tensor):
  """The version-independent name of what a tensor carries."""
  op = tensor.op
  while True:
    variable = _read_variable(op) or _partitioned_variable(op)
    if variable:
      return 'var:' + variable
    if op.type in ('Identity', 'IdentityN') and op.inputs:
      tensor = op.inputs[tensor.value_index]
      op = tensor.op
      continue
    break
  if op.type == 'Const':
    return 'const'
  if op.type == 'Merge':
    return 'cond:' + op.name.rpartition('/')[0]
  if op.type in _CHOICE_TYPES:
    return 'cond:' + op.name
  if op.type in _VARIABLE_TYPES:
    return 'var:' + op.name
  return _strip(tensor.name)


def _final_consumers(tensor, seen=None):
  """Consumer op names, looking through Identity ops and two-way choices."""
  seen = set() if seen is None else seen
  names = set()
  for consumer in tensor.consumers():
    if (consumer.name in seen or consumer.name.startswith('gradients') or
        '/Regularizer/' in consumer.name):
      continue
    seen.add(consumer.name)
    if consumer.type == 'Switch':
      # A v1 cond: the branch output goes on through its Merge.
      for output in consumer.outputs:
        for merge in output.consumers():
          if merge.type == 'Merge':
            names |= _final_consumers(merge.outputs[0], seen)
    elif consumer.type in _CHOICE_TYPES or (
        consumer.type == 'Identity' and not consumer.name.endswith('/read')):
      names |= _final_consumers(consumer.outputs[0], seen)
    else:
      names.add(consumer.name)
  return names


def _range_kind(tensor):
  """'updated' for a range assigned in this run (training), else 'stored'.

  A reference variable's assign op, or a read that waits for an assign
  (resource variables), is an update.
  """
  op = tensor.op
  if op.type.startswith('Assign') or any(
      c.type.startswith('Assign') for c in op.control_inputs):
    return 'updated'
  return 'stored'


def summarize(graph):
  """A JSON-able summary of the quantizers, folds and variables of a graph."""
  ops = graph.get_operations()
  fake_quants = []
  for op in ops:
    if not op.type.startswith('FakeQuantWithMinMax'):
      continue
    fake_quants.append({
        'name': op.name,
        'input': canonical(op.inputs[0]),
        'range': _range_kind(op.inputs[1]),
        'consumers': sorted(_final_consumers(op.outputs[0])),
    })
  folds = {}
  for op in ops:
    last = op.name.rpartition('/')[2]
    if (last in _FOLD_NAMES or last.endswith('_Fold')) and (
        not op.name.startswith('gradients')):
      folds[op.name] = {'type': op.type,
                        'inputs': [canonical(t) for t in op.inputs]}
  moving_average_factors = {}
  for op in ops:
    if op.type == 'Mul' and '/AssignMovingAvg' in op.name and (
        op.name.endswith('/mul')):
      moving_average_factors[op.name] = sorted(
          canonical(t) for t in op.inputs)
  variables = sorted(
      v.op.name for v in graph.get_collection('variables'))
  return {
      'fake_quant': sorted(fake_quants, key=lambda f: f['name']),
      'fold': folds,
      'moving_average_factors': moving_average_factors,
      'variables': variables,
  }
