"""Evaluates MobileNet v1 checkpoints: top-1 Accuracy and top-5 Recall_5.

One ordered pass over the eval split, counted in numpy by core.metrics (the
one definition of both figures), so every example is counted exactly once,
the last partial batch included. --num_examples below the split's size
evaluates exactly the first num_examples.

Results go to TensorBoard (eval/Accuracy, eval/Recall_5 in eval_dir) and to
eval_dir/metrics.json (core.metrics.write_metrics), written atomically.
"""

import dataclasses
import os
import time
from typing import Optional

from absl import logging
import tensorflow.compat.v1 as tf

from core import errors
from core import flag_checks
from core import metrics
from core import model_flags
from core import paths
from core import progress
from core import session
from datasets import dataset as dataset_module
from datasets import dataset_factory
from model import batch_norm_stats
from model import builder
from model import checkpoints

# The original eval's batch.
DEFAULT_BATCH_SIZE = 250


@dataclasses.dataclass
class EvalConfig:
  """Everything an eval run needs; the flags of mobilenet_v1_eval."""
  checkpoint_dir: str = dataclasses.field(metadata=model_flags.PATH)
  eval_dir: str = dataclasses.field(default='', metadata=model_flags.PATH)
  master: str = ''
  batch_size: int = DEFAULT_BATCH_SIZE
  num_classes: Optional[int] = None
  num_examples: Optional[int] = None
  image_size: int = 224
  depth_multiplier: float = 1.0
  quantize: bool = False
  dataset_name: str = ''
  dataset_dir: str = dataclasses.field(default='', metadata=model_flags.PATH)
  preprocessing: str = ''
  split_name: str = 'validation'
  eval_interval_secs: Optional[float] = None
  eval_timeout_secs: Optional[float] = None
  number_of_steps: Optional[int] = None
  num_threads: int = 0

  def validate(self):
    flag_checks.check_model_flags(self.depth_multiplier, self.image_size,
                                  self.batch_size)
    flag_checks.require('checkpoint_dir', self.checkpoint_dir)
    flag_checks.check_positive('num_classes', self.num_classes)
    flag_checks.check_positive('num_examples', self.num_examples)
    flag_checks.check_positive('eval_interval_secs', self.eval_interval_secs,
                               allow_zero=True)
    flag_checks.check_positive('eval_timeout_secs', self.eval_timeout_secs)
    flag_checks.check_positive('number_of_steps', self.number_of_steps)
    flag_checks.check_positive('num_threads', self.num_threads, allow_zero=True)


def write_summaries(eval_dir, result):
  with tf.Graph().as_default():  # FileWriter refuses eager mode.
    writer = tf.summary.FileWriter(eval_dir)
    summary = tf.Summary(value=[
        tf.Summary.Value(tag='eval/Accuracy', simple_value=result.accuracy),
        tf.Summary.Value(tag='eval/Recall_5', simple_value=result.recall_5),
    ])
    writer.add_summary(summary, result.global_step or 0)
    writer.close()


