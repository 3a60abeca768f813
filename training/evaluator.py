"""Evaluates MobileNet v1 checkpoints: top-1 Accuracy and top-5 Recall_5.

One ordered pass over the eval split, counting in numpy, so every example is
counted exactly once (the last partial batch included) and the figures are
exact fractions of the examples seen. --num_examples below the split's size
evaluates exactly the first num_examples.

Definitions (those of the original's streaming metrics):
  Accuracy: argmax of the logits (first index on ties) equals the label.
  Recall_5: the label's logit is beaten by fewer than 5 others
    (tf.nn.in_top_k: a tie with the 5th counts as in the top 5).

Results go to TensorBoard (eval/Accuracy, eval/Recall_5 in eval_dir) and to
eval_dir/metrics.json, written atomically:
  {"accuracy", "recall_5", "num_examples", "global_step", "checkpoint"}
"""

import collections
import dataclasses
import os
import time
from typing import Optional

from absl import logging
import numpy as np
import tensorflow.compat.v1 as tf

import atomic_file
import checkpoint_compat
import cli
import model_builder
import training_hooks
from datasets import dataset_factory

METRICS_FILENAME = 'metrics.json'
TOP_K = 5
# Seconds between progress lines of a long evaluation.
_PROGRESS_SECS = 30

EvalResult = collections.namedtuple(
    'EvalResult', ['accuracy', 'recall_5', 'num_examples', 'global_step',
                   'checkpoint'])


@dataclasses.dataclass
class EvalConfig:
  """Everything an eval run needs; the flags of mobilenet_v1_eval."""
  checkpoint_dir: str
  eval_dir: str = ''
  master: str = ''
  batch_size: int = 250
  num_classes: Optional[int] = None
  num_examples: Optional[int] = None
  image_size: int = 224
  depth_multiplier: float = 1.0
  quantize: bool = False
  dataset_name: str = ''
  dataset_dir: str = ''
  split_name: str = 'validation'
  eval_interval_secs: Optional[float] = None
  eval_timeout_secs: Optional[float] = None
  number_of_steps: Optional[int] = None
  num_threads: int = 0

  def validate(self):
    cli.check_model_flags(self.depth_multiplier, self.image_size,
                          self.batch_size)
    cli.require('checkpoint_dir', self.checkpoint_dir)
    cli.check_positive('num_classes', self.num_classes)
    cli.check_positive('num_examples', self.num_examples)
    cli.check_positive('eval_interval_secs', self.eval_interval_secs,
                       allow_zero=True)
    cli.check_positive('eval_timeout_secs', self.eval_timeout_secs)
    cli.check_positive('number_of_steps', self.number_of_steps)
    cli.check_positive('num_threads', self.num_threads, allow_zero=True)


def count_correct(logits, labels, k=TOP_K):
  """(top-1 hits, top-k hits) of a batch, as defined in the module doc."""
  logits = np.asarray(logits)
  labels = np.asarray(labels).astype(np.int64)
  top1 = int(np.sum(np.argmax(logits, axis=1) == labels))
  label_logits = logits[np.arange(len(labels)), labels]
  beaten_by = np.sum(logits > label_logits[:, None], axis=1)
  topk = int(np.sum(beaten_by < k))
  return top1, topk


