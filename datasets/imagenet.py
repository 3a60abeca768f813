"""ImageNet (ILSVRC-2012) in TF-Slim's TFRecord layout.

Shards train-00000-of-01024 ... and validation-00000-of-00128 ..., as written
by build_imagenet_data (or TF-Slim's own converter). Labels 1..1000 are the
classes in synset order, 0 is background, so classifiers have 1001 outputs.

The constants are ImageNet's facts, shared with build_imagenet_data.
get_split reads shards that come without a dataset_info.json; a directory
with one (build_imagenet_data's output) is read from its description, like
any other (custom.get_split).
"""

import os

from datasets import dataset
from datasets import dataset_info

NAME = 'imagenet'
NUM_CLASSES = 1001
LABELS_OFFSET = 1
SPLITS_TO_SIZES = {'train': 1281167, 'validation': 50000}
SPLITS_TO_SHARDS = {'train': 1024, 'validation': 128}


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
