"""From a raw ILSVRC-2012 tree alone to TFRecords, as the user runs it.

The tree is what the raw download extracts to (train/<synset>/*.JPEG with a
CMYK JPEG and a PNG named .JPEG, flat validation/ILSVRC2012_val_<n>.JPEG, the
XML boxes), with nothing else: process_bounding_boxes turns the XML into the
CSV, then build_imagenet_data runs with its defaults (the shipped synset list,
names and validation ground truth). Both run as binaries, and so do a few
training steps and an eval on the result; the variations call the
converter's library.
"""

import glob
import os

from absl.testing import absltest
import numpy as np

from core import scripts
from datasets import build_imagenet_data
from datasets import dataset_info
from datasets import imagenet
from datasets import test_images
from datasets import tfexample

# The first, second and last synsets of the challenge list.
TRAIN_COLORS = {'n01440764': (220, 20, 30), 'n01443537': (20, 30, 220),
                'n15075141': (30, 200, 40)}
EXPECTED_LABELS = {'n01440764': 1, 'n01443537': 2, 'n15075141': 1000}
# ILSVRC2012_val_00000001..3 are a sea snake, an alp, a Shetland sheepdog.
VALIDATION = [('n01751748', 66), ('n09193705', 971), ('n02105855', 231)]
# (xml path under bbox/, image, width, height, objects): pixel boxes.
ANNOTATIONS = [
    ('train/n01440764/n01440764_0.xml', 'n01440764_0', 40, 20,
     [('n01440764', 4, 2, 20, 18), ('n01440764', 30, 0, 44, 20),
      # Another challenge synset (a crane) is kept, as TF-Slim's tool did; a
      # person (n00007846, not in the challenge) is dropped.
      ('n02012849', 0, 0, 10, 10), ('n00007846', 0, 0, 40, 20)]),
    ('train/n15075141/n15075141_cmyk.xml', 'n15075141_cmyk', 20, 12,
     [('n15075141', 5, 3, 15, 9)]),
    ('val/ILSVRC2012_val_00000002.xml', 'ILSVRC2012_val_00000002', 16, 18,
     [('n09193705', 0, 9, 16, 18)]),
]
EXPECTED_BOXES = {
    'n01440764_0.JPEG': [(0.1, 0.1, 0.5, 0.9), (0.75, 0.0, 1.0, 1.0),
                         (0.0, 0.0, 0.25, 0.5)],
    'n15075141_cmyk.JPEG': [(0.25, 0.25, 0.75, 0.75)],
    'ILSVRC2012_val_00000002.JPEG': [(0.0, 0.5, 1.0, 1.0)],
}
MALFORMED_XML = 'train/n01443537/n01443537_1.xml'


def make_raw_ilsvrc(root):
  """Writes the raw tree under `root`: train/, validation/ and bbox/."""
  for synset, color in TRAIN_COLORS.items():
    for i in range(2):
      test_images.write_file(
          os.path.join(root, 'train', synset, '%s_%d.JPEG' % (synset, i)),
          test_images.solid_rgb(color, 40, 20 + i))
  test_images.write_file(
      os.path.join(root, 'train', 'n01443537', 'n01443537_png.JPEG'),
      test_images.solid_rgb(TRAIN_COLORS['n01443537'], 12, 12, 'PNG'))
  test_images.write_file(
      os.path.join(root, 'train', 'n15075141', 'n15075141_cmyk.JPEG'),
      test_images.cmyk_jpeg((200, 0, 200, 0)))  # RGB ~ (55, 255, 55).
  for i in range(len(VALIDATION)):
    test_images.write_file(
        os.path.join(root, 'validation',
                     'ILSVRC2012_val_%08d.JPEG' % (i + 1)),
        test_images.solid_rgb((100, 100 + 40 * i, 100), 16, 18))
  for relative, stem, width, height, objects in ANNOTATIONS:
    test_images.write_file(
        os.path.join(root, 'bbox', relative),
        test_images.ilsvrc_annotation(stem, width, height,
                                      objects).encode('utf-8'))
  test_images.write_file(os.path.join(root, 'bbox', MALFORMED_XML),
                         b'<annotation><size><width>4</wid')


