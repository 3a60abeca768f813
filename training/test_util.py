"""Shared by the training and eval tests: tiny settings, temp dirs, binaries.

Tests use depth multiplier 0.25, 32 px, batch 8 and one thread per pool,
and keep the digits cache under TEST_TMPDIR.
"""

import os
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
  return scripts.run_script(name + '.py', args, timeout)


def train_with_binary(prefix, steps, *extra_flags):
  """A new directory trained by mobilenet_v1_train for `steps` tiny steps."""
  directory = new_dir(prefix)
  run = run_binary('mobilenet_v1_train', TINY_FLAGS + [
      '--checkpoint_dir=' + directory, '--number_of_steps=%d' % steps,
      '--save_interval_secs=0'] + list(extra_flags))
  if run.returncode:
    raise AssertionError('training failed:\n' + run.stderr[-3000:])
  return directory


def assert_one_line_error(test, binary, args, *words, exit_code=2):
  """Runs `binary`; asserts it ends in one `error:` line with `words` in it,
  exit status `exit_code` and no traceback; returns that line."""
  run = run_binary(binary, args)
  test.assertEqual(run.returncode, exit_code, run.stderr[-3000:])
  test.assertNotIn('Traceback', run.stderr)
  last_line = run.stderr.strip().splitlines()[-1]
  test.assertStartsWith(last_line, 'error: ')
  for word in words:
    test.assertIn(word, last_line)
  return last_line


def digit_images_dataset(root, upscale=3, num_shards=4):
  """The digits written as a class-per-folder image tree under `root` and
  converted as a user's own images are (80/20 split); returns the records
  directory."""
  from datasets import digits  # pylint: disable=g-import-not-at-top
  from datasets import image_folder  # pylint: disable=g-import-not-at-top
  images = os.path.join(root, 'images')
  records = os.path.join(root, 'records')
  digits.write_image_tree(images, upscale=upscale, split=False)
  image_folder.convert_image_folder(images, records, validation_fraction=0.2,
                                    num_shards=num_shards, num_threads=2)
  return records

