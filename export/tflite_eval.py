"""Accuracy and Recall_5 of a TensorFlow Lite classifier on a dataset split.

The exported model's own figures, counted exactly as the TensorFlow eval
counts them (core.metrics): the images go through the same eval pipeline
(one ordered pass, eval preprocessing); a quantized model gets them quantized
with its input's scale and zero point, and its outputs are dequantized before
counting (the first index wins a tie, which quantized outputs make likelier).
"""

import numpy as np
import tensorflow as tf

from core import errors
from core import metrics
from core import progress
from datasets import dataset as dataset_module
from export import litert

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
