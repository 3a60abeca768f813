"""One writer per directory: a second holder is refused, naming the first."""

import os
import subprocess
import sys
import textwrap

from absl.testing import absltest

from core import errors
from core import locks
from core import scripts


class DirectoryLockTest(absltest.TestCase):

  def test_second_holder_is_refused_and_the_lock_is_released(self):
    directory = os.path.join(self.create_tempdir().full_path, 'run')
    holder = subprocess.Popen(
        [sys.executable, '-c', textwrap.dedent('''
            import sys, time
            from core import locks
            with locks.DirectoryLock(sys.argv[1], 'checkpoint_dir'):
              print('locked', flush=True)
              sys.stdin.readline()
        '''), directory], env=scripts.script_env(), stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, text=True)
    try:
      self.assertEqual(holder.stdout.readline().strip(), 'locked')
      with self.assertRaisesRegex(
          errors.BadInputError,
          r'--checkpoint_dir .*/run is in use by process %d on .* since' %
          holder.pid):
        with locks.DirectoryLock(directory, 'checkpoint_dir'):
          pass
    finally:
      holder.communicate('\n', timeout=30)
    with locks.DirectoryLock(directory, 'checkpoint_dir'):
      pass  # Free again once the holder is gone.

  def test_unusable_directory_is_one_line(self):
    afile = self.create_tempfile('afile').full_path
    with self.assertRaisesRegex(errors.BadInputError,
                                'cannot write to --output_dir .*afile'):
      with locks.DirectoryLock(afile, 'output_dir'):
        pass


if __name__ == '__main__':
  absltest.main()