def write_metrics(eval_dir, result):
  """eval_dir/metrics.json, written atomically."""
  return atomic_file.write_json(os.path.join(eval_dir, METRICS_FILENAME),
                                result._asdict())


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
                                          config.dataset_dir or None)
    self.dataset = dataset
    self.num_classes, labels_offset = cli.resolve_num_classes(
        dataset, config.num_classes)
    self.num_examples = config.num_examples or dataset.num_samples
    if self.num_examples > dataset.num_samples:
      raise cli.BadInputError(
          '--num_examples %d is more than the %d examples of %s/%s' % (
              self.num_examples, dataset.num_samples, dataset.name,
              dataset.split_name))
    self._graph = tf.Graph()
    with self._graph.as_default():
      data = dataset.input_dataset(config.batch_size, config.image_size,
                                   is_training=False)
      self._iterator = tf.data.make_initializable_iterator(data)
      images, labels = self._iterator.get_next()
      if labels_offset:
        labels -= labels_offset
      self._labels = labels
      self._logits, _ = model_builder.build_eval_model(
          images, self.num_classes, config.depth_multiplier, config.quantize)
      self._variables = tf.global_variables()
      # One Saver for every checkpoint: watching with --eval_interval_secs
      # must not grow the graph by a Saver per checkpoint.
      self._saver = tf.train.Saver(var_list=self._variables)
    self._graph.finalize()
    self._session_config = cli.session_config(config.num_threads)

  def evaluate(self, checkpoint_path):
    """One pass with `checkpoint_path`'s weights; returns an EvalResult."""
    config = self._config
    hint = (' (trained with --quantize and the same --depth_multiplier?)'
            if config.quantize else
            ' (same --depth_multiplier and --num_classes as training?)')
    # Every eval variable is required: this raises a one-line error for a
    # checkpoint of another model before the restore would fail obscurely.
    checkpoint_compat.plan_restore(checkpoint_path, self._variables,
                                   flag_name='checkpoint_dir', hint=hint)
    start = last_log = time.time()
    seen = top1 = topk = 0
    with tf.Session(config.master, graph=self._graph,
                    config=self._session_config) as session:
      self._saver.restore(session, checkpoint_path)
      session.run(self._iterator.initializer)
      while seen < self.num_examples:
        try:
          logits, labels = session.run([self._logits, self._labels])
        except tf.errors.OutOfRangeError:
          break
        keep = min(len(labels), self.num_examples - seen)
        hits1, hitsk = count_correct(logits[:keep], labels[:keep])
        top1 += hits1
        topk += hitsk
        seen += keep
        now = time.time()
        if now - last_log >= _PROGRESS_SECS and seen < self.num_examples:
          last_log = now
          rate = seen / (now - start)
          logging.info('evaluated %d/%d examples  %.1f images/s  ETA %s',
                       seen, self.num_examples, rate,
                       training_hooks.format_eta(
                           (self.num_examples - seen) / rate))
    if seen != self.num_examples:
      raise cli.JobFailedError('the eval data ended after %d of %d examples'
                               % (seen, self.num_examples))
    result = EvalResult(
        accuracy=top1 / seen, recall_5=topk / seen, num_examples=seen,
        global_step=checkpoint_compat.checkpoint_global_step(checkpoint_path),
        checkpoint=os.path.abspath(checkpoint_path))
    logging.info('%s (step %s): Accuracy %.4f  Recall_5 %.4f on %d %s/%s '
                 'examples (%.1f s)', checkpoint_path, result.global_step,
                 result.accuracy, result.recall_5, seen, self.dataset.name,
                 self.dataset.split_name, time.time() - start)
    if config.eval_dir:
      write_summaries(config.eval_dir, result)
      write_metrics(config.eval_dir, result)
    return result


def evaluate_tflite(model, dataset, image_size, num_examples=None,
                    num_threads=1):
  """Accuracy and Recall_5 of a TensorFlow Lite classifier on a split.

  The images go through the same eval pipeline as evaluate() (one ordered
  pass, eval preprocessing); a uint8 model gets them quantized with its
  input's scale and zero point, and its outputs are dequantized before
  counting (count_correct's rules: the first index wins a tie, which
  quantized outputs make more likely).

  Args:
    model: the .tflite bytes, or a path to a .tflite file.
    dataset: a datasets.dataset.Dataset split (e.g. the digits validation).
    image_size: the model's input size.
    num_examples: the first num_examples; None: the whole split.
    num_threads: interpreter threads.

  Returns:
    EvalResult (global_step and checkpoint None).
  """
  from export import litert  # pylint: disable=g-import-not-at-top
  try:
    classifier = litert.Classifier(model, num_threads)
  except litert.LoadError as e:
    raise cli.BadInputError('cannot run the .tflite: %s' % e) from e
  if classifier.image_size != image_size:
    raise cli.BadInputError('the .tflite takes %d px images, not %d' % (
        classifier.image_size, image_size))
  _, labels_offset = cli.resolve_num_classes(dataset,
                                             classifier.num_classes)
  wanted = num_examples or dataset.num_samples
  seen = top1 = topk = 0
  data = dataset.input_dataset(64, image_size, is_training=False)
  for images, labels in data.as_numpy_iterator():
    logits = []
    for image in images[:wanted - seen]:
      logits.append(classifier.predict(image))
    labels = labels[:len(logits)] - labels_offset
    hits1, hitsk = count_correct(np.stack(logits), labels)
    top1 += hits1
    topk += hitsk
    seen += len(logits)
    if seen >= wanted:
      break
  if not seen or seen < wanted:
    raise cli.JobFailedError('the eval data ended after %d of %d examples'
                             % (seen, wanted))
  return EvalResult(accuracy=top1 / seen, recall_5=topk / seen,
                    num_examples=seen, global_step=None, checkpoint=None)


def evaluate(config):
  """Evaluates once, or each new checkpoint with eval_interval_secs.

  Returns:
    The EvalResult of the last checkpoint evaluated.

  Raises:
    cli.BadInputError: bad settings or data, no checkpoint, or one that
      does not fit the model.
  """
  config.validate()
  if not config.eval_interval_secs:
    checkpoint = checkpoint_compat.resolve_checkpoint(config.checkpoint_dir,
                                                      'checkpoint_dir')
    return Evaluator(config).evaluate(checkpoint)

  if not tf.gfile.IsDirectory(config.checkpoint_dir):
    raise cli.BadInputError('--checkpoint_dir must be a directory with '
                            '--eval_interval_secs: %s' % config.checkpoint_dir)
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
    raise cli.BadInputError('--checkpoint_dir: no checkpoint appeared in %s '
                            'within %s s' % (config.checkpoint_dir,
                                             config.eval_timeout_secs))
  return result
