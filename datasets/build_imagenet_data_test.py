"""Tests for build_imagenet_data on a tiny fake ILSVRC-2012 tree."""

import glob
import os

from absl.testing import absltest
import numpy as np
import tensorflow as tf

from datasets import build_imagenet_data
from datasets import dataset_factory
from datasets import dataset_info
from datasets import test_images
from datasets import tfexample

# Label order is the synset file's order (not sorted on purpose).
SYNSETS = ['n01000003', 'n01000001', 'n01000002']
COLORS = {'n01000001': (220, 20, 30), 'n01000002': (20, 30, 220),
          'n01000003': (30, 200, 40)}
TEXTS = {'n01000001': 'tench, Tinca tinca', 'n01000002': 'goldfish',
         'n01000003': 'great white shark'}
# Validation files in sorted order and their ground truth.
VALIDATION = ['n01000002', 'n01000003', 'n01000001', 'n01000002']


def make_raw_imagenet(root):
  """Writes the raw layout; returns a dict of the auxiliary file paths."""
  for synset, color in COLORS.items():
    for i in range(3):
      test_images.write_file(
          os.path.join(root, 'train', synset, '%s_%d.JPEG' % (synset, i)),
          test_images.solid_rgb(color, 30 + i, 20))
  # The known oddities, under .JPEG names.
  test_images.write_file(
      os.path.join(root, 'train', 'n01000002', 'n01000002_png.JPEG'),
      test_images.solid_rgb(COLORS['n01000002'], 12, 12, 'PNG'))
  test_images.write_file(
      os.path.join(root, 'train', 'n01000003', 'n01000003_cmyk.JPEG'),
      test_images.cmyk_jpeg((200, 0, 200, 0)))  # RGB ~ (55, 255, 55).
  test_images.write_file(
      os.path.join(root, 'train', 'n01000001', 'n01000001_gray.JPEG'),
      test_images.grayscale_jpeg(100))
  test_images.write_file(
      os.path.join(root, 'train', 'n01000001', 'n01000001_bad.JPEG'),
      b'\xff\xd8 truncated nonsense')
  for i, synset in enumerate(VALIDATION):
    test_images.write_file(
        os.path.join(root, 'validation', 'ILSVRC2012_val_%08d.JPEG' % (i + 1)),
        test_images.solid_rgb(COLORS[synset], 16, 16 + i))
  files = {
      'labels': os.path.join(root, 'synsets.txt'),
      'metadata': os.path.join(root, 'imagenet_metadata.txt'),
      'ground_truth': os.path.join(root, 'validation_synsets.txt'),
      'boxes': os.path.join(root, 'boxes.csv'),
  }
  with open(files['labels'], 'w') as f:
    f.write('\n'.join(SYNSETS) + '\n')
  with open(files['metadata'], 'w') as f:
    f.write('n00000001\tentity\n')
    f.writelines('%s\t%s\n' % item for item in sorted(TEXTS.items()))
  with open(files['ground_truth'], 'w') as f:
    f.write('\n'.join(VALIDATION) + '\n')
  with open(files['boxes'], 'w') as f:
    f.write('n01000001_0.JPEG,0.1000,0.2000,0.5000,0.6000\n'
            'n01000001_0.JPEG,0.3000,0.0000,1.0000,0.9000\n'
            'ILSVRC2012_val_00000002.JPEG,0.0500,0.1500,0.9500,0.8500\n'
            'this,line,is,malformed\n')
  return files


