"""The train and eval binaries on bad input and on a diverging loss.

Each must end with one `error: ...` line naming the problem, a non-zero exit
and no traceback.
"""

import glob
import os

import numpy as np
import tensorflow.compat.v1 as tf

from training import test_util as util

util.use_test_data_cache()

# pylint: disable=g-import-not-at-top,g-bad-import-order
from model import checkpoints
# pylint: enable=g-import-not-at-top,g-bad-import-order


class BinariesTest(tf.test.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.train_dir = util.train_with_binary('good', 3, '--batch_norm_decay=0.9')

  def assert_one_line_error(self, binary, args, *words, exit_code=2):
    return util.assert_one_line_error(self, binary, args, *words,
                                      exit_code=exit_code)

  def test_first_lines_are_the_binarys_own(self):
    # No CUDA probing, CPU-feature, oneDNN or deprecation lines first.
    run = util.run_binary('mobilenet_v1_train', ['--depth_multiplier=0'])
    self.assertEqual(run.returncode, 2)
    self.assertEqual(run.stderr.strip().splitlines(),
                     ['error: --depth_multiplier must be > 0, got 0.0'])
    run = util.run_binary('mobilenet_v1_eval', util.TINY_FLAGS + [
        '--checkpoint_dir=' + self.train_dir, '--num_examples=8'])
    self.assertEqual(run.returncode, 0, run.stderr[-2000:])
    lines = run.stderr.strip().splitlines()
    for line in lines:
      # absl's lines name the project's modules; nothing else is printed.
      self.assertRegex(line, r'^[IWE]\d{4} [\d:.]+ +\d+ (dataset_factory|'
                       r'evaluator|batch_norm_stats)\.py:\d+\] ')
    # With --verbosity=1 TensorFlow's own lines come back.
    run = util.run_binary('mobilenet_v1_train', ['--depth_multiplier=0',
                                                 '--verbosity=1'])
    self.assertGreater(len(run.stderr.strip().splitlines()), 1)

  def test_train_bad_model_flags(self):
    base = ['--checkpoint_dir=' + util.new_dir('bad')]
    self.assert_one_line_error('mobilenet_v1_train',
                               base + ['--depth_multiplier=-1'],
                               '--depth_multiplier must be > 0, got -1')
    self.assert_one_line_error('mobilenet_v1_train', base + ['--image_size=16'],
                               '--image_size must be >= 32, got 16')
    self.assert_one_line_error('mobilenet_v1_train', base + ['--batch_size=0'],
                               '--batch_size must be > 0, got 0')
    self.assert_one_line_error('mobilenet_v1_train', base + ['stray'],
                               'unexpected arguments: stray')

  def test_train_bad_fine_tune_checkpoint(self):
    missing = os.path.join(self.train_dir, 'nothing-here')
    self.assert_one_line_error(
        'mobilenet_v1_train', util.TINY_FLAGS + [
            '--checkpoint_dir=' + util.new_dir('ft1'),
            '--fine_tune_checkpoint=' + missing],
        '--fine_tune_checkpoint does not exist', missing)
    self.assert_one_line_error(
        'mobilenet_v1_train', [
            '--depth_multiplier=0.5', '--image_size=32', '--batch_size=8',
            '--checkpoint_dir=' + util.new_dir('ft2'),
            '--fine_tune_checkpoint=' + self.train_dir],
        '--fine_tune_checkpoint does not fit the model',
        'MobilenetV1/Conv2d_0/weights has shape [3, 3, 3, 8]')

  def test_eval_without_checkpoint(self):
    empty = util.new_dir('empty')
    self.assert_one_line_error(
        'mobilenet_v1_eval', util.TINY_FLAGS + ['--checkpoint_dir=' + empty],
        '--checkpoint_dir: no checkpoint in', empty)
    self.assert_one_line_error(
        'mobilenet_v1_eval', util.TINY_FLAGS + ['--image_size=8',
                                                '--checkpoint_dir=' + empty],
        '--image_size must be >= 32')

  def test_nan_stops_and_keeps_the_last_good_checkpoint(self):
    # A copy of the good run, trained on with an absurd learning rate and a
    # checkpoint after every step: the loss blows up within a few steps.
    directory = util.new_dir('nan')
    run = util.run_binary('mobilenet_v1_train', util.TINY_FLAGS + [
        '--checkpoint_dir=' + directory, '--number_of_steps=2',
        '--save_interval_secs=0'])
    self.assertEqual(run.returncode, 0, run.stderr[-3000:])
    line = self.assert_one_line_error(
        'mobilenet_v1_train', util.TINY_FLAGS + [
            '--checkpoint_dir=' + directory, '--number_of_steps=100',
            '--save_interval_steps=1', '--learning_rate=1e30'],
        'training stopped:', 'last good checkpoint', exit_code=3)
    newest = checkpoints.latest_checkpoint(directory)
    self.assertIn(newest, line)
    step = checkpoints.Checkpoint(newest).global_step
    self.assertBetween(step, 2, 99)
    # Every checkpoint left, not only the newest, holds finite values only:
    # weights, batch-norm statistics and all.
    for index in glob.glob(os.path.join(directory, 'model.ckpt-*.index')):
      reader = tf.train.load_checkpoint(index[:-len('.index')])
      for name in reader.get_variable_to_shape_map():
        value = reader.get_tensor(name)
        if np.issubdtype(np.asarray(value).dtype, np.floating):
          self.assertTrue(np.all(np.isfinite(value)), (index, name))


if __name__ == '__main__':
  tf.test.main()
