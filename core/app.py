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

import importlib.abc
import importlib.util
import os
import signal
import sys
import warnings

from absl import app as absl_app
from absl import flags

from core import errors
from core import library_logs

# Third-party modules whose warnings (deprecations, `layer.apply`...) are
# noise to a user of the binaries; --verbosity=1 shows them again.
_NOISY_MODULES = r'(tensorflow|tf_keras|keras|tf_slim|tensorflow_model_optimization)'


def verbose_requested(argv):
  """Whether absl's --verbosity / -v asks for debugging output (>= 1)."""
  for index, arg in enumerate(argv[1:], 1):
    for name in ('--verbosity', '-v'):
      if arg == name and index + 1 < len(argv):
        value = argv[index + 1]
      elif arg.startswith(name + '='):
        value = arg[len(name) + 1:]
      else:
        continue
      try:
        return int(value) >= 1
      except ValueError:
        return False
  return False


class _QuietImport(importlib.abc.MetaPathFinder, importlib.abc.Loader):
  """Imports one package with stderr pointed at /dev/null, when it is first
  imported (binaries that never use TensorFlow never pay for it)."""

  def __init__(self, name):
    self._name = name
    self._loader = None

  def find_spec(self, fullname, path=None, target=None):
    del path, target
    if fullname != self._name:
      return None
    sys.meta_path.remove(self)
    spec = importlib.util.find_spec(fullname)
    if spec is not None and spec.loader is not None:
      self._loader = spec.loader
      spec.loader = self
    return spec

  def create_module(self, spec):
    return self._loader.create_module(spec)

  def exec_module(self, module):
    sys.stderr.flush()
    saved = os.dup(2)
    try:
      with open(os.devnull, 'w') as devnull:
        os.dup2(devnull.fileno(), 2)
        self._loader.exec_module(module)
    finally:
      os.dup2(saved, 2)
      os.close(saved)


def _start_quietly(argv):
  """A binary's first lines are its own, not TensorFlow's start-up noise.

  Set up once, when this module is imported (binaries import it before any
  TensorFlow module): TensorFlow's import runs with stderr pointed at
  /dev/null (it prints CUDA probing, CPU-feature and oneDNN lines below any
  log level), its C++ log level is set to errors only, and the Python
  warnings of the libraries are filtered. --verbosity=1 (or -v 1) keeps all
  of it, for debugging; a user's own TF_CPP_MIN_LOG_LEVEL wins.
  """
  if verbose_requested(argv):
    os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '0')
    return
  os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')
  warnings.filterwarnings('ignore', category=DeprecationWarning,
                          module=_NOISY_MODULES)
  warnings.filterwarnings('ignore', category=UserWarning,
                          module=_NOISY_MODULES)
  if 'tensorflow' not in sys.modules:
    sys.meta_path.insert(0, _QuietImport('tensorflow'))


_start_quietly(sys.argv)


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
    library_logs.quiet(verbose_requested(sys.argv))
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
