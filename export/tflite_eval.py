"""Accuracy and Recall_5 of a TensorFlow Lite classifier on a dataset split.

The exported model's own figures, counted exactly as the TensorFlow eval
counts them (core.metrics): the images go through the same eval pipeline
(one ordered pass, eval preprocessing); a quantized model gets them quantized
with its input's scale and zero point, and its outputs are dequantized before
counting (the first index wins a tie, which quantized outputs make likelier).

evaluate_path scores a .tflite file or a bundle's .tflite (mobilenet_v1_eval
--tflite) and records which model and format it scored in metrics.json.
"""

import collections
import os

import numpy as np
import tensorflow as tf

from core import errors
from core import metrics
from core import progress
from datasets import dataset as dataset_module
from export import bundle
from export import info
from export import litert
from export import tflite

# What evaluate_path scored: the path, the bundle's model name (None for a
# bare .tflite), its format (tflite.FORMATS) and the bundle's global step.
ScoredModel = collections.namedtuple('ScoredModel', [
    'path', 'bundle', 'tflite_format', 'global_step'])

_BATCH_SIZE = 64


def evaluate_tflite(model, dataset, num_examples=None, num_threads=1):
  """The EvalResult (no global step or checkpoint) of a .tflite on `dataset`.

  Args:
    model: the .tflite bytes, or a path to a .tflite file.
    dataset: a datasets.dataset.Dataset split (e.g. the digits validation).
    num_examples: the first num_examples; None: the whole split.
    num_threads: interpreter threads.

  Raises:
    errors.BadInputError: not an image classifier, or one whose classes do
      not fit the data.
    errors.JobFailedError: the data ended early.
  """
  try:
    classifier = litert.Classifier(model, num_threads)
  except litert.LoadError as e:
    raise errors.BadInputError('cannot run the .tflite: %s' % e) from e
  _, labels_offset = dataset.resolve_num_classes(classifier.num_classes)
  scorer = metrics.Scorer(dataset.examples_to_evaluate(num_examples))
  report = progress.Progress('evaluated the .tflite on', scorer.num_examples,
                             'examples')
  data = dataset.input_dataset(_BATCH_SIZE, classifier.image_size,
                               is_training=False)
  try:
    for images, labels in data.as_numpy_iterator():
      wanted = scorer.num_examples - scorer.seen
      logits = np.stack([classifier.predict(image)
                         for image in images[:wanted]])
      scorer.add(logits, labels[:len(logits)] - labels_offset)
      report.update(scorer.seen)
      if scorer.done:
        break
  except tf.errors.DataLossError as e:
    raise dataset_module.corrupt_data_error(dataset, e) from None
  if not scorer.done:
    raise errors.JobFailedError('the eval data ended after %d of %d examples'
                                % (scorer.seen, scorer.num_examples))
  return scorer.result()


def read_model(path):
  """(.tflite bytes, ScoredModel) of a .tflite file or a bundle.

  A bundle (.tgz or extracted directory) gives its .tflite and the format
  and global step its info file records; a bare .tflite's format is read
  from its tensor types.

  Raises:
    errors.BadInputError: no such file, not a bundle, or not a model of a
      known format.
  """
  path = os.path.abspath(path)
  if os.path.isdir(path) or path.endswith(bundle.ARCHIVE_SUFFIX):
    with bundle.opened(path) as (directory, name):
      facts = info.read_bundle_info(directory, name)
      with open(bundle.member_path(directory, name, 'info'),
                encoding='utf-8') as f:
        step = info.parse_info(f.read()).get(info.GLOBAL_STEP)
      with open(bundle.member_path(directory, name, 'tflite'), 'rb') as f:
        model = f.read()
    global_step = int(step) if step and step.isdigit() else None
    return model, ScoredModel(path, name, facts.tflite_format, global_step)
  if not os.path.isfile(path):
    raise errors.BadInputError('--tflite does not exist: %s' % path)
  with open(path, 'rb') as f:
    model = f.read()
  try:
    tflite_format = tflite.model_format(model)
  except (ValueError, litert.LoadError) as e:
    raise errors.BadInputError('--tflite %s is not a model this project '
                               'makes: %s' % (path, errors.one_line(e))) from e
  return model, ScoredModel(path, None, tflite_format, None)


def evaluate_path(path, dataset, num_examples=None, num_threads=1,
                  eval_dir=''):
  """Scores the .tflite at `path` (or a bundle's) on `dataset`.

  Returns:
    (EvalResult with the bundle's global step, ScoredModel). With eval_dir,
    also writes <eval_dir>/metrics.json, whose `tflite` and `tflite_format`
    say which model and format were scored.

  Raises:
    errors.BadInputError, errors.JobFailedError: as read_model and
      evaluate_tflite.
  """
  model, scored = read_model(path)
  result = evaluate_tflite(model, dataset, num_examples, num_threads)
  result = result._replace(global_step=scored.global_step)
  if eval_dir:
    metrics.write_metrics(eval_dir, result, tflite=scored.path,
                          bundle=scored.bundle,
                          tflite_format=scored.tflite_format)
  return result, scored
