"""ImageNet (ILSVRC-2012) in TF-Slim's TFRecord layout.

Shards train-00000-of-01024 ... and validation-00000-of-00128 ..., as written
by build_imagenet_data (or TF-Slim's own converter). Labels 1..1000 are the
classes in synset order, 0 is background, so classifiers have 1001 outputs.

The constants are ImageNet's facts, shared with build_imagenet_data; the
synset list, the synsets' names and the validation ground truth ship in
datasets/data/ (see its README for where they came from), so nothing is
fetched. get_split reads shards that come without a dataset_info.json; a
directory with one (build_imagenet_data's output) is read from its
description, like any other (custom.get_split).
"""

import collections
import os

from datasets import dataset_info

NAME = 'imagenet'
NUM_CLASSES = 1001
LABELS_OFFSET = 1
SPLITS_TO_SIZES = {'train': 1281167, 'validation': 50000}
SPLITS_TO_SHARDS = {'train': 1024, 'validation': 128}

# The shipped files, next to this module (in a checkout and in Bazel's
# runfiles alike), under the names TF-Slim's tools gave them.
DATA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'data')
# The 1000 ILSVRC-2012 synsets in label order: label = line index + 1.
SYNSETS_FILE = os.path.join(DATA_DIR, 'imagenet_lsvrc_2015_synsets.txt')
# `synset<TAB>names` for every ImageNet synset.
METADATA_FILE = os.path.join(DATA_DIR, 'imagenet_metadata.txt')
# Line n: the synset of ILSVRC2012_val_<n>.JPEG.
VALIDATION_LABELS_FILE = os.path.join(
    DATA_DIR, 'imagenet_2012_validation_synset_labels.txt')
BACKGROUND = 'background'


def read_text_lines(path, what):
  """The non-blank lines of a text file, stripped; `what` names it in errors.

  Raises:
    dataset_info.DatasetError: the file cannot be read.
  """
  try:
    with open(path, encoding='utf-8') as f:
      return [line.strip() for line in f if line.strip()]
  except (OSError, UnicodeDecodeError) as e:
    raise dataset_info.DatasetError('cannot read %s %s: %s' % (
        what, path, getattr(e, 'strerror', None) or e)) from e


def read_synsets(path=SYNSETS_FILE, what='labels_file'):
  """The synsets of a one-per-line file, in label order (label = index + 1).

  Raises:
    dataset_info.DatasetError: unreadable, empty, or a synset listed twice.
  """
  synsets = read_text_lines(path, what)
  if not synsets:
    raise dataset_info.DatasetError('no synsets in %s' % path)
  duplicates = sorted(s for s, n in collections.Counter(synsets).items()
                      if n > 1)
  if duplicates:
    raise dataset_info.DatasetError('duplicate synsets in %s: %s' %
                                    (path, ', '.join(duplicates[:5])))
  return synsets


def read_synset_names(path=METADATA_FILE, what='imagenet_metadata_file'):
  """{synset: human-readable names} from `synset<TAB>names` lines."""
  names = {}
  for line in read_text_lines(path, what):
    synset, sep, text = line.partition('\t')
    if sep:
      names[synset.strip()] = text.strip()
  return names


def create_readable_names_for_imagenet_labels():
  """{label: name} for the 1001 labels of ImageNet models, as TF-Slim's.

  0 is 'background', label i + 1 the names of synset i of the challenge list
  (1: 'tench, Tinca tinca', ..., 1000: 'toilet tissue, toilet paper, bathroom
  tissue'), from the shipped files; a new dict on every call.
  """
  names = read_synset_names()
  labels_to_names = {0: BACKGROUND}
  for index, synset in enumerate(read_synsets()):
    labels_to_names[index + LABELS_OFFSET] = names.get(synset, synset)
  return labels_to_names


def has_standard_shards(dataset_dir):
  """True when `dataset_dir` holds shards named as TF-Slim's ImageNet ones."""
  return any(
      os.path.exists(os.path.join(
          dataset_dir, dataset_info.shard_basename(split, 0, shards)))
      for split, shards in SPLITS_TO_SHARDS.items())


def get_split(split_name, dataset_dir, preprocessing):
  """The ImageNet Dataset for `split_name` of a directory in TF-Slim's layout.

  Only for shards without a dataset_info.json (e.g. from TF-Slim's own
  converter): the counts are the standard ones, and all the standard shards
  must be there. A described directory, such as build_imagenet_data's
  output (maybe a subset), is read by custom.get_split.

  Args:
    split_name: 'train' or 'validation' (dataset_factory.get_dataset has
      checked it).
    dataset_dir: the TFRecord directory.
    preprocessing: the Dataset's preprocessing style (dataset_factory
      chooses it).

  Raises:
    dataset_info.DatasetError: missing or incomplete shards.
  """
  # Imported here: the facts above load without TensorFlow (for
  # process_bounding_boxes, which starts in a fraction of a second).
  from datasets import dataset  # pylint: disable=g-import-not-at-top
  num_shards = SPLITS_TO_SHARDS[split_name]
  filenames = dataset.find_shards(
      dataset_dir, dataset_info.shard_glob(split_name, num_shards), split_name)
  if len(filenames) != num_shards:
    raise dataset_info.DatasetError(
        '%s: %d of %d %s shards found (an unfinished conversion?)' % (
            dataset_dir, len(filenames), num_shards, split_name))
  return dataset.Dataset(
      name=NAME, split_name=split_name, dataset_dir=dataset_dir,
      filenames=filenames, num_samples=SPLITS_TO_SIZES[split_name],
      num_classes=NUM_CLASSES, labels_offset=LABELS_OFFSET,
      label_names=dataset_info.read_labels(dataset_dir),
      preprocessing=preprocessing)
