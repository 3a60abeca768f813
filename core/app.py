"""How every binary of the project starts and ends.

    if __name__ == '__main__':
      app.run(main)

absl's app.run, with one contract for all binaries (core.errors): a bad flag
(absl's own parsing errors included), a BadInputError or a positional
argument (unless the binary takes some) ends in one `error: ...` line on
stderr and exit status 2; a
JobFailedError in one line and status 3; an interrupt in one line and status
130. Anything else is a bug and keeps its traceback.
"""

import logging as std_logging
import os
import sys

from absl import app as absl_app
from absl import flags

from core import errors

# Quieter TensorFlow C++ start-up logs (INFO lines) unless the user asked.
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '1')


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


def run(main, interrupted_message='interrupted', takes_arguments=False):
  """absl's app.run(main) under the contract of the module doc.

  interrupted_message: what an interrupt leaves behind, said in its line
  (e.g. that a trainer resumes from its checkpoints).
  takes_arguments: main gets positional arguments (argv[1:]) and checks
  them itself; otherwise any is refused.
  """

  def guarded_main(argv):
    _log_once()
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

  absl_app.run(guarded_main, flags_parser=_parse_flags)
