"""The exit-code contract every binary shares, run as a real process."""

import os
import signal
import subprocess
import sys
import textwrap
import time

from absl.testing import absltest

from core import app
from core import errors
from core import scripts

# A tiny binary on core.app: each --mode ends another way.
_BINARY = textwrap.dedent('''
    import os, sys, time
    from absl import flags
    from core import app, errors
    flags.DEFINE_enum('mode', 'ok', ['ok', 'bad', 'failed', 'bug', 'oserror',
                                     'sleep'], '')
    flags.DEFINE_integer('count', 1, '')
    FLAGS = flags.FLAGS

    def main(argv):
      if FLAGS.mode == 'bad':
        raise errors.BadInputError('--count must be > 0, got -1')
      if FLAGS.mode == 'failed':
        raise errors.JobFailedError('training stopped: the loss became NaN')
      if FLAGS.mode == 'bug':
        raise KeyError('a bug')
      if FLAGS.mode == 'oserror':
        open(os.path.join(os.environ['TEST_TMPDIR'], 'no', 'such', 'f'), 'w')
      if FLAGS.mode == 'sleep':
        try:
          print('started', flush=True)
          time.sleep(60)
        finally:
          print('cleaned up', flush=True)
      print('done')

    if __name__ == '__main__':
      app.run(main, interrupted_message='interrupted; nothing was kept')
''')


class ExitCodeTest(absltest.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.script = os.path.join(absltest.get_default_test_tmpdir(), 'tiny.py')
    with open(cls.script, 'w') as f:
      f.write(_BINARY)

  def _run(self, *args):
    return subprocess.run([sys.executable, self.script] + list(args),
                          env=scripts.script_env(), capture_output=True,
                          text=True, timeout=60, check=False)

  def _assert_one_line(self, result, code, text):
    self.assertEqual(result.returncode, code, result.stderr)
    lines = [l for l in result.stderr.splitlines() if l.startswith('error:')]
    self.assertEqual(len(lines), 1, result.stderr)
    self.assertIn(text, lines[0])
    self.assertNotIn('Traceback', result.stderr)

  def test_each_ending_has_its_status(self):
    self.assertEqual(self._run().returncode, 0)
    self._assert_one_line(self._run('--mode=bad'), errors.EXIT_BAD_INPUT,
                          '--count must be > 0')
    self._assert_one_line(self._run('--mode=failed'), errors.EXIT_JOB_FAILED,
                          'loss became NaN')
    self._assert_one_line(self._run('--mode=oserror'), errors.EXIT_BAD_INPUT,
                          'No such file or directory')
    bug = self._run('--mode=bug')
    self.assertEqual(bug.returncode, 1)
    self.assertIn('Traceback', bug.stderr)

  def test_flag_errors_are_bad_input_too(self):
    for args, text in ((['--count=abc'], '--count=abc'),
                       (['--nosuchflag'], 'nosuchflag'),
                       (['--mode=other'], '--mode'),
                       (['positional'], 'unexpected arguments: positional')):
      self._assert_one_line(self._run(*args), errors.EXIT_BAD_INPUT, text)

  def test_sigterm_unwinds_like_ctrl_c(self):
    process = subprocess.Popen([sys.executable, self.script, '--mode=sleep'],
                               env=scripts.script_env(),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    self.assertEqual(process.stdout.readline().strip(), 'started')
    time.sleep(0.5)
    process.send_signal(signal.SIGTERM)
    stdout, stderr = process.communicate(timeout=60)
    self.assertEqual(process.returncode, errors.EXIT_INTERRUPTED)
    self.assertIn('cleaned up', stdout)  # `finally` ran.
    self.assertIn('error: interrupted; nothing was kept', stderr)


class FileErrorMessageTest(absltest.TestCase):

  def test_os_errors_name_the_file(self):
    message = app.file_error_message(
        OSError(27, 'File too large', '/data/run/model.ckpt-5.data'))
    self.assertIn('/data/run/model.ckpt-5.data: File too large', message)

  def test_tensorflow_file_errors_are_recognised_others_are_not(self):
    tf_error = type('OutOfRangeError', (Exception,),
                    {'__module__': 'tensorflow.python.framework.errors_impl'})
    message = app.file_error_message(
        tf_error('/run/graph.pbtxt.tmp12; File too large'))
    self.assertIn('/run/graph.pbtxt.tmp12; File too large', message)
    self.assertIsNone(app.file_error_message(tf_error('Incompatible shapes')))
    self.assertIsNone(app.file_error_message(ValueError('File too large')))


if __name__ == '__main__':
  absltest.main()
