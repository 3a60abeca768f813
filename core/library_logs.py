"""The libraries' Python log lines, as the project's binaries show them.

No import-time effects, so that spawned worker processes can call quiet()
as binaries do (core.app.run).
"""

import logging as std_logging
import re


class _LibraryNoiseFilter(std_logging.Filter):
  """Lets through the project's records and the libraries' errors only.

  TensorFlow Lite's converter logs deprecation notices and converter chatter
  through absl's logger, which the project's own lines also use; the
  libraries are told apart by where their files are installed.
  """

  def filter(self, record):
    return (record.levelno >= std_logging.ERROR or
            not _INSTALLED_PACKAGE_DIR.search(record.pathname or ''))


_INSTALLED_PACKAGE_DIR = re.compile(r'[/\\](site|dist)-packages[/\\]')


def quiet(verbose):
  """The libraries' Python logging, as binaries show it.

  TensorFlow's logger gets no second handler (absl's prints every line);
  unless verbose, TensorFlow's logger and the libraries' lines on absl's
  logger pass their errors only (no deprecation notices). Called by
  core.app.run and in processes a binary spawns (export.release's workers).
  """
  tf_logger = std_logging.getLogger('tensorflow')
  for handler in list(tf_logger.handlers):
    tf_logger.removeHandler(handler)
  if verbose:
    return
  tf_logger.setLevel(std_logging.ERROR)
  absl_logger = std_logging.getLogger('absl')
  if not any(isinstance(f, _LibraryNoiseFilter) for f in absl_logger.filters):
    absl_logger.addFilter(_LibraryNoiseFilter())
