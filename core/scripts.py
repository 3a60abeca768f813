"""Running the project's own Python entry points in child processes.

For the tools that start other binaries (the cluster launcher starts
trainers) and for the tests that run binaries end to end: the child gets this
interpreter and the project root first on PYTHONPATH, so it imports the same
modules as the parent, inside Bazel's runfiles or in a checkout.
"""

import os
import subprocess
import sys

from core import paths


def script_command(relative_path):
  """[python, path] running the project's script at `relative_path`
  (e.g. 'mobilenet_v1_train.py'); run it with script_env()."""
  return [sys.executable, os.path.join(paths.ROOT, relative_path)]


def script_env():
  """This process's environment with the project root first on PYTHONPATH."""
  env = dict(os.environ)
  env['PYTHONPATH'] = paths.ROOT + os.pathsep + env.get('PYTHONPATH', '')
  return env


def run_script(relative_path, args, timeout, extra_env=None):
  """Runs the project's script to completion with script_env() (plus
  `extra_env`); returns the CompletedProcess, its output captured as text."""
  env = dict(script_env(), **(extra_env or {}))
  return subprocess.run(script_command(relative_path) + list(args), env=env,
                        capture_output=True, text=True, check=False,
                        timeout=timeout)
