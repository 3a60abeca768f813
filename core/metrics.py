"""Top-1 Accuracy and top-5 Recall_5: how they are counted and recorded.

The one definition, shared by the eval of TensorFlow graphs, the eval of
.tflite models, the release and the reports (the original's streaming
metrics):
  Accuracy: argmax of the logits (first index on ties) equals the label.
  Recall_5: the label's logit is beaten by fewer than 5 others
    (tf.nn.in_top_k: a tie with the 5th counts as in the top 5).
Counting is exact: every example is counted once, so the figures are exact
fractions of the examples seen. An eval's result is kept in
`<eval_dir>/metrics.json`, written atomically.
"""

import collections
import json
import os

import numpy as np

from core import atomic_file

METRICS_FILENAME = 'metrics.json'
TOP_K = 5

EvalResult = collections.namedtuple(
    'EvalResult', ['accuracy', 'recall_5', 'num_examples', 'global_step',
                   'checkpoint'])


def count_correct(logits, labels, k=TOP_K):
  """(top-1 hits, top-k hits) of a batch, as defined in the module doc."""
  logits = np.asarray(logits)
  labels = np.asarray(labels).astype(np.int64)
  top1 = int(np.sum(np.argmax(logits, axis=1) == labels))
  label_logits = logits[np.arange(len(labels)), labels]
  beaten_by = np.sum(logits > label_logits[:, None], axis=1)
  topk = int(np.sum(beaten_by < k))
  return top1, topk


class Scorer(object):
  """Adds up the hits of the batches of one pass, up to `num_examples`."""

  def __init__(self, num_examples):
    self.num_examples = num_examples
    self.seen = self.top1 = self.topk = 0

  @property
  def done(self):
    return self.seen >= self.num_examples

  def add(self, logits, labels):
    """Counts a batch (only as much of it as is still wanted)."""
    keep = min(len(labels), self.num_examples - self.seen)
    hits1, hitsk = count_correct(np.asarray(logits)[:keep],
                                 np.asarray(labels)[:keep])
    self.top1 += hits1
    self.topk += hitsk
    self.seen += keep

  def result(self, global_step=None, checkpoint=None):
    """The EvalResult; JobFailedError-free: the caller checks `done`."""
    return EvalResult(accuracy=self.top1 / self.seen,
                      recall_5=self.topk / self.seen,
                      num_examples=self.seen, global_step=global_step,
                      checkpoint=checkpoint)


def write_metrics(eval_dir, result, **extra):
  """<eval_dir>/metrics.json from an EvalResult (and extra fields)."""
  record = dict(result._asdict(), **extra)
  return atomic_file.write_json(os.path.join(eval_dir, METRICS_FILENAME),
                                record)


def read_metrics(path):
  """The dict of a metrics.json; ValueError if it is not one."""
  with open(path, encoding='utf-8') as f:
    record = json.load(f)
  if not isinstance(record, dict) or not all(
      k in record for k in ('accuracy', 'recall_5')):
    raise ValueError('not a metrics.json (no accuracy and recall_5)')
  return record
