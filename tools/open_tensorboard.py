r"""Opens TensorBoard on training and eval logs, with no virtualenv to activate.

  bazel run //tools:tensorboard -- --logdir=runs/demo

The trainer writes its summaries (losses, learning rate, global_step/sec,
quantization ranges) into --checkpoint_dir and the eval its Accuracy and
Recall_5 into --eval_dir; point --logdir at either, or at a directory above
several (runs/demo holds the main job's four). Other TensorBoard flags pass
through; relative paths are relative to where `bazel run` was started.
"""

import os
import sys

from core import paths


def _user_logdir(argv):
  """argv with --logdir / --logdir_spec paths made the user's (bazel run)."""
  fixed = []
  for arg in argv:
    for name in ('--logdir=', '--logdir_spec='):
      if arg.startswith(name) and ':' not in arg[len(name):]:
        arg = name + paths.user_path(arg[len(name):])
    fixed.append(arg)
  return fixed


def main():
  from tensorboard import main as tensorboard_main  # pylint: disable=g-import-not-at-top,import-outside-toplevel
  os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')
  sys.argv = _user_logdir(sys.argv)
  tensorboard_main.run_main()


if __name__ == '__main__':
  main()
