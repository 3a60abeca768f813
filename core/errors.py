"""The errors a user can act on, and the exit status each one ends a binary with.

Libraries raise BadInputError for input the user got wrong (a flag, a file, a
value) and JobFailedError for a job that had to stop (a loss that became NaN,
an export that failed its checks). core.app turns both into one
`error: <message>` line and the exit status below; anything else is a bug and
keeps its traceback. The same contract holds for every binary of the project
and is written down in the README.
"""

EXIT_OK = 0
EXIT_BAD_INPUT = 2       # a flag, file or value the user can fix
EXIT_JOB_FAILED = 3      # the job ran and had to stop
EXIT_INTERRUPTED = 130   # SIGINT / SIGTERM, as a shell reports it


class BadInputError(ValueError):
  """Input the user can fix; the message is one line naming what is wrong."""


class JobFailedError(RuntimeError):
  """A job that had to stop (e.g. diverged); the message is one line."""


def one_line(message):
  """Collapses a message to one line (TensorFlow's errors span several)."""
  return ' '.join(str(message).split())
