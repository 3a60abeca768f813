"""Checkpoints: found in moved directories, read once, refused when unusable."""

import os
import shutil

from absl.testing import absltest
import numpy as np
import tensorflow.compat.v1 as tf

from core import errors
from model import checkpoints


def _train_dir(directory, values, steps=(1, 2)):
  """Saves `values` ({name: value}) at each step, with absolute state paths
  (as TensorFlow's Saver writes by default, and older runs did)."""
  graph = tf.Graph()
  with graph.as_default():
    created = [tf.Variable(v, name=n, dtype=tf.float32)
               for n, v in values.items()]
    saver = tf.train.Saver(created)
    with tf.Session(graph=graph) as sess:
      sess.run(tf.global_variables_initializer())
      for step in steps:
        saver.save(sess, os.path.join(directory, 'model.ckpt'),
                   global_step=step)


class LatestCheckpointTest(absltest.TestCase):

  def test_a_moved_or_copied_directory_finds_its_own_checkpoints(self):
    root = self.create_tempdir().full_path
    original = os.path.join(root, 'run')
    _train_dir(original, {'w': [1.0, 2.0]})
    with open(os.path.join(original, 'checkpoint')) as f:
      self.assertIn(original, f.read())  # Absolute paths in the state file.
    copied = os.path.join(root, 'copy')
    shutil.copytree(original, copied)
    self.assertEqual(checkpoints.latest_checkpoint(copied),
                     os.path.join(copied, 'model.ckpt-2'))
    moved = os.path.join(root, 'moved')
    os.rename(original, moved)
    self.assertEqual(checkpoints.latest_checkpoint(moved),
                     os.path.join(moved, 'model.ckpt-2'))
    checkpoint = checkpoints.Checkpoint.resolve(moved, 'checkpoint_dir')
    self.assertEqual(checkpoint.global_step, 2)

  def test_no_checkpoint(self):
    empty = self.create_tempdir().full_path
    self.assertIsNone(checkpoints.latest_checkpoint(empty))
    with self.assertRaisesRegex(errors.BadInputError, 'no checkpoint in'):
      checkpoints.Checkpoint.resolve(empty, 'checkpoint_dir')


class CheckValuesTest(absltest.TestCase):

  def test_truncated_data_is_one_line_naming_the_checkpoint(self):
    directory = self.create_tempdir().full_path
    _train_dir(directory, {'w': np.ones([64, 64])}, steps=(1,))
    prefix = os.path.join(directory, 'model.ckpt-1')
    os.truncate(prefix + '.data-00000-of-00001', 100)
    with self.assertRaisesRegex(
        errors.BadInputError,
        r'--checkpoint cannot be read: .*model.ckpt-1: .*truncated or '
        'corrupt'):
      checkpoints.Checkpoint(prefix).check_values()

  def test_non_finite_values_are_refused(self):
    directory = self.create_tempdir().full_path
    _train_dir(directory, {'a': [1.0], 'b/moving_variance': [np.inf]},
               steps=(1,))
    with self.assertRaisesRegex(errors.BadInputError,
                                'holds NaN or Inf \\(in b/moving_variance\\)'):
      checkpoints.Checkpoint(
          os.path.join(directory, 'model.ckpt-1')).check_values()

  def test_ranges_of_earlier_versions_restore_under_contribs_names(self):
    directory = self.create_tempdir().full_path
    _train_dir(directory, {'MobilenetV1/Conv2d_0/act_quant/min': 0.5,
                           'MobilenetV1/Conv2d_0/weights': [1.0]}, steps=(1,))
    checkpoint = checkpoints.Checkpoint(os.path.join(directory,
                                                     'model.ckpt-1'))
    with tf.Graph().as_default():
      new_name = tf.Variable(0.0, name=(
          'MobilenetV1/MobilenetV1/Conv2d_0/act_quant/min'))
      weights = tf.Variable([0.0], name='MobilenetV1/Conv2d_0/weights')
      plan = checkpoint.plan_restore([new_name, weights])
      self.assertEqual(plan, {'MobilenetV1/Conv2d_0/act_quant/min': new_name,
                              'MobilenetV1/Conv2d_0/weights': weights})
      with tf.Session() as sess:
        tf.train.Saver(var_list=plan).restore(sess, checkpoint.path)
        self.assertEqual(sess.run(new_name), 0.5)

  def test_quant_ranges(self):
    directory = self.create_tempdir().full_path
    _train_dir(directory, {'L/weights': [1.0], 'L/act_quant/min': 0.0,
                           'L/act_quant/max': 6.0}, steps=(1,))
    checkpoint = checkpoints.Checkpoint(os.path.join(directory,
                                                     'model.ckpt-1'))
    self.assertEqual(checkpoint.quant_ranges(),
                     ['L/act_quant/max', 'L/act_quant/min'])
    checkpoint.check_values()  # All finite and readable.


if __name__ == '__main__':
  absltest.main()
