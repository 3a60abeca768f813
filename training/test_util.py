"""Shared by the training and eval tests: tiny settings, temp dirs, binaries.

Tests use depth multiplier 0.25, 32 px, batch 8 and one thread per pool,
and keep the digits cache under TEST_TMPDIR.
"""

import os
import subprocess
import tempfile

from absl.testing import absltest

from core import scripts

TINY = dict(depth_multiplier=0.25, image_size=32, batch_size=8)
TINY_FLAGS = ['--depth_multiplier=0.25', '--image_size=32', '--batch_size=8',
              '--num_threads=1']


def use_test_data_cache():
  """Points the digits cache at TEST_TMPDIR (built once per test target)."""
  os.environ['MOBILENET_V1_DATA_CACHE'] = os.path.join(
      absltest.get_default_test_tmpdir(), 'data_cache')


def new_dir(prefix):
  return tempfile.mkdtemp(prefix=prefix + '.', dir=absltest.get_default_test_tmpdir())


def tiny_train_config(checkpoint_dir, **overrides):
  from training import trainer  # pylint: disable=g-import-not-at-top
  kwargs = dict(TINY, checkpoint_dir=checkpoint_dir, number_of_steps=4,
                log_every_n_steps=2, save_summaries_secs=1,
                save_interval_secs=0, batch_norm_decay=0.9, shuffle_seed=1,
                num_threads=1)
  kwargs.update(overrides)
  return trainer.TrainConfig(**kwargs)


def binary_command(name):
  """How to run the root binary `name` (e.g. 'mobilenet_v1_train')."""
  return scripts.script_command(name + '.py')


def run_binary(name, args, timeout=300):
  """Runs a binary to completion; returns the CompletedProcess (text)."""
  return subprocess.run(
      binary_command(name) + list(args), env=scripts.script_env(),
      capture_output=True, text=True, timeout=timeout, check=False)
