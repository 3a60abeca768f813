"""Command-line conventions shared by the train, eval and export binaries.

Two jobs: the checks of the flags every binary has (depth multiplier, image
size, batch size), and turning expected failures into one line on stderr and
a non-zero exit instead of a traceback:

    if __name__ == '__main__':
      cli.run(main)

Libraries raise `BadInputError` (a ValueError) for input a user got wrong and
`JobFailedError` for a job that cannot go on (e.g. a loss that became NaN);
`run` prints `error: <message>` for those and for the datasets' DatasetError.
Anything else is a bug and keeps its traceback.
"""

import logging as std_logging
import math
import os
import sys

from absl import app

# Quieter TensorFlow C++ start-up logs (INFO lines) unless the user asked.
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '1')

# The project root (this module lives there), in the source tree or in the
# runfiles of a Bazel target.
ROOT = os.path.dirname(os.path.abspath(__file__))
MIN_IMAGE_SIZE = 32
EXIT_BAD_INPUT = 2
EXIT_JOB_FAILED = 3
EXIT_INTERRUPTED = 130


class BadInputError(ValueError):
  """Input the user can fix: the message is one line naming what is wrong."""


class JobFailedError(RuntimeError):
  """A job that had to stop (e.g. diverged); the message is one line."""


def _expected_errors():
  # Imported lazily so this module stays cheap and does not require the
  # datasets package for binaries that never read data.
  try:
    from datasets import dataset_info  # pylint: disable=g-import-not-at-top
    dataset_errors = (dataset_info.DatasetError,)
  except ImportError:
    dataset_errors = ()
  return (BadInputError,) + dataset_errors


def user_path(path):
  """A path flag as the user meant it (relative to where they ran bazel run)."""
  from datasets import dataset_info  # pylint: disable=g-import-not-at-top
  return dataset_info.user_path(path)


def workspace_dir():
  """The checkout under `bazel run` (BUILD_WORKSPACE_DIRECTORY), else the cwd.

  Where the tools' default outputs (runs/, docs/) go.
  """
  return os.environ.get('BUILD_WORKSPACE_DIRECTORY') or os.getcwd()


def default_run_dir(depth_multiplier, image_size, quantize):
  """runs/<model name> in the workspace (under bazel run) or the cwd.

  The default --checkpoint_dir of training and eval, so that the
  original's bare `bazel run //:mobilenet_v1_train -- --quantize=True` and a
  bare eval afterwards find each other.
  """
  import variants  # pylint: disable=g-import-not-at-top
  return os.path.join(workspace_dir(), 'runs', variants.model_name(
      depth_multiplier, image_size, quantize))


def script_command(relative_path):
  """[python, path] running the project's script at `relative_path` (e.g.
  'tools/export_bundle.py') in a child process; run it with script_env()."""
  return [sys.executable, os.path.join(ROOT, relative_path)]


def script_env():
  """This process's environment with the project root first on PYTHONPATH,
  so a script started by script_command imports the project's modules."""
  env = dict(os.environ)
  env['PYTHONPATH'] = ROOT + os.pathsep + env.get('PYTHONPATH', '')
  return env


def session_config(num_threads=0):
  """A TensorFlow session config with both thread pools at num_threads.

  0 lets TensorFlow decide (one thread per core). The one place the
  binaries' --num_threads becomes a ConfigProto; TensorFlow is imported
  here, not at module load, so this module stays cheap.
  """
  import tensorflow.compat.v1 as tf  # pylint: disable=g-import-not-at-top
  return tf.ConfigProto(intra_op_parallelism_threads=num_threads,
                        inter_op_parallelism_threads=num_threads)


def one_line(message):
  """Collapses a message to one line (TF errors often span several)."""
  return ' '.join(str(message).split())


def check_model_flags(depth_multiplier=None, image_size=None, batch_size=None):
  """Raises BadInputError for model flags that cannot build a MobileNet."""
  if depth_multiplier is not None and not (
      math.isfinite(depth_multiplier) and depth_multiplier > 0):
    raise BadInputError('--depth_multiplier must be > 0, got %s' %
                        depth_multiplier)
  if image_size is not None and image_size < MIN_IMAGE_SIZE:
    raise BadInputError('--image_size must be >= %d, got %s' %
                        (MIN_IMAGE_SIZE, image_size))
  if batch_size is not None and batch_size <= 0:
    raise BadInputError('--batch_size must be > 0, got %s' % batch_size)


def resolve_num_classes(dataset, num_classes):
  """(logits, label shift) for --num_classes on `dataset`.

  None or the dataset's num_classes (ImageNet: 1001, with the background
  class 0) keeps the labels as stored; num_classes - labels_offset (1000)
  drops the background class by shifting the labels down.
  """
  if num_classes is None or num_classes == dataset.num_classes:
    return dataset.num_classes, 0
  without_offset = dataset.num_classes - dataset.labels_offset
  if dataset.labels_offset and num_classes == without_offset:
    return without_offset, dataset.labels_offset
  choices = sorted({dataset.num_classes, without_offset})
  raise BadInputError('--num_classes %d does not fit the %s dataset (%s)' % (
      num_classes, dataset.name,
      ' or '.join(str(c) for c in choices)))


def check_positive(name, value, allow_none=True, allow_zero=False):
  """Raises BadInputError unless `value` (of flag --name) is > 0 (or >= 0)."""
  if value is None:
    if allow_none:
      return
    raise BadInputError('--%s is required' % name)
  ok = math.isfinite(value) and (value >= 0 if allow_zero else value > 0)
  if not ok:
    raise BadInputError('--%s must be %s, got %s' % (
        name, '>= 0' if allow_zero else '> 0', value))


def require(name, value):
  """Raises BadInputError when the string flag --name is empty."""
  if not value:
    raise BadInputError('--%s is required' % name)


def report_error(error, exit_code):
  """Prints `error: <one line>` to stderr and exits with `exit_code`."""
  sys.stderr.write('error: %s\n' % one_line(error))
  sys.stderr.flush()
  sys.exit(exit_code)


def _log_once():
  """Drops TensorFlow's own log handler: absl's already prints every line."""
  tf_logger = std_logging.getLogger('tensorflow')
  for handler in list(tf_logger.handlers):
    tf_logger.removeHandler(handler)


def run(main):
  """absl's app.run(main), with expected errors reported in one line.

  Positional arguments are refused (every binary here takes flags only).
  """
  expected = _expected_errors()

  def guarded_main(argv):
    _log_once()
    if len(argv) > 1:
      report_error('unexpected arguments: %s' % ' '.join(argv[1:]),
                   EXIT_BAD_INPUT)
    try:
      return main(argv)
    except expected as e:
      report_error(e, EXIT_BAD_INPUT)
    except JobFailedError as e:
      report_error(e, EXIT_JOB_FAILED)
    except KeyboardInterrupt:
      report_error('interrupted (checkpoints already written are kept; run '
                   'the same command to resume)', EXIT_INTERRUPTED)

  app.run(guarded_main)
