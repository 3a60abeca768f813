"""Trains MobileNet v1, float or quantized, on one machine or a cluster.

The original mobilenet_v1_train.py, on tf.compat.v1 graphs and
MonitoredSession: SGD with a learning rate of 0.045 decayed by 0.94 every
2.5 epochs (staircase), or 1e-4 when fine-tuning; with --quantize the
fake-quant rewrite goes in after the loss, quantizing from step 250000 when
training from scratch and at once when fine-tuning a float checkpoint, whose
variables are restored except the quantization ranges and the global step.

Resuming: the newest checkpoint of checkpoint_dir always wins (over
fine_tune_checkpoint too); TF's Saver makes every checkpoint complete before
the `checkpoint` state file names it, so a killed run restarts from the last
checkpoint it finished.

A step whose loss or update is NaN or Inf stops the run before it changes a
variable, so every saved checkpoint holds finite weights.
"""

import collections
import dataclasses
import glob
import os
import shutil
import time
from typing import Optional, Sequence

from absl import logging
import tensorflow.compat.v1 as tf

from core import errors
from core import flag_checks
from core import locks
from core import model_flags
from core import paths
from core import session
from datasets import dataset as dataset_module
from datasets import dataset_factory
from model import batch_norm_stats
from model import builder
from model import checkpoints
from training import hooks

LEARNING_RATE = 0.045
FINE_TUNE_LEARNING_RATE = 1e-4
LEARNING_RATE_DECAY_FACTOR = 0.94
NUM_EPOCHS_PER_DECAY = 2.5
QUANT_DELAY = 250000
FINE_TUNE_QUANT_DELAY = 0
# Marks the numeric checks of the train op, to tell their errors from others.
_NUMERICS_TAG = 'mobilenet_v1_train numerics check'

TrainResult = collections.namedtuple(
    'TrainResult', ['global_step', 'checkpoint', 'num_classes'])
TrainGraph = collections.namedtuple(
    'TrainGraph', ['model', 'learning_rate', 'train_op'])


