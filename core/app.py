"""How every binary of the project starts and ends.

    if __name__ == '__main__':
      app.run(main)

absl's app.run, with one contract for all binaries (core.errors): a bad flag
(absl's own parsing errors included), a BadInputError, a positional argument
or a file that cannot be read or written (a full disk, a file-size limit, no
permission) ends in one `error: ...` line on stderr and exit status 2; a
JobFailedError in one line and status 3; an interrupt (Ctrl-C or SIGTERM,
which unwinds the same way, so temporary files are removed) in one line and
status 130. Anything else is a bug and keeps its traceback.
"""

import logging as std_logging
import os
import signal
import sys

from absl import app as absl_app
from absl import flags

from core import errors

# Quieter TensorFlow C++ start-up logs (INFO lines) unless the user asked.
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '1')


# What file errors say, in Python's OSError and in TensorFlow's own errors
# (which come as other exception types, with the path in the message).
_FILE_ERRORS = ('File too large', 'No space left on device',
                'Permission denied', 'Read-only file system',
                'is not a directory', 'Disk quota exceeded',
                'Too many open files')


def file_error_message(error):
  """One line for an exception from reading or writing a file, else None."""
  hint = ' (check the path, free disk space, file-size limits and permissions)'
  if isinstance(error, OSError) and error.strerror:
    return 'cannot use %s: %s%s' % (error.filename or 'a file',
                                    error.strerror, hint)
  text = errors.one_line(error)
  if (type(error).__module__.startswith('tensorflow') and
      any(known in text for known in _FILE_ERRORS)):
    return text[:300] + hint
  return None


def report_error(error, exit_code):
  """Prints `error: <one line>` to stderr and exits with `exit_code`."""
  sys.stderr.write('error: %s\n' % errors.one_line(error))
  sys.stderr.flush()
  sys.exit(exit_code)


def _parse_flags(argv):
  """absl's flag parsing, with its errors reported as every other bad input."""
  try:
    return flags.FLAGS(argv)
  except flags.Error as e:
    report_error(e, errors.EXIT_BAD_INPUT)


def _log_once():
  """Drops TensorFlow's own log handler: absl's already prints every line."""
  tf_logger = std_logging.getLogger('tensorflow')
  for handler in list(tf_logger.handlers):
    tf_logger.removeHandler(handler)


def _interrupt_on_sigterm():
  """SIGTERM unwinds like Ctrl-C: `finally` blocks clean up temporary files."""

  def interrupt(signum, frame):
    del signum, frame
    raise KeyboardInterrupt('SIGTERM')

  signal.signal(signal.SIGTERM, interrupt)


def run(main, interrupted_message='interrupted', takes_arguments=False):
  """absl's app.run(main) under the contract of the module doc.

  interrupted_message: what an interrupt leaves behind, said in its line
  (e.g. that a trainer resumes from its checkpoints).
  takes_arguments: pass positional arguments to main instead of refusing
  them (a launcher that hands them on).
  """

  def guarded_main(argv):
    _log_once()
    _interrupt_on_sigterm()
    if len(argv) > 1 and not takes_arguments:
      report_error('unexpected arguments: %s' % ' '.join(argv[1:]),
                   errors.EXIT_BAD_INPUT)
    try:
      return main(argv)
    except errors.BadInputError as e:
      report_error(e, errors.EXIT_BAD_INPUT)
    except errors.JobFailedError as e:
      report_error(e, errors.EXIT_JOB_FAILED)
    except KeyboardInterrupt:
      report_error(interrupted_message, errors.EXIT_INTERRUPTED)
    except Exception as e:  # pylint: disable=broad-except
      message = file_error_message(e)
      if message is None:
        raise  # A bug: keep the traceback.
      report_error(message, errors.EXIT_BAD_INPUT)

  absl_app.run(guarded_main, flags_parser=_parse_flags)
