"""Killing the trainer with SIGKILL at any moment loses nothing checkpointed.

The trainer saves after every step, so most kills land during a save; after
each kill the newest checkpoint must be complete and readable, and the same
command must continue from it (the global step goes on, it does not restart).
"""

import os
import random
import re
import signal
import subprocess
import time

import tensorflow.compat.v1 as tf

from training import test_util as util

util.use_test_data_cache()

# pylint: disable=g-import-not-at-top,g-bad-import-order
from core import scripts
from model import checkpoints
# pylint: enable=g-import-not-at-top,g-bad-import-order


# Progress lines only: the start line also names the step.
_STEP_RE = re.compile(r'\bstep (\d+)/\d+  loss')


class ResumeTest(tf.test.TestCase):

  def _args(self, directory, steps):
    return util.TINY_FLAGS + [
        '--checkpoint_dir=' + directory, '--number_of_steps=%d' % steps,
        '--save_interval_steps=1', '--log_every_n_steps=1',
        '--save_summaries_secs=0', '--batch_norm_decay=0.9']

  def _newest_step(self, directory):
    newest = checkpoints.latest_checkpoint(directory)
    return checkpoints.Checkpoint(newest).global_step if newest else -1

  def _assert_newest_complete(self, directory):
    newest = checkpoints.latest_checkpoint(directory)
    self.assertIsNotNone(newest)
    reader = tf.train.load_checkpoint(newest)
    names = reader.get_variable_to_shape_map()
    self.assertIn('MobilenetV1/Conv2d_13_pointwise/weights', names)
    for name in names:
      reader.get_tensor(name)  # Reads every tensor: the data is all there.
    return int(reader.get_tensor('global_step'))

  def _kill_during_training(self, directory, after_step, log_path, rng):
    with open(log_path, 'w') as log:
      process = subprocess.Popen(
          util.binary_command('mobilenet_v1_train') +
          self._args(directory, 10**6), env=scripts.script_env(), stdout=log,
          stderr=subprocess.STDOUT)
      try:
        deadline = time.time() + 240
        while self._newest_step(directory) < after_step:
          self.assertIsNone(process.poll(), 'trainer exited early')
          self.assertLess(time.time(), deadline, 'no checkpoint in time')
          time.sleep(0.05)
        time.sleep(rng.uniform(0.0, 0.4))
      finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
    self.assertEqual(process.returncode, -signal.SIGKILL)

  def test_sigkill_then_resume(self):
    rng = random.Random(5)
    directory = util.new_dir('resume')
    logs = util.new_dir('resume_logs')
    steps = []
    for attempt in range(3):
      self._kill_during_training(
          directory, (steps[-1] if steps else 0) + 3,
          os.path.join(logs, 'kill%d.log' % attempt), rng)
      steps.append(self._assert_newest_complete(directory))
    # Every run continued from the one before it.
    self.assertEqual(steps, sorted(steps))
    self.assertGreaterEqual(steps[-1], 9)

    last = steps[-1]
    run = util.run_binary('mobilenet_v1_train', self._args(directory,
                                                           last + 4))
    self.assertEqual(run.returncode, 0, run.stderr[-3000:])
    self.assertIn('resuming from', run.stderr)
    logged = [int(s) for s in _STEP_RE.findall(run.stderr)]
    self.assertEqual(logged, list(range(last + 1, last + 5)))
    self.assertEqual(self._assert_newest_complete(directory), last + 4)


if __name__ == '__main__':
  tf.test.main()
