"""Tests for dataset_factory: detection, errors, and the tf.data pipeline."""

import os
from unittest import mock

from absl.testing import absltest
import numpy as np
import tensorflow as tf

from datasets import dataset_factory
from datasets import dataset_info
from datasets import image_folder
from datasets import test_images

NUM_CLASSES = 3
PER_CLASS = 10


def colour(label, i):
  """A colour unique to each image, so images can be told apart."""
  return (40 + 80 * label, 20 + 20 * i, 200 - 15 * i)


def identity(image):
  """The (label, i) colour of a preprocessed image in [-1, 1]."""
  mean = (image.reshape(-1, 3).mean(0) + 1.0) * 127.5
  return tuple(int(round(v / 5.0)) for v in mean)


def _key(c):
  return tuple(int(round(v / 5.0)) for v in c)


class DatasetFactoryTest(tf.test.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    os.environ['MOBILENET_V1_DATA_CACHE'] = os.path.join(
        absltest.get_default_test_tmpdir(), 'cache')
    root = absltest.get_default_test_tmpdir()
    source = os.path.join(root, 'factory_images')
    for label in range(NUM_CLASSES):
      for i in range(PER_CLASS):
        test_images.write_file(
            os.path.join(source, 'class%d' % label, '%d.png' % i),
            test_images.solid_rgb(colour(label, i), 20, 20, 'PNG'))
    cls.dir = os.path.join(root, 'factory_records')
    image_folder.convert_image_folder(source, cls.dir, validation_fraction=0.3,
                                      num_shards=3, validation_shards=2,
                                      image_format='PNG')
    cls.expected = {}
    for label in range(NUM_CLASSES):
      for i in range(PER_CLASS):
        cls.expected[_key(colour(label, i))] = label

  def collect(self, dataset, **kwargs):
    seen = []
    for images, labels in dataset.input_dataset(4, 16, False, **kwargs):
      for image, label in zip(images.numpy(), labels.numpy()):
        seen.append((identity(image), int(label)))
    return seen

  def test_custom_detected_from_metadata(self):
    for name in (None, 'custom'):
      dataset = dataset_factory.get_dataset(name, 'train', self.dir)
      self.assertEqual((dataset.name, dataset.num_samples, dataset.num_classes,
                        dataset.labels_offset), ('custom', 21, 3, 0))
      self.assertEqual(dataset.label_names,
                       {0: 'class0', 1: 'class1', 2: 'class2'})
      self.assertLen(dataset.filenames, 3)
    self.assertEqual(
        dataset_factory.get_dataset(None, 'validation', self.dir).num_samples,
        9)

  def test_relative_dir_is_taken_from_where_bazel_run_was_called(self):
    parent, base = os.path.split(self.dir)
    with mock.patch.dict(os.environ, {'BUILD_WORKING_DIRECTORY': parent}):
      dataset = dataset_factory.get_dataset(None, 'train', base)
    self.assertEqual(dataset.dataset_dir, self.dir)

  def test_errors_are_one_line_value_errors(self):
    empty = self.create_tempdir().full_path
    cases = [
        (('imagenet', 'train', self.dir), 'not \'imagenet\''),
        (('digits', 'train', self.dir), 'not \'digits\''),
        ((None, 'test', self.dir), 'unknown split'),
        (('cifar10', 'train', None), 'unknown dataset name'),
        ((None, 'train', '/no/such/dir'), '/no/such/dir'),
        ((None, 'train', empty), 'no dataset_info.json in ' + empty),
        (('imagenet', 'train', None), 'needs a dataset_dir'),
        (('imagenet', 'train', empty), 'no train records'),
    ]
    for args, message in cases:
      with self.assertRaises(ValueError) as raised:
        dataset_factory.get_dataset(*args)
      self.assertIsInstance(raised.exception, dataset_factory.DatasetError)
      self.assertIn(message, str(raised.exception))
      self.assertNotIn('\n', str(raised.exception))

  def test_missing_shard_is_an_error(self):
    copy = self.create_tempdir().full_path
    for name in os.listdir(self.dir):
      if name != 'train-00001-of-00003':
        with open(os.path.join(self.dir, name), 'rb') as src:
          test_images.write_file(os.path.join(copy, name), src.read())
    with self.assertRaisesRegex(dataset_info.DatasetError, '2 of 3 train'):
      dataset_factory.get_dataset(None, 'train', copy)

  def test_eval_reads_every_example_once_in_a_fixed_order(self):
    dataset = dataset_factory.get_dataset(None, 'validation', self.dir)
    batches = list(dataset.input_dataset(4, 16, False))
    self.assertEqual([int(b[1].shape[0]) for b in batches], [4, 4, 1])
    self.assertEqual(batches[0][0].shape, (4, 16, 16, 3))
    first = self.collect(dataset)
    self.assertLen(first, 9)
    self.assertLen(set(i for i, _ in first), 9)
    for key, label in first:
      self.assertEqual(self.expected[key], label)
    self.assertEqual(self.collect(dataset), first)
    self.assertEqual(self.collect(dataset, cache_decoded=False), first)
    self.assertEqual(self.collect(dataset, cache_decoded=True), first)

  def test_workers_read_disjoint_parts_covering_the_split(self):
    dataset = dataset_factory.get_dataset(None, 'train', self.dir)
    everything = sorted(self.collect(dataset))
    self.assertLen(everything, 21)
    for num_shards in (2, 4):  # By file (3 files), then by example.
      parts = [self.collect(dataset, num_shards=num_shards, shard_index=i)
               for i in range(num_shards)]
      self.assertEqual(sorted(sum(parts, [])), everything)
      for part in parts:
        self.assertNotEmpty(part)

  def test_training_in_a_graph(self):
    dataset = dataset_factory.get_dataset(None, 'train', self.dir)
    for cache in (True, False):
      with tf.Graph().as_default():
        iterator = tf.compat.v1.data.make_one_shot_iterator(
            dataset.input_dataset(8, 24, True, cache_decoded=cache))
        images, labels = iterator.get_next()
        self.assertEqual(images.shape.as_list(), [8, 24, 24, 3])
        self.assertEqual(labels.shape.as_list(), [8])
        self.assertEqual(labels.dtype, tf.int64)
        with tf.compat.v1.Session() as sess:
          seen = [sess.run([images, labels]) for _ in range(8)]  # 3 epochs
      values = np.stack([s[0] for s in seen])
      self.assertGreaterEqual(values.min(), -1.0)
      self.assertLessEqual(values.max(), 1.0)
      all_labels = np.concatenate([s[1] for s in seen])
      self.assertEqual(set(all_labels), {0, 1, 2})

  def test_seeded_training_order_is_reproducible(self):
    dataset = dataset_factory.get_dataset(None, 'train', self.dir)

    def labels(seed):
      data = dataset.input_dataset(7, 8, True, shuffle_seed=seed,
                                   preprocessing_kwargs={'random_flip': False})
      return [b[1].numpy().tolist() for b in data.take(3)]

    self.assertEqual(labels(3), labels(3))

  def test_eval_initializable_iterator_counts_exactly(self):
    dataset = dataset_factory.get_dataset(None, 'validation', self.dir)
    with tf.Graph().as_default():
      iterator = tf.compat.v1.data.make_initializable_iterator(
          dataset.input_dataset(2, 16, False))
      _, labels = iterator.get_next()
      with tf.compat.v1.Session() as sess:
        for _ in range(2):
          sess.run(iterator.initializer)
          count = 0
          while True:
            try:
              count += len(sess.run(labels))
            except tf.errors.OutOfRangeError:
              break
          self.assertEqual(count, 9)

  def test_preprocessing_is_chosen_by_image_size_or_asked_for(self):
    # self.dir's images are small (test_images writes a few pixels each).
    dataset = dataset_factory.get_dataset(None, 'train', self.dir)
    self.assertEqual(dataset.preprocessing, 'gentle')
    self.assertEqual(dataset.preprocessing_kwargs['central_fraction'], 1.0)
    asked = dataset_factory.get_dataset(None, 'train', self.dir,
                                        preprocessing='inception')
    self.assertEqual(asked.preprocessing, 'inception')
    with self.assertRaisesRegex(dataset_info.DatasetError,
                                "unknown --preprocessing 'vgg'"):
      dataset_factory.get_dataset(None, 'train', self.dir, 'vgg')
    limit = dataset_factory.SMALL_IMAGE_MAX_SIDE
    for size, style in (([limit, limit], 'gentle'),
                        ([limit, limit + 1], 'inception'),
                        (None, 'inception')):
      info = {'max_image_size': size} if size else {}
      self.assertEqual(
          dataset_factory.choose_preprocessing('custom', info)[0], style)
    self.assertEqual(dataset_factory.choose_preprocessing('imagenet')[0],
                     'inception')
    self.assertEqual(dataset_factory.choose_preprocessing('digits')[0],
                     'gentle')

  def test_imagenet_layout_uses_the_standard_constants(self):
    directory = self.create_tempdir().full_path
    for i in range(1024):
      with tf.io.TFRecordWriter(os.path.join(
          directory, dataset_info.shard_basename('train', i, 1024))):
        pass
    for name in ('imagenet', None):
      dataset = dataset_factory.get_dataset(name, 'train', directory)
      self.assertEqual((dataset.name, dataset.num_samples, dataset.num_classes,
                        dataset.labels_offset),
                       ('imagenet', 1281167, 1001, 1))
      self.assertEqual(dataset.preprocessing, 'inception')
      self.assertEqual(dataset.preprocessing_kwargs['crop_area_range'],
                       (0.05, 1.0))
      self.assertEqual(dataset.preprocessing_kwargs['central_fraction'],
                       0.875)
    os.remove(os.path.join(directory, 'train-00007-of-01024'))
    with self.assertRaisesRegex(dataset_info.DatasetError, '1023 of 1024'):
      dataset_factory.get_dataset('imagenet', 'train', directory)
    with self.assertRaisesRegex(dataset_info.DatasetError, 'no validation'):
      dataset_factory.get_dataset('imagenet', 'validation', directory)


if __name__ == '__main__':
  tf.test.main()
