"""Tests for build_image_data / image_folder on tiny synthetic folders."""

import glob
import os
from unittest import mock

from absl.testing import absltest
from absl.testing import flagsaver
import numpy as np

from datasets import build_image_data
from datasets import dataset_info
from datasets import image_folder
from datasets import test_images
from datasets import tfexample

COLORS = {'cat': (220, 20, 30), 'dog': (20, 30, 220), 'emu': (30, 200, 40)}


def make_folder(root, per_class=5):
  """Class folders of solid-colour JPEGs plus every oddity and two bad files."""
  for name, color in COLORS.items():
    for i in range(per_class):
      test_images.write_file(os.path.join(root, name, 'img%d.jpg' % i),
                             test_images.solid_rgb(color, 24 + i, 16))
  # PNG data under a .JPEG name, CMYK (pure blue: C=M=255), grayscale.
  test_images.write_file(os.path.join(root, 'cat', 'png_inside.JPEG'),
                         test_images.solid_rgb(COLORS['cat'], 10, 10, 'PNG'))
  test_images.write_file(os.path.join(root, 'dog', 'cmyk.jpg'),
                         test_images.cmyk_jpeg((255, 255, 0, 0)))
  test_images.write_file(os.path.join(root, 'emu', 'gray.jpg'),
                         test_images.grayscale_jpeg(150))
  bad = [test_images.write_file(os.path.join(root, 'dog', 'notes.txt'),
                                b'not an image at all'),
         test_images.write_file(os.path.join(root, 'emu', 'broken.jpg'),
                                test_images.solid_rgb((1, 2, 3), 64, 64)[:150])]
  test_images.write_file(os.path.join(root, 'emu', '.DS_Store'), b'\0\0')
  return bad


def output_files(directory):
  contents = {}
  for name in sorted(os.listdir(directory)):
    with open(os.path.join(directory, name), 'rb') as f:
      contents[name] = f.read()
  return contents