@dataclasses.dataclass
class TrainConfig:
  """Everything a training run needs; the flags of mobilenet_v1_train."""
  checkpoint_dir: str = dataclasses.field(metadata=model_flags.PATH)
  master: str = ''
  task: int = 0
  ps_tasks: int = 0
  worker_replicas: int = 1
  batch_size: int = 64
  num_classes: Optional[int] = None
  number_of_steps: Optional[int] = None
  image_size: int = 224
  depth_multiplier: float = 1.0
  quantize: bool = False
  fine_tune_checkpoint: str = dataclasses.field(default='',
                                                metadata=model_flags.PATH)
  checkpoint_exclude_scopes: Sequence[str] = ()
  dataset_name: str = ''
  dataset_dir: str = dataclasses.field(default='', metadata=model_flags.PATH)
  preprocessing: str = ''
  log_every_n_steps: int = 100
  save_summaries_secs: int = 100
  save_interval_secs: int = 100
  save_interval_steps: Optional[int] = None
  max_checkpoints_to_keep: int = 5
  learning_rate: Optional[float] = None
  learning_rate_decay_factor: float = LEARNING_RATE_DECAY_FACTOR
  num_epochs_per_decay: float = NUM_EPOCHS_PER_DECAY
  quant_delay: Optional[int] = None
  freeze_bn_delay: Optional[int] = None
  batch_norm_decay: Optional[float] = None  # None: effective_batch_norm_decay
  shuffle_seed: Optional[int] = None
  num_threads: int = 0

  def validate(self):
    """Raises errors.BadInputError for settings no run can use."""
    flag_checks.check_model_flags(self.depth_multiplier, self.image_size,
                                  self.batch_size)
    flag_checks.require('checkpoint_dir', self.checkpoint_dir)
    flag_checks.check_positive('number_of_steps', self.number_of_steps)
    flag_checks.check_positive('num_classes', self.num_classes)
    flag_checks.check_positive('log_every_n_steps', self.log_every_n_steps)
    flag_checks.check_positive('save_summaries_secs', self.save_summaries_secs,
                               allow_zero=True)
    flag_checks.check_positive('save_interval_secs', self.save_interval_secs,
                               allow_zero=True)
    flag_checks.check_positive('save_interval_steps', self.save_interval_steps)
    flag_checks.check_positive('learning_rate', self.learning_rate)
    flag_checks.check_positive('learning_rate_decay_factor',
                               self.learning_rate_decay_factor)
    flag_checks.check_positive('num_epochs_per_decay',
                               self.num_epochs_per_decay)
    flag_checks.check_positive('quant_delay', self.quant_delay, allow_zero=True)
    flag_checks.check_positive('freeze_bn_delay', self.freeze_bn_delay,
                               allow_zero=True)
    flag_checks.check_positive('worker_replicas', self.worker_replicas)
    flag_checks.check_positive('ps_tasks', self.ps_tasks, allow_zero=True)
    flag_checks.check_positive('num_threads', self.num_threads, allow_zero=True)
    flag_checks.check_fraction('batch_norm_decay', self.batch_norm_decay)
    if not 0 <= self.task < self.worker_replicas:
      raise errors.BadInputError(
          '--task must be in [0, %d) for %d worker(s), '
          'got %d' % (self.worker_replicas, self.worker_replicas, self.task))

  @property
  def is_chief(self):
    return self.task == 0

  def base_learning_rate(self):
    """--learning_rate, else the original's rule (lower when fine-tuning)."""
    if self.learning_rate is not None:
      return self.learning_rate
    return (FINE_TUNE_LEARNING_RATE if self.fine_tune_checkpoint
            else LEARNING_RATE)

  def effective_batch_norm_decay(self):
    """(decay, why): --batch_norm_decay, else one that settles in the run.

    The original's 0.9997 for runs long enough (and runs without an end);
    shorter runs get the slowest decay whose moving averages settle within
    --number_of_steps (model/batch_norm_stats.py).
    """
    if self.batch_norm_decay is not None:
      return self.batch_norm_decay, '--batch_norm_decay'
    return batch_norm_stats.choose_decay(self.number_of_steps)

  def effective_quant_delay(self):
    """--quant_delay, else the original's: 0 when fine-tuning, else 250000."""
    if self.quant_delay is not None:
      return self.quant_delay
    return FINE_TUNE_QUANT_DELAY if self.fine_tune_checkpoint else QUANT_DELAY


def decay_steps(num_train_examples, batch_size, num_epochs_per_decay):
  """Global steps between learning-rate decays (each step = one batch)."""
  return max(1, int(num_train_examples / batch_size * num_epochs_per_decay))


def _build_train_op(total_loss, learning_rate, global_step):
  """SGD step plus the batch-norm updates, guarded against NaN and Inf.

  The weights change only when the loss and the whole update
  (learning rate x gradient norm) are finite; otherwise the run fails with
  an error carrying _NUMERICS_TAG before anything is written.
  """
  optimizer = tf.train.GradientDescentOptimizer(learning_rate)
  grads_and_vars = optimizer.compute_gradients(total_loss)
  gradients = [g for g, _ in grads_and_vars if g is not None]
  update_norm = learning_rate * tf.linalg.global_norm(gradients)
  checks = [
      tf.debugging.check_numerics(total_loss, _NUMERICS_TAG + ': loss'),
      tf.debugging.check_numerics(update_norm, _NUMERICS_TAG + ': update'),
  ]
  with tf.control_dependencies(checks):
    apply_op = optimizer.apply_gradients(grads_and_vars,
                                         global_step=global_step)
  update_ops = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
  return tf.group(apply_op, *update_ops, name='train_op')


