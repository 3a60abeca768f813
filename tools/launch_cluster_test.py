"""A real parameter-server cluster on 127.0.0.1: one ps and two workers."""

import glob
import os
import re

import tensorflow.compat.v1 as tf

from training import test_util as util

util.use_test_data_cache()

# pylint: disable=g-import-not-at-top,g-bad-import-order
from model import checkpoints
from tools import launch_cluster
# pylint: enable=g-import-not-at-top,g-bad-import-order


# Progress lines only: the start line also names the step.
_STEP_RE = re.compile(r'\bstep (\d+)/(\d+)  loss')


class LaunchClusterTest(tf.test.TestCase):

  def test_one_ps_two_workers_train_together(self):
    checkpoint_dir = util.new_dir('dist')
    log_dir = util.new_dir('dist_logs')
    logs = launch_cluster.run_cluster(
        1, 2, util.TINY_FLAGS + [
            '--checkpoint_dir=' + checkpoint_dir, '--number_of_steps=150',
            '--log_every_n_steps=1', '--save_interval_secs=0',
            '--save_summaries_secs=0'],
        log_dir, timeout_secs=240)
    self.assertCountEqual(logs, ['ps_0', 'worker_0', 'worker_1'])
    texts = {}
    for name, path in logs.items():
      with open(path) as f:
        texts[name] = f.read()
    self.assertIn('started ps task 0 at grpc://127.0.0.1:', texts['ps_0'])
    steps = {}
    for worker in ('worker_0', 'worker_1'):
      self.assertIn('started worker task %s' % worker[-1], texts[worker])
      self.assertIn('training done', texts[worker])
      steps[worker] = [int(s) for s, _ in _STEP_RE.findall(texts[worker])]
    # The global step lives on the ps and both workers advanced it (each
    # logs every step it ran); together they reached the target.
    self.assertNotEmpty(steps['worker_0'])
    self.assertNotEmpty(steps['worker_1'])
    self.assertGreaterEqual(max(steps['worker_0'] + steps['worker_1']), 150)
    # The chief saved the final checkpoint, with the variables from the ps.
    newest = checkpoints.latest_checkpoint(checkpoint_dir)
    self.assertGreaterEqual(checkpoints.Checkpoint(newest).global_step, 150)
    self.assertIn('MobilenetV1/Conv2d_0/weights',
                  dict(tf.train.list_variables(newest)))
    self.assertTrue(glob.glob(os.path.join(checkpoint_dir, '*.index')))

  def test_failing_worker_stops_the_cluster(self):
    log_dir = util.new_dir('dist_fail')
    with self.assertRaisesRegex(launch_cluster.ClusterError,
                                r'worker_\d exited with 2'):
      launch_cluster.run_cluster(
          1, 2, ['--depth_multiplier=-1',
                 '--checkpoint_dir=' + util.new_dir('dist_fail_ckpt')],
          log_dir, timeout_secs=120)
    with open(os.path.join(log_dir, 'ps_0.log')) as f:
      self.assertNotIn('Traceback', f.read())

  def test_free_ports_are_distinct(self):
    ports = launch_cluster.free_ports(5, '127.0.0.1')
    self.assertLen(set(ports), 5)


if __name__ == '__main__':
  tf.test.main()