class ImageFolderTest(absltest.TestCase):

  def setUp(self):
    super().setUp()
    self.input_dir = self.create_tempdir('input').full_path
    self.bad_files = make_folder(self.input_dir)
    self.output_dir = os.path.join(self.create_tempdir().full_path, 'out')

  def convert(self, output_dir=None, **kwargs):
    args = dict(validation_fraction=0.25, num_shards=3, num_threads=2)
    args.update(kwargs)
    return image_folder.convert_image_folder(
        self.input_dir, output_dir or self.output_dir, **args)

  def test_converts_all_readable_images_with_labels_and_pixels(self):
    with self.assertLogs(level='WARNING') as logs:
      summary = self.convert()
    for path in self.bad_files:
      self.assertTrue(any(path in line for line in logs.output), path)
    skipped = sorted(p for r in summary.splits.values() for p, _ in r.skipped)
    self.assertEqual(skipped, sorted(self.bad_files))

    info = dataset_info.read_info(self.output_dir)
    self.assertEqual(info['num_classes'], 3)
    self.assertEqual(info['labels_offset'], 0)
    self.assertEqual(info['name'], 'custom')
    # 3 classes x (5 + 1 oddity) readable files.
    self.assertEqual(info['splits']['train']['num_samples'] +
                     info['splits']['validation']['num_samples'], 18)
    # A quarter of each class's files (6 or 7: round(1.5), round(1.75)) held
    # out for validation.
    _, splits = image_folder.list_image_folder(self.input_dir, 0.25)
    for name in COLORS:
      self.assertLen([i for i in splits['validation'] if i.class_name == name],
                     2)
    self.assertLen(splits['train'], 20 - 6)
    self.assertEqual(info['splits']['train']['num_shards'], 3)
    self.assertEqual(dataset_info.read_labels(self.output_dir),
                     {0: 'cat', 1: 'dog', 2: 'emu'})
    with open(os.path.join(self.output_dir, 'labels.txt')) as f:
      self.assertEqual(f.read(), '0:cat\n1:dog\n2:emu\n')
    self.assertEqual(
        sorted(os.listdir(self.output_dir)),
        ['dataset_info.json', 'labels.txt', 'train-00000-of-00003',
         'train-00001-of-00003', 'train-00002-of-00003',
         'validation-00000-of-00002', 'validation-00001-of-00002'])

    records = test_images.read_records(
        glob.glob(os.path.join(self.output_dir, '*-of-*')))
    self.assertLen(records, 18)
    by_file = {}
    for record in records:
      name = test_images.first(record, tfexample.TEXT)
      label = test_images.first(record, tfexample.LABEL)
      self.assertEqual(label, sorted(COLORS).index(name))
      self.assertEqual(test_images.first(record, tfexample.SYNSET), name)
      self.assertEqual((record['decoded_format'], record['mode']),
                       ('JPEG', 'RGB'))
      self.assertEqual(test_images.first(record, tfexample.FORMAT), 'JPEG')
      height, width, channels = record['pixels'].shape
      self.assertEqual(channels, 3)
      self.assertEqual((test_images.first(record, tfexample.HEIGHT),
                        test_images.first(record, tfexample.WIDTH)),
                       (height, width))
      filename = test_images.first(record, tfexample.FILENAME)
      by_file[filename] = record
      mean = record['pixels'].reshape(-1, 3).mean(0)
      if filename == 'gray.jpg':
        np.testing.assert_allclose(mean, (150, 150, 150), atol=3)
      elif filename == 'cmyk.jpg':
        np.testing.assert_allclose(mean, (0, 0, 255), atol=4)
      else:
        np.testing.assert_allclose(mean, COLORS[name], atol=4)
    self.assertIn('png_inside.JPEG', by_file)
    self.assertNotIn('notes.txt', by_file)
    self.assertNotIn('.DS_Store', by_file)

  def test_rerun_is_identical_and_replaces_old_shards(self):
    self.convert()
    first = output_files(self.output_dir)
    self.convert()
    self.assertEqual(output_files(self.output_dir), first)
    self.convert(num_shards=2, num_threads=1)
    names = sorted(os.listdir(self.output_dir))
    self.assertNotIn('train-00000-of-00003', names)
    self.assertIn('train-00001-of-00002', names)
    info = dataset_info.read_info(self.output_dir)
    self.assertEqual(info['splits']['train']['num_shards'], 2)
    # Same records (in the same order) whatever the sharding.
    other = os.path.join(self.create_tempdir().full_path, 'other')
    self.convert(output_dir=other, num_shards=2, num_threads=2)
    self.assertEqual(output_files(other), output_files(self.output_dir))

  def test_interrupted_run_leaves_no_finished_looking_shard(self):
    self.convert()
    real_make_example = tfexample.make_example

    def failing_make_example(*args, **kwargs):
      if kwargs.get('filename') == 'img3.jpg':
        raise RuntimeError('simulated crash')
      return real_make_example(*args, **kwargs)

    before = set(os.listdir(self.output_dir))
    with mock.patch.object(tfexample, 'make_example', failing_make_example):
      with self.assertRaisesRegex(RuntimeError, 'simulated crash'):
        self.convert(num_shards=1, validation_shards=1)
    names = set(os.listdir(self.output_dir))
    # No description (so readers refuse the folder), no temp files, and the
    # shard being written when it failed does not exist under its name.
    self.assertNotIn('dataset_info.json', names)
    self.assertFalse([n for n in names if n.startswith('.')], names)
    self.assertNotIn('train-00000-of-00001', names)
    self.assertTrue(names <= before | {'validation-00000-of-00001'}, names)
    # Running again completes it.
    self.convert()
    self.assertIsNotNone(dataset_info.read_info(self.output_dir))

  def test_train_and_validation_trees(self):
    root = self.create_tempdir('trees').full_path
    for split, count in (('train', 4), ('validation', 2)):
      for name in ('a', 'b'):
        for i in range(count):
          test_images.write_file(
              os.path.join(root, split, name, '%d.jpg' % i),
              test_images.solid_rgb((i * 40, 0, 0)))
    summary = image_folder.convert_image_folder(
        root, self.output_dir, validation_fraction=0.5, num_shards=2)
    self.assertEqual(summary.class_names, ['a', 'b'])
    self.assertEqual(summary.splits['train'].num_written, 8)
    self.assertEqual(summary.splits['validation'].num_written, 4)

  def test_bad_input_raises_one_line_error(self):
    with self.assertRaisesRegex(dataset_info.DatasetError, 'no/such/dir'):
      image_folder.convert_image_folder('/no/such/dir', self.output_dir)
    empty = self.create_tempdir('empty').full_path
    with self.assertRaisesRegex(dataset_info.DatasetError, 'no class folders'):
      image_folder.convert_image_folder(empty, self.output_dir)
    with self.assertRaisesRegex(dataset_info.DatasetError, 'inside input_dir'):
      image_folder.convert_image_folder(
          self.input_dir, os.path.join(self.input_dir, 'out'))
    single = self.create_tempdir('single').full_path
    os.makedirs(os.path.join(single, 'cats'))
    with self.assertRaisesRegex(dataset_info.DatasetError,
                                'one class folder \\(cats\\); a classifier '
                                'needs at least two'):
      image_folder.convert_image_folder(single, self.output_dir)

  def test_empty_validation_split_is_warned_about(self):
    with self.assertLogs(level='WARNING') as logs:
      self.convert(validation_fraction=0.0)
    self.assertTrue(any('validation split of' in line and 'is empty' in line
                        for line in logs.output), logs.output)


class BinaryTest(absltest.TestCase):

  def test_exit_status_and_strict(self):
    input_dir = self.create_tempdir('input').full_path
    make_folder(input_dir, per_class=2)
    output_dir = os.path.join(self.create_tempdir().full_path, 'out')
    with flagsaver.flagsaver(input_dir=input_dir, output_dir=output_dir,
                             num_shards=2, num_threads=2):
      self.assertEqual(build_image_data.main(['build_image_data']), 0)
      with flagsaver.flagsaver(strict=True):
        self.assertEqual(build_image_data.main(['build_image_data']), 1)
    # Bad input is raised for app.run, which prints it in one line (exit 2).
    with flagsaver.flagsaver(input_dir='/no/such/dir', output_dir=output_dir):
      with self.assertRaisesRegex(dataset_info.DatasetError, '/no/such/dir'):
        build_image_data.main(['build_image_data'])


if __name__ == '__main__':
  absltest.main()
