"""The trainer and eval binaries on hostile but realistic input (issue 15).

Each case ends in one `error: ...` line naming the file, flag or value, exit
status 2 (3 for a diverged run), no traceback, and nothing unusable kept.
"""

import json
import os
import resource
import shutil
import subprocess
import time

import numpy as np
import tensorflow.compat.v1 as tf

from training import test_util as util

util.use_test_data_cache()

# pylint: disable=g-import-not-at-top,g-bad-import-order
from core import locks
from core import scripts
from model import checkpoints
# pylint: enable=g-import-not-at-top,g-bad-import-order


class HardeningTest(tf.test.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.train_dir = util.train_with_binary('good', 2)

  def assert_one_line_error(self, binary, args, *words, exit_code=2):
    return util.assert_one_line_error(self, binary, args, *words,
                                      exit_code=exit_code)

  def _copy_of_good_run(self, name):
    directory = os.path.join(util.new_dir(name), 'run')
    shutil.copytree(self.train_dir, directory)
    return directory

  def test_non_finite_checkpoint_is_refused_by_eval_and_export(self):
    directory = self._copy_of_good_run('inf')
    prefix = checkpoints.latest_checkpoint(directory)
    reader = tf.train.load_checkpoint(prefix)
    graph = tf.Graph()
    with graph.as_default():
      created = []
      for name in reader.get_variable_to_shape_map():
        value = reader.get_tensor(name)
        if name.endswith('Conv2d_0/BatchNorm/moving_variance'):
          value = np.full_like(value, np.inf)
        created.append(tf.Variable(value, name=name))
      saver = tf.train.Saver(created)
      with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        saver.save(sess, prefix, write_meta_graph=False)
    self.assert_one_line_error(
        'mobilenet_v1_eval', util.TINY_FLAGS + ['--checkpoint_dir=' +
                                                directory],
        'holds NaN or Inf', 'Conv2d_0/BatchNorm/moving_variance')
    out = util.new_dir('inf_out')
    self.assert_one_line_error(
        'tools/export_bundle', ['--depth_multiplier=0.25', '--image_size=32',
                                '--checkpoint=' + directory,
                                '--output_dir=' + out],
        'holds NaN or Inf')
    self.assertEqual(os.listdir(out), [])

  def test_a_moved_run_trains_evaluates_and_exports(self):
    moved = self._copy_of_good_run('moved')
    # An older run's state file: absolute paths to where it was trained.
    with open(os.path.join(moved, 'checkpoint'), 'w') as f:
      f.write('model_checkpoint_path: "%s/model.ckpt-2"\n' % self.train_dir)
    run = util.run_binary('mobilenet_v1_eval', util.TINY_FLAGS + [
        '--checkpoint_dir=' + moved, '--num_examples=8'])
    self.assertEqual(run.returncode, 0, run.stderr[-2000:])
    self.assertIn(os.path.join(moved, 'model.ckpt-2'), run.stdout)
    run = util.run_binary('mobilenet_v1_train', util.TINY_FLAGS + [
        '--checkpoint_dir=' + moved, '--number_of_steps=3'])
    self.assertEqual(run.returncode, 0, run.stderr[-2000:])
    with open(os.path.join(moved, 'checkpoint')) as f:
      state = f.read()
    self.assertIn('model_checkpoint_path: "model.ckpt-3"', state)  # Relative.

  def test_second_trainer_on_one_directory_is_refused(self):
    directory = util.new_dir('locked')
    first = subprocess.Popen(
        util.binary_command('mobilenet_v1_train') + util.TINY_FLAGS + [
            '--checkpoint_dir=' + directory, '--number_of_steps=100000'],
        env=scripts.script_env(), stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    try:
      lock = os.path.join(directory, locks.LOCK_FILENAME)
      deadline = time.time() + 120
      while time.time() < deadline:
        if os.path.exists(lock) and os.path.getsize(lock):
          break
        time.sleep(0.2)
      with open(lock) as f:
        self.assertEqual(json.load(f)['pid'], first.pid)
      self.assert_one_line_error(
          'mobilenet_v1_train', util.TINY_FLAGS + [
              '--checkpoint_dir=' + directory, '--number_of_steps=5'],
          'is in use by process %d' % first.pid, directory)
    finally:
      first.kill()
      first.wait()

  def test_unusable_directories(self):
    afile = os.path.join(util.new_dir('file'), 'afile')
    open(afile, 'w').close()
    self.assert_one_line_error(
        'mobilenet_v1_train', util.TINY_FLAGS + ['--checkpoint_dir=' + afile],
        '--checkpoint_dir is a file, not a directory', afile)
    self.assert_one_line_error(
        'mobilenet_v1_eval', util.TINY_FLAGS + [
            '--checkpoint_dir=' + self.train_dir, '--eval_dir=' + afile],
        '--eval_dir is a file, not a directory', afile)

  def test_file_size_limit_is_one_line_and_leaves_no_partial_files(self):
    directory = util.new_dir('fsize')

    def limit_file_size():
      resource.setrlimit(resource.RLIMIT_FSIZE, (200 * 1024, 200 * 1024))

    run = subprocess.run(
        util.binary_command('mobilenet_v1_train') + util.TINY_FLAGS + [
            '--checkpoint_dir=' + directory, '--number_of_steps=3'],
        env=scripts.script_env(), capture_output=True, text=True,
        preexec_fn=limit_file_size, timeout=300, check=False)
    self.assertEqual(run.returncode, 2, run.stderr[-2000:])
    self.assertNotIn('Traceback', run.stderr)
    last_line = run.stderr.strip().splitlines()[-1]
    self.assertStartsWith(last_line, 'error: ')
    self.assertIn('File too large', last_line)
    self.assertIn(directory, last_line)
    left = os.listdir(directory)
    self.assertFalse([n for n in left if '.tmp' in n or n.endswith('_temp')],
                     left)

  def test_corrupt_shard_is_named(self):
    root = util.new_dir('corrupt')
    records = util.digit_images_dataset(root, upscale=2, num_shards=2)
    shard = os.path.join(records, 'train-00001-of-00002')
    with open(shard, 'r+b') as f:
      f.truncate(5000)
    self.assert_one_line_error(
        'mobilenet_v1_train', util.TINY_FLAGS + [
            '--dataset_dir=' + records, '--checkpoint_dir=' +
            os.path.join(root, 'train'), '--number_of_steps=400'],
        shard, 'is corrupt')

  def test_quantized_checkpoint_needs_quantize_to_evaluate(self):
    directory = util.new_dir('quant')
    run = util.run_binary('mobilenet_v1_train', util.TINY_FLAGS + [
        '--checkpoint_dir=' + directory, '--number_of_steps=1', '--quantize',
        '--fine_tune_checkpoint=' + self.train_dir])
    self.assertEqual(run.returncode, 0, run.stderr[-2000:])
    self.assert_one_line_error(
        'mobilenet_v1_eval', util.TINY_FLAGS + ['--checkpoint_dir=' +
                                                directory],
        'was trained with --quantize', 'evaluate it with --quantize')

  def test_exclude_scope_that_matches_nothing(self):
    self.assert_one_line_error(
        'mobilenet_v1_train', util.TINY_FLAGS + [
            '--checkpoint_dir=' + util.new_dir('exclude'),
            '--fine_tune_checkpoint=' + self.train_dir,
            '--checkpoint_exclude_scopes=MobilenetV1/Logitz'],
        '--checkpoint_exclude_scopes: MobilenetV1/Logitz matches no variable')

  def test_inputs_above_256_px_train_and_evaluate(self):
    directory = util.new_dir('large')
    flags = ['--depth_multiplier=0.25', '--image_size=288', '--num_threads=1']
    run = util.run_binary('mobilenet_v1_train', flags + [
        '--batch_size=2', '--checkpoint_dir=' + directory,
        '--number_of_steps=1'])
    self.assertEqual(run.returncode, 0, run.stderr[-2000:])
    run = util.run_binary('mobilenet_v1_eval', flags + [
        '--checkpoint_dir=' + directory, '--num_examples=4'])
    self.assertEqual(run.returncode, 0, run.stderr[-2000:])
    self.assertIn('(4 examples, step 1', run.stdout)


if __name__ == '__main__':
  tf.test.main()