class BuildImagenetDataTest(absltest.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    root = absltest.get_default_test_tmpdir()
    cls.raw = os.path.join(root, 'raw_imagenet')
    cls.files = make_raw_imagenet(cls.raw)
    cls.output = os.path.join(root, 'imagenet_tfrecord')
    cls.summary = build_imagenet_data.convert_imagenet(
        cls.output,
        train_directory=os.path.join(cls.raw, 'train'),
        validation_directory=os.path.join(cls.raw, 'validation'),
        validation_labels_file=cls.files['ground_truth'],
        labels_file=cls.files['labels'],
        imagenet_metadata_file=cls.files['metadata'],
        bounding_box_file=cls.files['boxes'],
        train_shards=2, validation_shards=2, num_threads=2)

  def records(self, split):
    return test_images.read_records(
        glob.glob(os.path.join(self.output, '%s-*' % split)))

  def test_layout_labels_and_description(self):
    self.assertEqual(
        sorted(os.listdir(self.output)),
        ['dataset_info.json', 'labels.txt', 'train-00000-of-00002',
         'train-00001-of-00002', 'validation-00000-of-00002',
         'validation-00001-of-00002'])
    self.assertEqual(dataset_info.read_labels(self.output), {
        0: 'background', 1: 'great white shark', 2: 'tench, Tinca tinca',
        3: 'goldfish'})
    info = dataset_info.read_info(self.output)
    self.assertEqual((info['name'], info['num_classes'],
                      info['labels_offset']), ('imagenet', 4, 1))
    self.assertEqual(info['splits']['train']['num_samples'], 12)
    self.assertEqual(info['splits']['validation']['num_samples'], 4)
    skipped = [p for r in self.summary.splits.values() for p, _ in r.skipped]
    self.assertEqual([os.path.basename(p) for p in skipped],
                     ['n01000001_bad.JPEG'])

  def test_train_records(self):
    records = self.records('train')
    self.assertLen(records, 12)
    for record in records:
      synset = test_images.first(record, tfexample.SYNSET)
      filename = test_images.first(record, tfexample.FILENAME)
      self.assertTrue(filename.startswith(synset), filename)
      self.assertEqual(test_images.first(record, tfexample.LABEL),
                       SYNSETS.index(synset) + 1)
      self.assertEqual(test_images.first(record, tfexample.TEXT),
                       TEXTS[synset])
      self.assertEqual((record['decoded_format'], record['mode']),
                       ('JPEG', 'RGB'))
      self.assertEqual(test_images.first(record, tfexample.FORMAT), 'JPEG')
      self.assertEqual(test_images.first(record, tfexample.COLORSPACE), 'RGB')
      self.assertEqual(test_images.first(record, tfexample.CHANNELS), 3)
      height, width, _ = record['pixels'].shape
      self.assertEqual((test_images.first(record, tfexample.HEIGHT),
                        test_images.first(record, tfexample.WIDTH)),
                       (height, width))
      mean = record['pixels'].reshape(-1, 3).mean(0)
      expected = {'n01000001_gray.JPEG': (100, 100, 100),
                  'n01000003_cmyk.JPEG': (55, 255, 55)}.get(
                      filename, COLORS[synset])
      np.testing.assert_allclose(mean, expected, atol=5, err_msg=filename)
      boxes = list(zip(*[record[k] for k in (
          tfexample.BBOX_XMIN, tfexample.BBOX_YMIN, tfexample.BBOX_XMAX,
          tfexample.BBOX_YMAX)]))
      if filename == 'n01000001_0.JPEG':
        np.testing.assert_allclose(
            boxes, [(0.1, 0.2, 0.5, 0.6), (0.3, 0.0, 1.0, 0.9)], atol=1e-6)
        self.assertEqual(record[tfexample.BBOX_LABEL], [2, 2])
      else:
        self.assertEqual(boxes, [])

  def test_validation_records_follow_the_ground_truth(self):
    by_name = {test_images.first(r, tfexample.FILENAME): r
               for r in self.records('validation')}
    self.assertLen(by_name, 4)
    for i, synset in enumerate(VALIDATION):
      record = by_name['ILSVRC2012_val_%08d.JPEG' % (i + 1)]
      self.assertEqual(test_images.first(record, tfexample.SYNSET), synset)
      self.assertEqual(test_images.first(record, tfexample.LABEL),
                       SYNSETS.index(synset) + 1)
      np.testing.assert_allclose(record['pixels'].reshape(-1, 3).mean(0),
                                 COLORS[synset], atol=4)
    np.testing.assert_allclose(
        by_name['ILSVRC2012_val_00000002.JPEG'][tfexample.BBOX_YMIN], [0.15],
        atol=1e-6)

  def test_read_back_through_the_factory(self):
    dataset = dataset_factory.get_dataset(None, 'validation', self.output)
    self.assertEqual((dataset.name, dataset.num_samples, dataset.num_classes,
                      dataset.labels_offset), ('imagenet', 4, 4, 1))
    self.assertEqual(dataset.label_names[0], 'background')
    # The largest stored image is recorded, so a small subset is cached
    # decoded like any other converted directory.
    sizes = [record['pixels'].shape[:2]
             for split in ('train', 'validation')
             for record in self.records(split)]
    self.assertEqual(dataset.max_image_size,
                     (max(h for h, _ in sizes), max(w for _, w in sizes)))
    labels = []
    for images, batch_labels in dataset.input_dataset(3, 32, False):
      self.assertEqual(images.shape[1:], (32, 32, 3))
      labels.extend(batch_labels.numpy().tolist())
    self.assertEqual(sorted(labels),
                     sorted(SYNSETS.index(s) + 1 for s in VALIDATION))
    train = dataset_factory.get_dataset('imagenet', 'train', self.output)
    images, labels = next(iter(train.input_dataset(4, 32, True)))
    self.assertEqual(images.shape, (4, 32, 32, 3))
    self.assertTrue(set(labels.numpy()) <= {1, 2, 3})
    self.assertBetween(float(tf.reduce_min(images)), -1.0, 1.0)

  def test_bad_input(self):
    with self.assertRaisesRegex(dataset_info.DatasetError, 'no/such'):
      build_imagenet_data.convert_imagenet(
          self.create_tempdir().full_path, train_directory='/no/such/train',
          labels_file=self.files['labels'])
    short_truth = self.create_tempfile(content='n01000001\n').full_path
    with self.assertRaisesRegex(dataset_info.DatasetError, '1 labels'):
      build_imagenet_data.convert_imagenet(
          self.create_tempdir().full_path,
          validation_directory=os.path.join(self.raw, 'validation'),
          validation_labels_file=short_truth,
          labels_file=self.files['labels'])


if __name__ == '__main__':
  absltest.main()
