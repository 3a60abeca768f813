"""Where things are: the user's paths under `bazel run`, the workspace, runs/.

Under `bazel run` a binary's working directory is its runfiles tree; Bazel
passes the directory the user ran from in BUILD_WORKING_DIRECTORY and the
checkout in BUILD_WORKSPACE_DIRECTORY. Default outputs (runs/, docs/) go to
the checkout, relative flag paths are relative to where the user was.
"""

import os

from core import errors
from core import variants

# The project root (core/ lives in it), in the source tree or in the runfiles
# of a Bazel target.
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUNS_DIRNAME = 'runs'
DEMO_DIRNAME = 'demo'
# What the main job (tools/demo) leaves in its directory, for the reports.
DEMO_SUMMARY_FILENAME = 'summary.json'
DEMO_BUNDLES_DIRNAME = 'bundles'


def user_path(path):
  """`path` as the user meant it: ~ expanded, relative to where they ran."""
  if not path:
    return path
  path = os.path.expanduser(path)
  if not os.path.isabs(path):
    path = os.path.join(os.environ.get('BUILD_WORKING_DIRECTORY', os.getcwd()),
                        path)
  return os.path.normpath(path)


def workspace_dir():
  """The checkout under `bazel run` (BUILD_WORKSPACE_DIRECTORY), else the cwd."""
  return os.environ.get('BUILD_WORKSPACE_DIRECTORY') or os.getcwd()


def runs_dir(*parts):
  """runs/<parts...> in the workspace: where default outputs go."""
  return os.path.join(workspace_dir(), RUNS_DIRNAME, *parts)


def default_run_dir(depth_multiplier, image_size, quantize):
  """runs/<model name>: the default --checkpoint_dir of training and eval.

  So that the original's bare `bazel run //:mobilenet_v1_train --
  --quantize=True` and a bare eval afterwards find each other.
  """
  return runs_dir(variants.model_name(depth_multiplier, image_size, quantize))


def demo_dir():
  """runs/demo: the main job's output (tools/demo), read by results_report."""
  return runs_dir(DEMO_DIRNAME)


def ensure_output_dir(path, flag_name, create=True):
  """Makes sure the output directory --flag_name can be written; returns it.

  create=False leaves a missing directory to be made when the job writes
  (a job that fails early then leaves nothing), but still checks that it
  could be made.

  Raises:
    errors.BadInputError: it is a file, cannot be created or is not
      writable (said before any work starts, not as a traceback later).
  """
  if os.path.exists(path) and not os.path.isdir(path):
    raise errors.BadInputError('--%s is a file, not a directory: %s' % (
        flag_name, path))
  if create:
    try:
      os.makedirs(path, exist_ok=True)
    except OSError as e:
      raise errors.BadInputError('cannot create --%s %s: %s' % (
          flag_name, path, e.strerror or e)) from e
  existing = os.path.abspath(path)
  while not os.path.exists(existing):
    existing = os.path.dirname(existing)
  if not os.path.isdir(existing):
    raise errors.BadInputError('cannot create --%s %s: %s is a file' % (
        flag_name, path, existing))
  if not os.access(existing, os.W_OK | os.X_OK):
    raise errors.BadInputError('--%s is not writable: %s' % (flag_name,
                                                              existing))
  return path
