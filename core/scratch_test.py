"""Scratch directories go away, and so do those of killed processes."""

import os
import subprocess
import sys
import tempfile

from absl.testing import absltest

from core import owners
from core import scratch


class ScratchTest(absltest.TestCase):

  def test_removed_after_use_and_left_overs_of_dead_processes_too(self):
    root = self.create_tempdir().full_path
    dead = subprocess.Popen([sys.executable, '-c', 'pass'])
    dead.wait()
    left_over = os.path.join(root, 'export_bundle.%s.%d.abc' % (owners.HOST,
                                                                dead.pid))
    running = os.path.join(root, 'export_bundle.%s.%d.def' % (owners.HOST,
                                                              os.getpid()))
    other_kind = os.path.join(root, 'release.%s.%d.ghi' % (owners.HOST,
                                                           dead.pid))
    for path in (left_over, running, other_kind):
      os.makedirs(path)
    old_tempdir = tempfile.tempdir
    tempfile.tempdir = root
    try:
      with scratch.scratch_dir('export_bundle') as path:
        self.assertTrue(os.path.isdir(path))
        self.assertTrue(os.path.basename(path).startswith(
            'export_bundle.%s.' % owners.tag()))
        open(os.path.join(path, 'staged.tflite'), 'wb').close()
    finally:
      tempfile.tempdir = old_tempdir
    self.assertFalse(os.path.exists(path))
    self.assertCountEqual(os.listdir(root), [os.path.basename(running),
                                             os.path.basename(other_kind)])


if __name__ == '__main__':
  absltest.main()
