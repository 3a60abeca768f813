"""Session hooks of the trainer: progress, safe saves, the stop, the worker session.

ProgressHook logs
  step 120/2000  loss 1.234  lr 0.0450  42.1 images/s  ETA 0:12:34
every --log_every_n_steps steps, and by time as every long job does
(core.progress: a first line soon after the first step, then at least once
a minute), where images/s is this worker's speed and the ETA is estimated
from the global step's progress (all workers together).
"""

import time

from absl import logging
import numpy as np
import tensorflow.compat.v1 as tf

from core import progress


class ProgressHook(tf.train.SessionRunHook):
  """Logs step, loss, learning rate, images/s and ETA (see the module doc)."""

  def __init__(self, loss, learning_rate, batch_size, every_n_steps,
               last_step=None, silent=False):
    """silent: fetch and track as usual but log nothing (the benchmark times
    the trainer's step, hook included, without its lines)."""
    self._loss = loss
    self._learning_rate = learning_rate
    self._batch_size = batch_size
    self._every_n_steps = max(1, int(every_n_steps))
    self._last_step = last_step
    self._silent = silent
    self._global_step = None
    self.global_step = None  # The newest global step seen.

  def begin(self):
    self._global_step = tf.train.get_global_step()
    self._local_steps = 0
    self._mark = None
    self._cadence = progress.Cadence(self._every_n_steps)

  def after_create_session(self, session, coord):
    del coord
    step = int(session.run(self._global_step))
    self.global_step = step
    self._mark = (time.time(), self._local_steps, step)
    self._cadence.start()
    if self._silent:
      return
    logging.info('step %d%s: training (the first steps also optimise the '
                 'graph; progress every %d steps and at least once a minute)',
                 step, '/%d' % self._last_step if self._last_step else '',
                 self._every_n_steps)

  def before_run(self, run_context):
    del run_context
    return tf.train.SessionRunArgs(
        [self._global_step, self._loss, self._learning_rate])

  def after_run(self, run_context, run_values):
    del run_context
    stale_step, loss, learning_rate = run_values.results
    step = int(stale_step) + 1  # The train op of this run incremented it.
    self.global_step = step
    self._local_steps += 1
    if self._silent or not self._cadence.due(self._local_steps):
      return
    now = time.time()
    then, then_local, then_step = self._mark
    elapsed = max(now - then, 1e-9)
    images_per_sec = (self._local_steps - then_local) * self._batch_size / (
        elapsed)
    eta = None
    if self._last_step and step > then_step:
      eta = (self._last_step - step) * elapsed / (step - then_step)
    self._mark = (now, self._local_steps, step)
    logging.info(
        'step %d%s  loss %.3f  lr %.4g  %.1f images/s%s', step,
        '/%d' % self._last_step if self._last_step else '', loss, learning_rate,
        images_per_sec,
        '  ETA %s' % progress.format_eta(eta) if self._last_step else '')


class NonFiniteVariableError(Exception):
  """A variable became NaN or Inf; raised instead of saving it."""

  def __init__(self, variable_name):
    super().__init__(variable_name)
    self.variable_name = variable_name


class FiniteCheckpointSaverHook(tf.train.CheckpointSaverHook):
  """tf.train.CheckpointSaverHook that never saves a NaN or an Inf.

  Before each save every floating-point variable (weights, batch-norm
  statistics, quantization ranges) is checked; if one is not finite, the
  run stops with NonFiniteVariableError and nothing is written, so every
  checkpoint the trainer leaves is one a later run, eval or export can use.
  """

  def begin(self):
    super().begin()
    variables = [v for v in tf.global_variables()
                 if v.dtype.base_dtype.is_floating]
    self._variable_names = [v.op.name for v in variables]
    with tf.name_scope('checkpoint_finite_check'):
      self._finite = tf.stack(
          [tf.reduce_all(tf.math.is_finite(v)) for v in variables])

  def _save(self, session, step):
    finite = session.run(self._finite)
    if not finite.all():
      raise NonFiniteVariableError(
          self._variable_names[int(np.argmin(finite))])
    return super()._save(session, step)


class StopAtStepHook(tf.train.SessionRunHook):
  """Stops once the global step reaches last_step, checked before any step.

  tf.train.StopAtStepHook only checks after a step, so a finished run
  started again would train (and checkpoint) one step past its target.
  """

  def __init__(self, last_step):
    self._last_step = int(last_step)
    self._global_step = None

  def begin(self):
    self._global_step = tf.train.get_global_step()

  def after_create_session(self, session, coord):
    step = int(session.run(self._global_step))
    if step >= self._last_step:
      logging.info('global step %d already reached --number_of_steps=%d',
                   step, self._last_step)
      coord.request_stop()

  def before_run(self, run_context):
    del run_context
    return tf.train.SessionRunArgs(self._global_step)

  def after_run(self, run_context, run_values):
    if int(run_values.results) + 1 >= self._last_step:
      # Read again: with several workers the fetched value may be stale.
      step = int(run_context.session.run(self._global_step))
      if step >= self._last_step:
        run_context.request_stop()


class WorkerSessionCreator(tf.train.SessionCreator):
  """A non-chief worker's session, polling for the chief's init every second.

  tf.train.WorkerSessionCreator polls every 30 s, which makes a short
  cluster run (and its test) wait half a minute for nothing.
  """

  def __init__(self, scaffold, master, config, max_wait_secs=30 * 60,
               poll_secs=1):
    self._scaffold = scaffold
    self._master = master
    self._config = config
    self._max_wait_secs = max_wait_secs
    self._poll_secs = poll_secs

  def create_session(self):
    self._scaffold.finalize()
    manager = tf.train.SessionManager(
        local_init_op=self._scaffold.local_init_op,
        ready_op=self._scaffold.ready_op,
        ready_for_local_init_op=self._scaffold.ready_for_local_init_op,
        graph=tf.get_default_graph(),
        recovery_wait_secs=self._poll_secs)
    return manager.wait_for_session(self._master, config=self._config,
                                    max_wait_secs=self._max_wait_secs)