def build_train_graph(config, images, labels, num_classes, steps_per_decay):
  """The model, learning rate and train op of a run, in the default graph.

  The trainer and tools/benchmark both build through this, so the benchmark
  times the step users run. The global step must exist already.

  Returns:
    TrainGraph(builder.TrainingModel, learning rate, train op).
  """
  global_step = tf.train.get_global_step()
  batch_norm_decay, _ = config.effective_batch_norm_decay()
  model = builder.build_training_model(
      images, labels, num_classes, config.depth_multiplier,
      quantize=config.quantize, quant_delay=config.effective_quant_delay(),
      freeze_bn_delay=config.freeze_bn_delay,
      batch_norm_decay=batch_norm_decay)
  batch_norm_stats.track_initial_share(batch_norm_decay)
  learning_rate = tf.train.exponential_decay(
      config.base_learning_rate(), global_step, steps_per_decay,
      config.learning_rate_decay_factor, staircase=True,
      name='learning_rate')
  train_op = _build_train_op(model.total_loss, learning_rate, global_step)
  return TrainGraph(model, learning_rate, train_op)


def _add_summaries(total_loss, learning_rate, quant_variables):
  for loss in tf.losses.get_losses():
    tf.summary.scalar('losses/%s' % loss.op.name, loss)
  tf.summary.scalar('losses/regularization_loss',
                    tf.losses.get_regularization_loss())
  tf.summary.scalar('losses/total_loss', total_loss)
  tf.summary.scalar('training/learning_rate', learning_rate)
  for variable in quant_variables:
    name = 'quant_ranges/%s' % variable.op.name
    if variable.shape.ndims == 0:
      tf.summary.scalar(name, variable)
    else:
      tf.summary.histogram(name, variable)


def _fine_tune_init_fn(config, checkpoint, quant_variables):
  """Scaffold init_fn restoring a checkpoint into a fresh model.

  As the original: everything but the global step (so the learning-rate
  schedule starts over) and the quantization ranges a float checkpoint has
  not got (restored when present); variables under
  --checkpoint_exclude_scopes keep their initial values.
  """
  excluded = tuple(s.rstrip('/') + '/' for s in config.checkpoint_exclude_scopes
                   if s)
  names = [v.op.name + '/' for v in tf.global_variables()]
  for scope in excluded:
    if not any(name.startswith(scope) for name in names):
      raise errors.BadInputError(
          '--checkpoint_exclude_scopes: %s matches no variable of the model '
          '(e.g. MobilenetV1/Logits excludes the classifier)' % scope[:-1])
  global_step = tf.train.get_global_step()
  candidates = [v for v in tf.global_variables()
                if v is not global_step and
                not (v.op.name + '/').startswith(excluded)]
  initial_share = [v for v in candidates if v.op.name ==
                   batch_norm_stats.INITIAL_SHARE_VARIABLE]
  to_restore = checkpoint.plan_restore(
      candidates, optional=list(quant_variables) + initial_share,
      hint=' (same --depth_multiplier and --num_classes? '
      '--checkpoint_exclude_scopes=MobilenetV1/Logits skips the '
      'classifier)')
  saver = tf.train.Saver(var_list=to_restore)
  skipped = len(candidates) - len(to_restore)

  share_op = None
  if initial_share and not checkpoint.has(
      batch_norm_stats.INITIAL_SHARE_VARIABLE):
    # The averages come from the checkpoint: settled as far as it had.
    share_op = initial_share[0].assign(
        batch_norm_stats.share_of_restored(checkpoint))

  def init_fn(unused_scaffold, sess):
    saver.restore(sess, checkpoint.path)
    if share_op is not None:
      sess.run(share_op)
    logging.info(
        'fine-tuning from %s: restored %d variables, %d left to '
        'their initializers (quantization ranges, excluded scopes); '
        'global step starts at 0', checkpoint.path, len(to_restore), skipped)

  return init_fn


