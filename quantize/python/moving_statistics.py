"""A training batch norm's moving averages, as the batch-norm folds use them.

tf-slim (and Keras) update a moving average of each batch statistic with
`moving -= (moving - statistic) * factor`. The folds find that update from
the statistic (the fused batch norm's mean or variance output, or the
unfused one's moments), read the moving average before the step updates it
(so a step sees one value, whatever order the ops run in), and make the
factor 0 from the freeze on (so the averages stop where inference will read
them).
"""

from absl import logging
import tensorflow.compat.v1 as tf

from quantize.python import common

_UPDATE_OP_TYPES = ('AssignSub', 'AssignSubVariableOp')


def update_of(statistic):
  """The update of the moving average of a batch statistic.

  Returns (variable op, the Mul op, the index of the factor among its
  inputs, the assign op) or None.
  """
  for sub in common.unique_consumers(statistic):
    if sub.type != 'Sub':
      continue
    variable = common.variable_read(sub.inputs[0])
    if variable is None:
      continue
    for mul in common.unique_consumers(sub.outputs[0]):
      if mul.type != 'Mul':
        continue
      assigns = [c for c in mul.outputs[0].consumers()
                 if c.type in _UPDATE_OP_TYPES]
      if assigns:
        index = 1 if mul.inputs[0] is sub.outputs[0] else 0
        return variable, mul, index, assigns[0]
  return None


def variable_of(statistic):
  """The variable op of the statistic's moving average, or None."""
  update = update_of(statistic)
  return update[0] if update is not None else None


def _read(variable_op):
  """A new read of a variable op (resource or reference)."""
  if variable_op.type == 'VarHandleOp':
    return tf.raw_ops.ReadVariableOp(resource=variable_op.outputs[0],
                                     dtype=variable_op.get_attr('dtype'))
  return tf.identity(variable_op.outputs[0])


def read_before_update(statistic, variable_op):
  """A read of a moving average that happens before this step's update."""
  read = _read(variable_op)
  update = update_of(statistic)
  if update is not None:
    update[3]._add_control_input(read.op)  # pylint: disable=protected-access
  return read


def freeze_update(statistic, frozen, name):
  """Makes a moving average's update factor 0 once `frozen` holds."""
  update = update_of(statistic)
  if update is None:
    logging.warning('%s: no moving-average update of %s found to freeze',
                    name, statistic.name)
    return
  _, mul, index, _ = update
  factor = mul.inputs[index]
  frozen_factor = common.choose(frozen, tf.zeros_like(factor), factor,
                                name=name)
  mul._update_input(index, frozen_factor)  # pylint: disable=protected-access
