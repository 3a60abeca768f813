"""Tests of the evaluator: exact counting, partial batches, outputs, errors."""

import glob
import json
import os
import time

import numpy as np
import tensorflow.compat.v1 as tf

from training import test_util as util

util.use_test_data_cache()

# pylint: disable=g-import-not-at-top,g-bad-import-order
from core import errors
from core import metrics
from datasets import dataset_factory
from datasets import digits
from export import freeze
from export import tflite
from export import tflite_eval
from model import builder
from training import evaluator
from training import trainer
from sklearn import datasets as sk_datasets
# pylint: enable=g-import-not-at-top,g-bad-import-order


class CountCorrectTest(tf.test.TestCase):

  def test_hand_made_batch(self):
    logits = np.array([
        [0.1, 0.9, 0.0, 0.0, 0.0, 0.0, 0.0],   # label 1: top-1
        [0.5, 0.4, 0.3, 0.2, 0.1, 0.0, -1.],   # label 4: 5th -> top-5 only
        [0.5, 0.4, 0.3, 0.2, 0.1, 0.0, -1.],   # label 5: 6th -> neither
        [0.2, 0.2, 0.0, 0.0, 0.0, 0.0, 0.0],   # label 1: tie, argmax is 0
    ])
    labels = np.array([1, 4, 5, 1])
    self.assertEqual(metrics.count_correct(logits, labels), (1, 3))
    self.assertEqual(metrics.count_correct(logits, labels, k=1), (1, 2))


class EvaluateTest(tf.test.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    # A briefly trained model, so that predictions differ between examples.
    cls.train_dir = util.new_dir('eval_train')
    trainer.train(
        util.tiny_train_config(cls.train_dir, number_of_steps=25,
                               learning_rate=0.05))
    cls.checkpoint = tf.train.latest_checkpoint(cls.train_dir)

  def _config(self, **overrides):
    kwargs = dict(util.TINY, checkpoint_dir=self.train_dir, num_threads=1)
    kwargs.update(overrides)
    return evaluator.EvalConfig(**kwargs)

  def _by_hand(self, num_examples, return_labels=False):
    """Top-1 and top-5 hits of the first examples, in one batch, by numpy."""
    dataset = dataset_factory.get_dataset(None, 'validation')
    with tf.Graph().as_default():
      data = dataset.input_dataset(num_examples, 32, is_training=False)
      images, labels = tf.data.make_one_shot_iterator(data).get_next()
      logits, _ = builder.build_eval_model(images, 10, 0.25, False)
      with tf.Session() as session:
        tf.train.Saver().restore(session, self.checkpoint)
        logits, labels = session.run([logits, labels])
    self.assertLen(labels, num_examples)
    order = np.argsort(-logits, axis=1, kind='stable')
    top1 = int(np.sum(order[:, 0] == labels))
    top5 = int(sum(label in row[:5] for row, label in zip(order, labels)))
    if return_labels:
      return top1, top5, labels
    return top1, top5

  def test_partial_last_batch_matches_hand_count(self):
    eval_dir = util.new_dir('eval_out')
    # 20 examples in batches of 7: 7 + 7 + a partial 6.
    result = evaluator.evaluate(
        self._config(batch_size=7, num_examples=20, eval_dir=eval_dir))
    top1, top5 = self._by_hand(20)
    self.assertEqual(result.num_examples, 20)
    self.assertEqual(result.accuracy, top1 / 20)
    self.assertEqual(result.recall_5, top5 / 20)
    self.assertEqual(result.global_step, 25)
    with open(os.path.join(eval_dir, 'metrics.json')) as f:
      record = json.load(f)
    self.assertEqual(record, {
        'accuracy': top1 / 20, 'recall_5': top5 / 20, 'num_examples': 20,
        'global_step': 25, 'checkpoint': os.path.abspath(self.checkpoint),
        'quantized': False})
    tags = {}
    for path in glob.glob(os.path.join(eval_dir, 'events.out.tfevents.*')):
      for event in tf.train.summary_iterator(path):
        for value in event.summary.value:
          tags[value.tag] = (event.step, value.simple_value)
    self.assertEqual(tags['eval/Accuracy'][0], 25)
    self.assertAlmostEqual(tags['eval/Accuracy'][1], top1 / 20, places=6)
    self.assertAlmostEqual(tags['eval/Recall_5'][1], top5 / 20, places=6)

  def test_whole_split_counts_each_example_once(self):
    # 360 validation digits in batches of 50: seven full and a partial 10.
    result = evaluator.evaluate(
        self._config(batch_size=50, checkpoint_dir=self.checkpoint))
    top1, top5, labels = self._by_hand(360, return_labels=True)
    # The hand pass saw each validation digit once: its labels are those of
    # the fixed split.
    all_labels = sk_datasets.load_digits().target
    _, validation = digits.split_indices(all_labels)
    self.assertAllEqual(np.bincount(labels, minlength=10),
                        np.bincount(all_labels[validation], minlength=10))
    self.assertEqual(result.num_examples, 360)
    self.assertEqual(round(result.accuracy * 360), top1)
    self.assertEqual(round(result.recall_5 * 360), top5)

  def test_interval_mode_stops_at_number_of_steps(self):
    # Without the stop at --number_of_steps the watch would go on waiting
    # for a newer checkpoint until the 120 s timeout.
    start = time.time()
    result = evaluator.evaluate(
        self._config(eval_interval_secs=0.1, eval_timeout_secs=120,
                     number_of_steps=25, num_examples=8))
    self.assertEqual(result.global_step, 25)
    self.assertLess(time.time() - start, 60)

  def test_tflite_accuracy_matches_the_eval_graph(self):
    graph = builder.build_inference_graph(0.25, 32, 10, False)
    model = tflite.to_float_tflite(freeze.freeze_graph(graph,
                                                       self.checkpoint))
    dataset = dataset_factory.get_dataset(None, 'validation')
    result = tflite_eval.evaluate_tflite(model, dataset, num_examples=40)
    top1, top5 = self._by_hand(40)
    self.assertEqual(result.num_examples, 40)
    # The same pipeline and weights; XNNPACK's float arithmetic may at most
    # flip a near tie.
    self.assertLessEqual(abs(round(result.accuracy * 40) - top1), 1)
    self.assertLessEqual(abs(round(result.recall_5 * 40) - top5), 1)

  def test_bad_input(self):
    empty = util.new_dir('eval_empty')
    with self.assertRaisesRegex(errors.BadInputError, 'no checkpoint in'):
      evaluator.evaluate(self._config(checkpoint_dir=empty))
    with self.assertRaisesRegex(errors.BadInputError, 'more than the 360'):
      evaluator.evaluate(self._config(num_examples=361))
    with self.assertRaisesRegex(errors.BadInputError, 'does not fit the model'):
      evaluator.evaluate(self._config(depth_multiplier=0.5))
    with self.assertRaisesRegex(errors.BadInputError,
                                'trained with --quantize'):
      evaluator.evaluate(self._config(quantize=True))


if __name__ == '__main__':
  tf.test.main()
