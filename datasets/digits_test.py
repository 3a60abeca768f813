"""Tests for the built-in digits dataset (the default without --dataset_dir)."""

import concurrent.futures
import glob
import os

from absl.testing import absltest
import numpy as np
from sklearn import datasets as sk_datasets
import tensorflow as tf

from datasets import dataset_factory
from datasets import dataset_info
from datasets import digits
from datasets import test_images
from datasets import tfexample


def _use_cache(path):
  os.environ[digits.CACHE_ENV] = path


class DigitsTest(absltest.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    _use_cache(os.path.join(absltest.get_default_test_tmpdir(), 'cache'))
    cls.sk_digits = sk_datasets.load_digits()

  def test_default_dataset_is_digits_with_fixed_split(self):
    train = dataset_factory.get_dataset(None, 'train')
    validation = dataset_factory.get_dataset('digits', 'validation')
    self.assertEqual((train.name, train.num_samples, train.num_classes,
                      train.labels_offset), ('digits', 1437, 10, 0))
    self.assertEqual(validation.num_samples, 360)
    self.assertEqual(train.label_names, {i: str(i) for i in range(10)})
    self.assertEqual(train.dataset_dir, digits.cache_dir())
    self.assertTrue(train.dataset_dir.startswith(os.environ[digits.CACHE_ENV]))
    # The gentle preprocessing the digits need, carried by the dataset.
    self.assertEqual(train.preprocessing, 'gentle')
    kwargs = train.preprocessing_kwargs
    self.assertGreaterEqual(kwargs['crop_area_range'][0], 0.5)
    self.assertFalse(kwargs['random_flip'])
    self.assertEqual(kwargs['central_fraction'], 1.0)

  def test_records_hold_the_real_digits_losslessly(self):
    directory = digits.ensure_cache()
    seen = {}
    for split in ('train', 'validation'):
      records = test_images.read_records(
          glob.glob(os.path.join(directory, '%s-*' % split)))
      for record in records:
        index = int(test_images.first(record, tfexample.FILENAME)[:-4])
        self.assertNotIn(index, seen)
        seen[index] = split
        self.assertEqual(test_images.first(record, tfexample.LABEL),
                         self.sk_digits.target[index])
        self.assertEqual((record['decoded_format'], record['mode']),
                         ('PNG', 'RGB'))
        pixels = record['pixels']
        self.assertEqual(pixels.shape, (32, 32, 3))
        expected = np.round(self.sk_digits.images[index] * 255 / 16)
        for channel in range(3):
          np.testing.assert_array_equal(pixels[::4, ::4, channel], expected)
          np.testing.assert_array_equal(pixels[3::4, 3::4, channel], expected)
    self.assertEqual(sorted(seen), list(range(1797)))
    # Stratified: each class is ~20 % validation.
    for label in range(10):
      members = [i for i in seen if self.sk_digits.target[i] == label]
      share = sum(seen[i] == 'validation' for i in members) / len(members)
      self.assertBetween(share, 0.18, 0.22)

  def test_eval_pipeline_reproduces_the_stored_digits(self):
    validation = dataset_factory.get_dataset(None, 'validation')
    expected = {}
    _, val_indices = digits.split_indices(self.sk_digits.target)
    for index in val_indices:
      image = digits.to_stored_pixels(self.sk_digits.images[index])
      expected.setdefault(image.tobytes(), self.sk_digits.target[index])
    count = 0
    for images, labels in validation.input_dataset(100, 32, False):
      self.assertEqual(images.dtype, tf.float32)
      self.assertEqual(labels.dtype, tf.int64)
      for image, label in zip(images.numpy(), labels.numpy()):
        # No central crop, 32 -> 32 resize: the stored image, in [-1, 1].
        stored = np.round((image[:, :, 0] + 1.0) * 127.5).astype(np.uint8)
        self.assertIn(stored.tobytes(), expected)
        self.assertEqual(expected[stored.tobytes()], label)
        count += 1
    self.assertEqual(count, 360)

  def test_training_batches(self):
    train = dataset_factory.get_dataset(None, 'train')
    with tf.Graph().as_default():
      images, labels = tf.compat.v1.data.make_one_shot_iterator(
          train.input_dataset(64, 48, True)).get_next()
      self.assertEqual(images.shape.as_list(), [64, 48, 48, 3])
      with tf.compat.v1.Session() as sess:
        for _ in range(25):  # More than an epoch.
          batch, batch_labels = sess.run([images, labels])
    self.assertBetween(batch.min(), -1.0, -0.9)
    self.assertBetween(batch.max(), 0.5, 1.0)
    self.assertTrue(set(batch_labels) <= set(range(10)))
    self.assertGreater(len(set(batch_labels)), 5)

  def test_cache_is_reused_and_stale_cache_rebuilt(self):
    directory = digits.ensure_cache()
    info_path = os.path.join(directory, dataset_info.INFO_FILENAME)
    stamp = os.stat(info_path).st_mtime_ns
    self.assertEqual(digits.ensure_cache(), directory)
    self.assertEqual(os.stat(info_path).st_mtime_ns, stamp)
    info = dataset_info.read_info(directory)
    info['digits_version'] = digits.VERSION - 1
    dataset_info.write_info(directory, info)
    digits.ensure_cache()
    self.assertEqual(dataset_info.read_info(directory)['digits_version'],
                     digits.VERSION)
    self.assertEqual(dataset_factory.get_dataset(None, 'train').num_samples,
                     1437)

  def test_concurrent_builds_both_succeed(self):
    root = os.path.join(absltest.get_default_test_tmpdir(), 'race')
    old = os.environ[digits.CACHE_ENV]
    _use_cache(root)
    try:
      with concurrent.futures.ThreadPoolExecutor(2) as pool:
        dirs = list(pool.map(lambda _: digits.ensure_cache(), range(2)))
    finally:
      _use_cache(old)
    self.assertEqual(dirs[0], dirs[1])
    self.assertEqual(os.listdir(root), ['digits'])  # No temp leftovers.
    info = dataset_info.read_info(dirs[0])
    self.assertEqual(info['splits']['train']['num_samples'], 1437)


if __name__ == '__main__':
  absltest.main()