def _numerics_failure(what, config):
  """The one-line error of a run that diverged; names the checkpoint left."""
  if _NUMERICS_TAG in what:
    if ': update' in what:
      what = 'the update became NaN or Inf'
    else:
      what = 'the loss became %s' % ('Inf' if 'Inf' in what and
                                     'NaN' not in what else 'NaN')
  latest = checkpoints.latest_checkpoint(config.checkpoint_dir)
  kept = ('the last good checkpoint is %s (every variable finite)' %
          latest if latest else 'no checkpoint was written')
  return errors.JobFailedError(
      'training stopped: %s (try a lower --learning_rate); %s' % (what, kept))


def train(config):
  """Runs training as configured; returns a TrainResult.

  The chief holds --checkpoint_dir's lock (core.locks) for the whole run: a
  second trainer on the same directory is refused in one line.

  Raises:
    errors.BadInputError: bad settings, data, directory or checkpoint, or a
      directory another trainer is using.
    errors.JobFailedError: the run diverged (NaN or Inf).
  """
  config.validate()
  if not config.is_chief:
    return _train(config)
  paths.ensure_output_dir(config.checkpoint_dir, 'checkpoint_dir')
  with locks.DirectoryLock(config.checkpoint_dir, 'checkpoint_dir'):
    try:
      return _train(config)
    except BaseException:
      _remove_partial_files(config.checkpoint_dir)
      raise


# Temporary files TensorFlow writes and renames (the graph, the Saver's
# shards); an interrupted or failed save leaves them behind.
_PARTIAL_FILE_PATTERNS = ('graph.pbtxt.tmp*', '*_temp')


def _remove_partial_files(checkpoint_dir):
  for pattern in _PARTIAL_FILE_PATTERNS:
    for path in glob.glob(os.path.join(checkpoint_dir, pattern)):
      if os.path.isdir(path):
        shutil.rmtree(path, ignore_errors=True)
      else:
        try:
          os.remove(path)
        except OSError:
          pass


