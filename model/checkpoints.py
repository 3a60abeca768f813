"""Finding checkpoints, and checking that one fits the graph it is loaded into.

Training resumes from the newest checkpoint of its directory; fine-tuning and
eval load a checkpoint a user named. A checkpoint that does not fit (another
depth multiplier or class count, not a MobileNet, a float checkpoint given to
a quantized eval) is reported up front in one line naming the first variable
that is missing or has another shape, instead of a long restore error.
"""

import os

import tensorflow.compat.v1 as tf

import cli


def latest_checkpoint(checkpoint_dir):
  """The newest complete checkpoint in `checkpoint_dir`, or None.

  The `checkpoint` state file is rewritten atomically only after a
  checkpoint's files are complete, so what it names is never half-written.
  """
  if not checkpoint_dir or not tf.gfile.IsDirectory(checkpoint_dir):
    return None
  path = tf.train.latest_checkpoint(checkpoint_dir)
  if path and _is_checkpoint_prefix(path):
    return path
  return None


def _is_checkpoint_prefix(path):
  return tf.gfile.Exists(path + '.index')


def resolve_checkpoint(path, flag_name):
  """A directory (its newest checkpoint) or a checkpoint prefix -> prefix.

  Raises:
    cli.BadInputError: nothing there, or no checkpoint in it.
  """
  if not path:
    raise cli.BadInputError('--%s is required' % flag_name)
  if tf.gfile.IsDirectory(path):
    found = latest_checkpoint(path)
    if not found:
      raise cli.BadInputError('--%s: no checkpoint in %s' % (flag_name, path))
    return found
  if _is_checkpoint_prefix(path):
    return path
  if path.endswith('.index') and _is_checkpoint_prefix(path[:-6]):
    return path[:-6]
  if not tf.gfile.Exists(path) and not tf.gfile.Glob(path + '*'):
    raise cli.BadInputError('--%s does not exist: %s' % (flag_name, path))
  raise cli.BadInputError('--%s is not a checkpoint (no %s.index): %s' % (
      flag_name, os.path.basename(path), path))


def checkpoint_shapes(checkpoint_path, flag_name='checkpoint'):
  """{variable name: shape list} stored in a checkpoint."""
  try:
    return {name: list(shape)
            for name, shape in tf.train.list_variables(checkpoint_path)}
  except (tf.errors.OpError, ValueError) as e:
    raise cli.BadInputError('--%s cannot be read: %s: %s' % (
        flag_name, checkpoint_path, cli.one_line(e)[:200]))


def checkpoint_global_step(checkpoint_path):
  """The global step saved in a checkpoint (None if it has none)."""
  try:
    reader = tf.train.load_checkpoint(checkpoint_path)
    if reader.has_tensor('global_step'):
      return int(reader.get_tensor('global_step'))
  except (tf.errors.OpError, ValueError):
    pass
  suffix = checkpoint_path.rpartition('-')[2]
  return int(suffix) if suffix.isdigit() else None


def variable_name(variable):
  """'MobilenetV1/Conv2d_0/weights:0' -> 'MobilenetV1/Conv2d_0/weights'."""
  return variable.op.name


def plan_restore(checkpoint_path, variables, optional=(), flag_name='checkpoint',
                 hint=''):
  """The variables of `variables` to load from `checkpoint_path`.

  Every variable must be in the checkpoint with its shape, except those in
  `optional` (e.g. quantization ranges missing from a float checkpoint),
  which are loaded when present and left to their initializer otherwise.

  Returns:
    {checkpoint name: variable}, for tf.train.Saver(var_list=...).

  Raises:
    cli.BadInputError: a required variable is missing or a shape differs.
  """
  stored = checkpoint_shapes(checkpoint_path, flag_name)
  optional_names = {variable_name(v) for v in optional}
  to_restore = {}
  missing = []
  for variable in variables:
    name = variable_name(variable)
    shape = variable.shape.as_list()
    if name not in stored:
      if name not in optional_names:
        missing.append(name)
      continue
    if stored[name] != shape:
      raise cli.BadInputError(
          '--%s does not fit the model: %s has shape %s in %s but %s in the '
          'model%s' % (flag_name, name, stored[name], checkpoint_path, shape,
                       hint))
    to_restore[name] = variable
  if missing:
    raise cli.BadInputError(
        '--%s does not fit the model: %d model variables are missing from '
        '%s, e.g. %s%s' % (flag_name, len(missing), checkpoint_path,
                           missing[0], hint))
  return to_restore