def run_binary(script, *args):
  return scripts.run_script(script, args, 300)


class RawImagenetTest(absltest.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    tmp = absltest.get_default_test_tmpdir()
    cls.raw = os.path.join(tmp, 'raw')
    make_raw_ilsvrc(cls.raw)
    cls.boxes = run_binary('datasets/process_bounding_boxes.py',
                           os.path.join(cls.raw, 'bbox'),
                           imagenet.SYNSETS_FILE)
    cls.csv = os.path.join(tmp, 'imagenet_2012_bounding_boxes.csv')
    with open(cls.csv, 'w') as f:
      f.write(cls.boxes.stdout)
    cls.output = os.path.join(tmp, 'imagenet')
    cls.build = run_binary(
        'datasets/build_imagenet_data.py',
        '--train_directory=' + os.path.join(cls.raw, 'train'),
        '--validation_directory=' + os.path.join(cls.raw, 'validation'),
        '--bounding_box_file=' + cls.csv, '--output_directory=' + cls.output,
        '--train_shards=2', '--validation_shards=1', '--num_threads=2')

  def records(self, split):
    return {test_images.first(r, tfexample.FILENAME): r
            for r in test_images.read_records(
                glob.glob(os.path.join(self.output, '%s-*' % split)))}

  def boxes_of(self, record):
    return list(zip(*[record[k] for k in (
        tfexample.BBOX_XMIN, tfexample.BBOX_YMIN, tfexample.BBOX_XMAX,
        tfexample.BBOX_YMAX)]))

  def test_boxes_converted(self):
    self.assertEqual(self.boxes.returncode, 0, self.boxes.stderr[-2000:])
    self.assertIn('skipped %s' % os.path.join(self.raw, 'bbox',
                                              MALFORMED_XML),
                  self.boxes.stderr)
    self.assertIn('5 boxes for 3 images from 4 files; skipped 1 malformed '
                  'files, 1 boxes of other synsets, 0 empty boxes',
                  self.boxes.stderr)
    # In the order of the XML paths: train/ before val/.
    self.assertEqual(self.boxes.stdout.splitlines(), [
        'n01440764_0.JPEG,0.1000,0.1000,0.5000,0.9000',
        'n01440764_0.JPEG,0.7500,0.0000,1.0000,1.0000',
        'n01440764_0.JPEG,0.0000,0.0000,0.2500,0.5000',
        'n15075141_cmyk.JPEG,0.2500,0.2500,0.7500,0.7500',
        'ILSVRC2012_val_00000002.JPEG,0.0000,0.5000,1.0000,1.0000'])

  def test_labels_names_and_description_from_the_defaults(self):
    self.assertEqual(self.build.returncode, 0, self.build.stderr[-3000:])
    info = dataset_info.read_info(self.output)
    self.assertEqual((info['name'], info['num_classes'],
                      info['labels_offset']), ('imagenet', 1001, 1))
    self.assertEqual(info['splits']['train']['num_samples'], 8)
    self.assertEqual(info['splits']['validation']['num_samples'], 3)
    self.assertEqual(dataset_info.read_labels(self.output),
                     imagenet.create_readable_names_for_imagenet_labels())

  def test_train_records(self):
    records = self.records('train')
    self.assertLen(records, 8)
    names = imagenet.create_readable_names_for_imagenet_labels()
    for filename, record in records.items():
      synset = test_images.first(record, tfexample.SYNSET)
      self.assertTrue(filename.startswith(synset), filename)
      label = test_images.first(record, tfexample.LABEL)
      self.assertEqual(label, EXPECTED_LABELS[synset], filename)
      self.assertEqual(test_images.first(record, tfexample.TEXT),
                       names[label])
      self.assertEqual((record['decoded_format'], record['mode']),
                       ('JPEG', 'RGB'), filename)
      expected_color = ((55, 255, 55) if filename == 'n15075141_cmyk.JPEG'
                        else TRAIN_COLORS[synset])
      np.testing.assert_allclose(record['pixels'].reshape(-1, 3).mean(0),
                                 expected_color, atol=5, err_msg=filename)
      np.testing.assert_allclose(self.boxes_of(record),
                                 EXPECTED_BOXES.get(filename, np.zeros([0])),
                                 atol=1e-6, err_msg=filename)
    self.assertEqual(names[1], 'tench, Tinca tinca')
    self.assertEqual(
        test_images.first(records['n15075141_0.JPEG'], tfexample.TEXT),
        'toilet tissue, toilet paper, bathroom tissue')

  def test_validation_records_follow_the_shipped_ground_truth(self):
    records = self.records('validation')
    self.assertLen(records, 3)
    for i, (synset, label) in enumerate(VALIDATION):
      filename = 'ILSVRC2012_val_%08d.JPEG' % (i + 1)
      record = records[filename]
      self.assertEqual(test_images.first(record, tfexample.SYNSET), synset)
      self.assertEqual(test_images.first(record, tfexample.LABEL), label)
      np.testing.assert_allclose(self.boxes_of(record),
                                 EXPECTED_BOXES.get(filename, np.zeros([0])),
                                 atol=1e-6, err_msg=filename)

  def test_trains_and_evaluates(self):
    self.assertEqual(self.build.returncode, 0, self.build.stderr[-3000:])
    model = ['--dataset_dir=' + self.output, '--depth_multiplier=0.25',
             '--image_size=32', '--batch_size=4', '--num_threads=1',
             '--checkpoint_dir=' + self.create_tempdir().full_path]
    train = run_binary('mobilenet_v1_train.py', *model,
                       '--number_of_steps=5')
    self.assertEqual(train.returncode, 0, train.stderr[-3000:])
    self.assertIn('1001 classes on imagenet/train (8 examples)', train.stderr)
    self.assertIn('training done at step 5', train.stderr)
    evaluation = run_binary('mobilenet_v1_eval.py', *model)
    self.assertEqual(evaluation.returncode, 0, evaluation.stderr[-3000:])
    self.assertRegex(evaluation.stdout,
                     r'Accuracy [01]\.\d{4}  Recall_5 [01]\.\d{4}  '
                     r'\(3 examples, step 5, ')

  def test_a_subset_of_the_validation_images(self):
    # Three files of 50,000: each gets its own line of the ground truth, by
    # the number in its name (not by its position in the directory).
    subset = os.path.join(self.create_tempdir().full_path, 'validation')
    for n in (3, 1):
      test_images.write_file(
          os.path.join(subset, 'ILSVRC2012_val_%08d.JPEG' % n),
          test_images.solid_rgb((90, 90, 90), 16, 16))
    output = self.create_tempdir().full_path
    build_imagenet_data.convert_imagenet(output, validation_directory=subset,
                                         validation_shards=1, num_threads=1)
    labels = {test_images.first(r, tfexample.FILENAME):
              test_images.first(r, tfexample.LABEL)
              for r in test_images.read_records(
                  glob.glob(os.path.join(output, 'validation-*')))}
    self.assertEqual(labels, {'ILSVRC2012_val_00000001.JPEG': 66,
                              'ILSVRC2012_val_00000003.JPEG': 231})

  def test_own_files_still_win(self):
    own = self.create_tempdir().full_path
    synsets = os.path.join(own, 'synsets.txt')
    with open(synsets, 'w') as f:
      f.write('n15075141\nn01440764\n')
    metadata = os.path.join(own, 'names.txt')
    with open(metadata, 'w') as f:
      f.write('n15075141\ttissue\nn01440764\tfish\n')
    output = self.create_tempdir().full_path
    build_imagenet_data.convert_imagenet(
        output, train_directory=os.path.join(self.raw, 'train'),
        labels_file=synsets, imagenet_metadata_file=metadata, train_shards=1,
        num_threads=1)
    self.assertEqual(dataset_info.read_labels(output),
                     {0: 'background', 1: 'tissue', 2: 'fish'})
    self.assertEqual(dataset_info.read_info(output)['num_classes'], 3)


if __name__ == '__main__':
  absltest.main()