class Evaluator(object):
  """The eval graph, built once, and the pass over the data per checkpoint."""

  def __init__(self, config):
    """config: an EvalConfig that evaluate() has validated."""
    self._config = config
    dataset = dataset_factory.get_dataset(config.dataset_name or None,
                                          config.split_name,
                                          config.dataset_dir or None,
                                          config.preprocessing)
    self.dataset = dataset
    self.num_classes, labels_offset = dataset.resolve_num_classes(
        config.num_classes)
    self.num_examples = dataset.examples_to_evaluate(config.num_examples)
    self._graph = tf.Graph()
    with self._graph.as_default():
      data = dataset.input_dataset(config.batch_size, config.image_size,
                                   is_training=False)
      self._iterator = tf.data.make_initializable_iterator(data)
      images, labels = self._iterator.get_next()
      if labels_offset:
        labels -= labels_offset
      self._labels = labels
      self._logits, _ = builder.build_eval_model(images, self.num_classes,
                                                 config.depth_multiplier,
                                                 config.quantize)
      self._variables = tf.global_variables()
      # One Saver for every checkpoint: watching with --eval_interval_secs
      # must not grow the graph by a Saver per checkpoint.
      self._saver = tf.train.Saver(var_list=self._variables)
    self._graph.finalize()
    self._session_config = session.session_config(config.num_threads)

  def evaluate(self, checkpoint_path):
    """One pass with `checkpoint_path`'s weights; returns an EvalResult."""
    config = self._config
    checkpoint = checkpoints.Checkpoint(checkpoint_path, 'checkpoint_dir')
    hint = (' (trained with --quantize and the same --depth_multiplier?)'
            if config.quantize else
            ' (same --depth_multiplier and --num_classes as training?)')
    # Every eval variable is required: this raises a one-line error for a
    # checkpoint of another model before the restore would fail obscurely.
    checkpoint.plan_restore(self._variables, hint=hint)
    ranges = checkpoint.quant_ranges()
    if ranges and not config.quantize:
      raise errors.BadInputError(
          '--checkpoint_dir %s was trained with --quantize (it has '
          'quantization ranges, e.g. %s): evaluate it with --quantize' % (
              checkpoint.path, ranges[0]))
    checkpoint.check_values()
    batch_norm_stats.check_settled(checkpoint)  # Warns; the eval goes on.
    start = time.time()
    scorer = metrics.Scorer(self.num_examples)
    report = progress.Progress('evaluated', self.num_examples, 'examples')
    with tf.Session(config.master, graph=self._graph,
                    config=self._session_config) as sess:
      self._saver.restore(sess, checkpoint.path)
      sess.run(self._iterator.initializer)
      while not scorer.done:
        try:
          logits, labels = sess.run([self._logits, self._labels])
        except tf.errors.OutOfRangeError:
          break
        except tf.errors.DataLossError as e:
          raise dataset_module.corrupt_data_error(self.dataset, e) from None
        scorer.add(logits, labels)
        report.update(scorer.seen)
    if not scorer.done:
      raise errors.JobFailedError('the eval data ended after %d of %d '
                                  'examples' % (scorer.seen, self.num_examples))
    result = scorer.result(global_step=checkpoint.global_step,
                           checkpoint=os.path.abspath(checkpoint.path))
    logging.info(
        '%s (step %s): Accuracy %.4f  Recall_5 %.4f on %d %s/%s '
        'examples (%.1f s)', checkpoint.path, result.global_step,
        result.accuracy, result.recall_5, result.num_examples,
        self.dataset.name, self.dataset.split_name,
        time.time() - start)
    if config.eval_dir:
      write_summaries(config.eval_dir, result)
      metrics.write_metrics(config.eval_dir, result, quantized=config.quantize)
    return result


def evaluate(config):
  """Evaluates once, or each new checkpoint with eval_interval_secs.

  Returns:
    The EvalResult of the last checkpoint evaluated.

  Raises:
    errors.BadInputError: bad settings or data, no checkpoint, or one that
      does not fit the model.
  """
  config.validate()
  if config.eval_dir:
    paths.ensure_output_dir(config.eval_dir, 'eval_dir')
  if not config.eval_interval_secs:
    checkpoint = checkpoints.resolve_checkpoint(config.checkpoint_dir,
                                                'checkpoint_dir')
    return Evaluator(config).evaluate(checkpoint)

  if not tf.gfile.IsDirectory(config.checkpoint_dir):
    raise errors.BadInputError('--checkpoint_dir must be a directory with '
                               '--eval_interval_secs: %s' %
                               config.checkpoint_dir)
  evaluator = Evaluator(config)
  result = None
  logging.info('waiting for checkpoints in %s every %s s%s',
               config.checkpoint_dir, config.eval_interval_secs,
               ' (until step %d)' % config.number_of_steps
               if config.number_of_steps else '')
  for checkpoint in tf.train.checkpoints_iterator(
      config.checkpoint_dir, min_interval_secs=config.eval_interval_secs,
      timeout=config.eval_timeout_secs):
    result = evaluator.evaluate(checkpoint)
    if (config.number_of_steps and result.global_step is not None and
        result.global_step >= config.number_of_steps):
      break
  if result is None:
    raise errors.BadInputError(
        '--checkpoint_dir: no checkpoint appeared in '
        '%s within %s s' % (config.checkpoint_dir, config.eval_timeout_secs))
  return result
