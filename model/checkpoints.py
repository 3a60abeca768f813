"""Finding checkpoints, reading them once, and checking they fit a graph.

Training resumes from the newest checkpoint of its directory; fine-tuning,
eval and export load a checkpoint a user named. Each job opens a checkpoint
once (`Checkpoint`) and asks it everything: which variables it holds and
their shapes, its global step, values. A checkpoint that does not fit the
graph (another depth multiplier or class count, not a MobileNet, a float
checkpoint for a quantized eval) is reported up front in one line naming the
first variable that is missing or has another shape, instead of a long
restore error.
"""

import os
import re

import numpy as np
import tensorflow.compat.v1 as tf

from core import errors

GLOBAL_STEP = 'global_step'
# What TensorFlow's checkpoint reader raises for files it cannot read whole
# (a truncated .data file gives IndexError: "Read less bytes than requested").
_READ_ERRORS = (tf.errors.OpError, ValueError, IndexError, RuntimeError)
# The range variables of fake quantization: <scope>/<x>_quant/min and /max.
_QUANT_RANGE_RE = re.compile(r'_quant/(min|max)$')


def legacy_range_name(name):
  """The name an earlier version of this project gave a quantization range.

  tf.contrib.quantize names ranges by the layer's op scope, which tf-slim's
  MobileNet doubles (MobilenetV1/MobilenetV1/Conv2d_0/act_quant/min), as
  quantize/ now does; earlier versions used the variable scope
  (MobilenetV1/Conv2d_0/act_quant/min). Their checkpoints restore through
  this name. Any other name is returned as it is.
  """
  double = 'MobilenetV1/MobilenetV1/'
  if name.startswith(double) and '_quant/' in name:
    return 'MobilenetV1/' + name[len(double):]
  return name


def is_quant_range(variable_name):
  """Whether a variable is a quantization range (min or max)."""
  return bool(_QUANT_RANGE_RE.search(variable_name))


def latest_checkpoint(checkpoint_dir):
  """The newest complete checkpoint in `checkpoint_dir`, or None.

  The `checkpoint` state file is rewritten atomically only after a
  checkpoint's files are complete, so what it names is never half-written.
  The checkpoint it names is looked for in `checkpoint_dir` itself first:
  older state files hold absolute paths, which point elsewhere (or
  nowhere) once the directory is moved or copied.
  """
  if not checkpoint_dir or not tf.gfile.IsDirectory(checkpoint_dir):
    return None
  try:
    state = tf.train.get_checkpoint_state(checkpoint_dir)
  except (tf.errors.OpError, ValueError) as e:
    raise errors.BadInputError('the checkpoint state file of %s cannot be '
                               'read: %s' % (checkpoint_dir,
                                             errors.one_line(e)[:200])) from e
  if not state or not state.model_checkpoint_path:
    return None
  named = state.model_checkpoint_path
  here = os.path.join(checkpoint_dir, os.path.basename(named))
  for path in (here, named):
    if _is_checkpoint_prefix(path):
      return path
  return None


def _is_checkpoint_prefix(path):
  return tf.gfile.Exists(path + '.index')


def resolve_checkpoint(path, flag_name):
  """A directory (its newest checkpoint) or a checkpoint prefix -> prefix.

  Raises:
    errors.BadInputError: nothing there, or no checkpoint in it.
  """
  if not path:
    raise errors.BadInputError('--%s is required' % flag_name)
  if tf.gfile.IsDirectory(path):
    found = latest_checkpoint(path)
    if not found:
      raise errors.BadInputError('--%s: no checkpoint in %s' %
                                 (flag_name, path))
    return found
  if _is_checkpoint_prefix(path):
    return path
  if path.endswith('.index') and _is_checkpoint_prefix(path[:-6]):
    return path[:-6]
  if not tf.gfile.Exists(path) and not tf.gfile.Glob(path + '*'):
    raise errors.BadInputError('--%s does not exist: %s' % (flag_name, path))
  raise errors.BadInputError('--%s is not a checkpoint (no %s.index): %s' %
                             (flag_name, os.path.basename(path), path))


def variable_name(variable):
  """'MobilenetV1/Conv2d_0/weights:0' -> 'MobilenetV1/Conv2d_0/weights'."""
  return variable.op.name