def _train(config):
  """train() once the directory is checked and locked."""
  dataset = dataset_factory.get_dataset(config.dataset_name or None, 'train',
                                        config.dataset_dir or None,
                                        config.preprocessing)
  num_classes, labels_offset = dataset.resolve_num_classes(config.num_classes)
  resume_path = checkpoints.latest_checkpoint(config.checkpoint_dir)
  fine_tune_from = None
  if resume_path:
    logging.info(
        'resuming from %s%s', resume_path,
        ' (--fine_tune_checkpoint ignored: the run already has '
        'checkpoints)' if config.fine_tune_checkpoint else '')
  elif config.fine_tune_checkpoint:
    fine_tune_from = checkpoints.Checkpoint.resolve(config.fine_tune_checkpoint,
                                                    'fine_tune_checkpoint')
    fine_tune_from.check_values()
  if resume_path:
    checkpoints.Checkpoint(resume_path, 'checkpoint_dir').check_values()
  base_lr = config.base_learning_rate()
  steps_per_decay = decay_steps(dataset.num_samples, config.batch_size,
                                config.num_epochs_per_decay)
  quant_delay = config.effective_quant_delay()
  decay, why = config.effective_batch_norm_decay()
  if decay != batch_norm_stats.ORIGINAL_DECAY:
    logging.info('batch-norm decay %.4f: %s', decay, why)
  logging.info(
      'training mobilenet_v1 depth %s, %d px, %d classes on %s/%s '
      '(%d examples), batch %d; lr %g x %g every %d steps%s; task %d of %d',
      config.depth_multiplier, config.image_size, num_classes, dataset.name,
      dataset.split_name, dataset.num_samples, config.batch_size, base_lr,
      config.learning_rate_decay_factor, steps_per_decay,
      '; quantized from step %d' % quant_delay if config.quantize else '',
      config.task, config.worker_replicas)

  distributed = config.ps_tasks > 0
  graph = tf.Graph()
  with graph.as_default():
    device_fn = None
    if distributed:
      device_fn = tf.train.replica_device_setter(
          ps_tasks=config.ps_tasks,
          worker_device='/job:worker/task:%d' % config.task)
    with tf.device(device_fn):
      tf.train.get_or_create_global_step()
      data = dataset.input_dataset(
          config.batch_size, config.image_size, is_training=True,
          shuffle_seed=config.shuffle_seed,
          num_shards=config.worker_replicas, shard_index=config.task)
      images, labels = tf.data.make_one_shot_iterator(data).get_next()
      if labels_offset:
        labels -= labels_offset
      model, learning_rate, train_op = build_train_graph(
          config, images, labels, num_classes, steps_per_decay)
      _add_summaries(model.total_loss, learning_rate, model.quant_variables)

      if resume_path:
        # Another model's checkpoint (e.g. --quantize added to a float
        # run's directory) is refused in one line, not by the restore.
        checkpoints.Checkpoint(resume_path, 'checkpoint_dir').plan_restore(
            tf.global_variables(),
            hint=' (it holds another model: use a new --checkpoint_dir, or '
            'the same --depth_multiplier, --num_classes and --quantize)')
      init_fn = None
      if fine_tune_from and config.is_chief:
        init_fn = _fine_tune_init_fn(config, fine_tune_from,
                                     model.quant_variables)
      scaffold = tf.train.Scaffold(
          init_fn=init_fn,
          saver=tf.train.Saver(max_to_keep=config.max_checkpoints_to_keep,
                               sharded=distributed,
                               save_relative_paths=True))

    progress = hooks.ProgressHook(model.total_loss, learning_rate,
                                  config.batch_size, config.log_every_n_steps,
                                  config.number_of_steps)
    run_hooks = [progress]
    if config.number_of_steps:
      run_hooks.append(hooks.StopAtStepHook(config.number_of_steps))
    sess_config = session.session_config(
        config.num_threads, worker_task=config.task if distributed else None)
    if config.is_chief:
      if config.save_summaries_secs:
        run_hooks.append(
            tf.train.SummarySaverHook(save_secs=config.save_summaries_secs,
                                      output_dir=config.checkpoint_dir,
                                      scaffold=scaffold))
        # global_step/sec, as TF-Slim's trainer wrote it.
        run_hooks.append(tf.train.StepCounterHook(
            every_n_steps=None, every_n_secs=config.save_summaries_secs,
            output_dir=config.checkpoint_dir))
      if config.save_interval_steps:
        save_kwargs = dict(save_steps=config.save_interval_steps)
      else:
        save_kwargs = dict(save_secs=config.save_interval_secs or None,
                           save_steps=None if config.save_interval_secs
                           else 10**12)  # 0 s: only at start and end.
      run_hooks.append(
          hooks.FiniteCheckpointSaverHook(config.checkpoint_dir,
                                          scaffold=scaffold, **save_kwargs))
      # The checkpoint found above, not the state file's own path (which
      # is absolute in older runs, and stale once the directory moved).
      creator = tf.train.ChiefSessionCreator(
          scaffold=scaffold, master=config.master, config=sess_config,
          checkpoint_filename_with_path=resume_path)
    else:
      creator = hooks.WorkerSessionCreator(scaffold=scaffold,
                                           master=config.master,
                                           config=sess_config)

    start = time.time()
    try:
      with tf.train.MonitoredSession(session_creator=creator,
                                     hooks=run_hooks) as sess:
        while not sess.should_stop():
          sess.run(train_op)
    except tf.errors.InvalidArgumentError as e:
      if _NUMERICS_TAG in str(e):
        raise _numerics_failure(str(e), config) from None
      raise
    except tf.errors.DataLossError as e:
      raise dataset_module.corrupt_data_error(dataset, e) from None
    except hooks.NonFiniteVariableError as e:
      raise _numerics_failure('variable %s became NaN or Inf' % e.variable_name,
                              config) from None

  latest = checkpoints.latest_checkpoint(config.checkpoint_dir)
  step = progress.global_step
  logging.info('training done at step %s in %.0f s; newest checkpoint %s',
               step, time.time() - start, latest)
  return TrainResult(step, latest, num_classes)
