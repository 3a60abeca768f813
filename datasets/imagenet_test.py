"""The shipped ImageNet facts and TF-Slim's readable names built from them."""

import collections
import os
import re

from absl.testing import absltest

from datasets import dataset_info
from datasets import imagenet


def _lines(path):
  with open(path, encoding='utf-8') as f:
    return f.read().splitlines()


class ShippedFilesTest(absltest.TestCase):

  def test_synset_list_is_the_challenge_list_in_label_order(self):
    synsets = _lines(imagenet.SYNSETS_FILE)
    self.assertLen(synsets, 1000)
    self.assertLen(set(synsets), 1000)
    self.assertTrue(all(re.fullmatch(r'n\d{8}', s) for s in synsets))
    self.assertEqual(synsets, sorted(synsets))
    self.assertEqual((synsets[0], synsets[1], synsets[-1]),
                     ('n01440764', 'n01443537', 'n15075141'))
    self.assertEqual(imagenet.read_synsets(), synsets)
    self.assertEqual(len(synsets) + imagenet.LABELS_OFFSET,
                     imagenet.NUM_CLASSES)

  def test_every_synset_has_a_name(self):
    names = imagenet.read_synset_names()
    self.assertGreater(len(names), 20000)  # All of ImageNet, not only 1000.
    missing = [s for s in imagenet.read_synsets() if not names.get(s)]
    self.assertEqual(missing, [])
    self.assertEqual(names['n01440764'], 'tench, Tinca tinca')
    self.assertEqual(names['n01443537'], 'goldfish, Carassius auratus')

  def test_validation_ground_truth(self):
    truth = _lines(imagenet.VALIDATION_LABELS_FILE)
    self.assertLen(truth, imagenet.SPLITS_TO_SIZES['validation'])
    counts = collections.Counter(truth)
    self.assertEqual(set(counts), set(imagenet.read_synsets()))
    self.assertEqual(set(counts.values()), {50})
    # ILSVRC2012_val_00000001..3: a sea snake, an alp, a Shetland sheepdog.
    self.assertEqual(truth[:3], ['n01751748', 'n09193705', 'n02105855'])


class ReadableNamesTest(absltest.TestCase):

  def test_tf_slim_mapping(self):
    names = imagenet.create_readable_names_for_imagenet_labels()
    self.assertLen(names, 1001)
    self.assertEqual(sorted(names), list(range(1001)))
    self.assertEqual(names[0], 'background')
    self.assertEqual(names[1], 'tench, Tinca tinca')
    self.assertEqual(names[2], 'goldfish, Carassius auratus')
    self.assertEqual(names[66], 'sea snake')
    self.assertEqual(names[1000],
                     'toilet tissue, toilet paper, bathroom tissue')
    # WordNet names two synsets 'crane': the bird and the machine.
    self.assertEqual([i for i, n in names.items() if n == 'crane'], [135, 518])
    # A new dict each time: a caller may change its copy.
    names[1] = 'changed'
    self.assertEqual(
        imagenet.create_readable_names_for_imagenet_labels()[1],
        'tench, Tinca tinca')


class ReadersTest(absltest.TestCase):

  def test_user_files(self):
    synsets = self.create_tempfile(content='n2\n\nn1\n').full_path
    self.assertEqual(imagenet.read_synsets(synsets), ['n2', 'n1'])
    metadata = self.create_tempfile(
        content='n1\tone, uno\nnot a pair\nn2\t two \n').full_path
    self.assertEqual(imagenet.read_synset_names(metadata),
                     {'n1': 'one, uno', 'n2': 'two'})

  def test_bad_files(self):
    twice = self.create_tempfile(content='n1\nn2\nn1\n').full_path
    with self.assertRaisesRegex(dataset_info.DatasetError,
                                'duplicate synsets in .*: n1'):
      imagenet.read_synsets(twice)
    empty = self.create_tempfile(content='\n').full_path
    with self.assertRaisesRegex(dataset_info.DatasetError, 'no synsets in'):
      imagenet.read_synsets(empty)
    missing = os.path.join(self.create_tempdir().full_path, 'none.txt')
    with self.assertRaisesRegex(dataset_info.DatasetError,
                                'cannot read labels_file .*none.txt'):
      imagenet.read_synsets(missing)
    binary = self.create_tempfile(content=b'\xff\xfe\x00').full_path
    with self.assertRaisesRegex(dataset_info.DatasetError,
                                'cannot read imagenet_metadata_file'):
      imagenet.read_synset_names(binary)


if __name__ == '__main__':
  absltest.main()