class Checkpoint(object):
  """One checkpoint prefix, its index read once.

  Attributes:
    path: the checkpoint prefix (e.g. .../model.ckpt-1500).
    flag_name: the flag that named it, for error messages.
  """

  def __init__(self, path, flag_name='checkpoint'):
    self.path = path
    self.flag_name = flag_name
    self._reader = None
    self._shapes = None

  @classmethod
  def resolve(cls, path, flag_name):
    """The Checkpoint a flag names (a directory means its newest one)."""
    return cls(resolve_checkpoint(path, flag_name), flag_name)

  def _fail(self, error):
    return errors.BadInputError(
        '--%s cannot be read: %s: %s (truncated or corrupt files? use '
        'another checkpoint)' % (self.flag_name, self.path,
                                 errors.one_line(error)[:200]))

  @property
  def reader(self):
    if self._reader is None:
      try:
        self._reader = tf.train.load_checkpoint(self.path)
      except _READ_ERRORS as e:
        raise self._fail(e) from e
    return self._reader

  @property
  def shapes(self):
    """{variable name: shape list} stored in the checkpoint."""
    if self._shapes is None:
      self._shapes = {
          name: list(shape)
          for name, shape in self.reader.get_variable_to_shape_map().items()
      }
    return self._shapes

  def has(self, name):
    return name in self.shapes

  def value(self, name):
    """The stored value of variable `name` (a numpy array)."""
    try:
      return self.reader.get_tensor(name)
    except _READ_ERRORS as e:
      raise self._fail(e) from e

  def quant_ranges(self):
    """The names of the stored quantization ranges, sorted (none: float)."""
    return sorted(name for name in self.shapes if is_quant_range(name))

  def check_values(self):
    """Reads every stored value once; refuses what no job should use.

    Raises:
      errors.BadInputError: the files cannot be read whole (truncated or
        corrupt), or a variable holds NaN or Inf (a diverged run).
    """
    for name in sorted(self.shapes):
      value = np.asarray(self.value(name))
      if (np.issubdtype(value.dtype, np.floating) and
          not np.all(np.isfinite(value))):
        raise errors.BadInputError(
            '--%s %s holds NaN or Inf (in %s): it comes from a diverged run; '
            'use an earlier checkpoint' % (self.flag_name, self.path, name))

  @property
  def global_step(self):
    """The global step saved in the checkpoint (None if it has none)."""
    if self.has(GLOBAL_STEP):
      return int(self.value(GLOBAL_STEP))
    suffix = self.path.rpartition('-')[2]
    return int(suffix) if suffix.isdigit() else None

  def plan_restore(self, variables, optional=(), hint=''):
    """The variables of `variables` to load from this checkpoint.

    Every variable must be stored with its shape, except those in
    `optional` (e.g. quantization ranges missing from a float checkpoint),
    which are loaded when present and left to their initializer otherwise.

    Returns:
      {checkpoint name: variable}, for tf.train.Saver(var_list=...).

    Raises:
      errors.BadInputError: a required variable is missing or a shape
        differs.
    """
    stored = self.shapes
    optional_names = {variable_name(v) for v in optional}
    to_restore = {}
    missing = []
    for variable in variables:
      name = variable_name(variable)
      shape = variable.shape.as_list()
      stored_name = name if name in stored else legacy_range_name(name)
      if stored_name not in stored:
        if name not in optional_names:
          missing.append(name)
        continue
      if stored[stored_name] != shape:
        raise errors.BadInputError(
            '--%s does not fit the model: %s has shape %s in %s but %s in '
            'the model%s' %
            (self.flag_name, name, stored[stored_name], self.path, shape,
             hint))
      to_restore[stored_name] = variable
    if missing:
      raise errors.BadInputError(
          '--%s does not fit the model: %d model variables are missing from '
          '%s, e.g. %s%s' %
          (self.flag_name, len(missing), self.path, missing[0], hint))
    return to_restore

  def saver(self, variables, optional=(), hint=''):
    """A tf.train.Saver restoring `variables` from here (plan_restore)."""
    return tf.train.Saver(var_list=self.plan_restore(variables, optional, hint))
