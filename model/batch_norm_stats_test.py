"""Tests for batch_norm_stats: the decay a run gets, and the settled check."""

import os

from absl.testing import absltest
import tensorflow.compat.v1 as tf

from model import batch_norm_stats
from model import checkpoints


def _save(directory, variables):
  """A checkpoint holding `variables` ({name: value})."""
  graph = tf.Graph()
  with graph.as_default():
    created = [tf.Variable(value, name=name, dtype=tf.float32)
               for name, value in variables.items()]
    saver = tf.train.Saver(created)
    with tf.Session(graph=graph) as sess:
      sess.run(tf.global_variables_initializer())
      return checkpoints.Checkpoint(
          saver.save(sess, os.path.join(directory, 'model.ckpt')))


class ChooseDecayTest(absltest.TestCase):

  def test_long_or_endless_runs_keep_the_original(self):
    for steps in (None, 0, 25000, 10**6):
      decay, _ = batch_norm_stats.choose_decay(steps)
      self.assertEqual(decay, batch_norm_stats.ORIGINAL_DECAY)

  def test_short_runs_get_a_decay_that_settles_within_them(self):
    for steps in (300, 1500, 10000):
      decay, why = batch_norm_stats.choose_decay(steps)
      self.assertLess(decay, batch_norm_stats.ORIGINAL_DECAY)
      self.assertAlmostEqual(decay**steps, batch_norm_stats.SETTLED_SHARE,
                             places=9)
      self.assertIn('%d steps' % steps, why)
    # Never below MIN_DECAY: a 10-step run cannot settle.
    self.assertEqual(batch_norm_stats.choose_decay(10)[0],
                     batch_norm_stats.MIN_DECAY)
    # 1500 steps: the original would leave 64 % of each average initial.
    self.assertIn('64 %', batch_norm_stats.choose_decay(1500)[1])


class CheckSettledTest(absltest.TestCase):

  def test_share_above_the_limit_warns_with_the_fix(self):
    directory = self.create_tempdir().full_path
    checkpoint = _save(directory, {
        batch_norm_stats.INITIAL_SHARE_VARIABLE: 0.9997**1500,
        'global_step': 1500.0})
    message = batch_norm_stats.check_settled(checkpoint)
    self.assertIn('64 %', message)
    self.assertIn('--batch_norm_decay', message)

  def test_settled_share_is_quiet(self):
    directory = self.create_tempdir().full_path
    checkpoint = _save(directory,
                       {batch_norm_stats.INITIAL_SHARE_VARIABLE: 0.001})
    self.assertIsNone(batch_norm_stats.check_settled(checkpoint))

  def test_statistics_never_updated_are_found_without_a_share(self):
    directory = self.create_tempdir().full_path
    checkpoint = _save(directory, {
        'Net/conv/BatchNorm/moving_mean': [0.0, 0.0],
        'Net/conv/BatchNorm/moving_variance': [1.0, 1.0],
        'Net/other/BatchNorm/moving_mean': [0.1, -0.2],
        'Net/other/BatchNorm/moving_variance': [1.5, 0.7]})
    message = batch_norm_stats.check_settled(checkpoint)
    self.assertIn('1 layers (e.g. Net/conv/BatchNorm)', message)
    updated = _save(self.create_tempdir().full_path, {
        'Net/other/BatchNorm/moving_mean': [0.1, -0.2],
        'Net/other/BatchNorm/moving_variance': [1.5, 0.7]})
    self.assertIsNone(batch_norm_stats.check_settled(updated))

  def test_share_of_a_restored_checkpoint(self):
    directory = self.create_tempdir().full_path
    recorded = _save(directory, {batch_norm_stats.INITIAL_SHARE_VARIABLE: 0.25})
    self.assertAlmostEqual(batch_norm_stats.share_of_restored(recorded), 0.25)
    published = _save(self.create_tempdir().full_path,
                      {'global_step': 100000.0})
    self.assertLess(batch_norm_stats.share_of_restored(published), 1e-10)


if __name__ == '__main__':
  absltest.main()
