"""ImageNet (ILSVRC-2012) in TF-Slim's TFRecord layout.

Shards train-00000-of-01024 ... and validation-00000-of-00128 ..., as written
by build_imagenet_data (or TF-Slim's own converter). Labels 1..1000 are the
classes in synset order, 0 is background, so classifiers have 1001 outputs.
"""

import os

from datasets import dataset
from datasets import dataset_info
from preprocessing import mobilenet_v1_preprocessing

NAME = 'imagenet'
NUM_CLASSES = 1001
LABELS_OFFSET = 1
SPLITS_TO_SIZES = {'train': 1281167, 'validation': 50000}
SPLITS_TO_SHARDS = {'train': 1024, 'validation': 128}
PREPROCESSING_KWARGS = dict(mobilenet_v1_preprocessing.DEFAULT_KWARGS)


def has_standard_shards(dataset_dir):
  """True when `dataset_dir` holds shards named as TF-Slim's ImageNet ones."""
  return any(
      os.path.exists(os.path.join(
          dataset_dir, dataset_info.shard_basename(split, 0, shards)))
      for split, shards in SPLITS_TO_SHARDS.items())


def get_split(split_name, dataset_dir, info=None):
  """The ImageNet Dataset for `split_name`.

  Args:
    split_name: 'train' or 'validation'.
    dataset_dir: the TFRecord directory.
    info: its dataset_info.json contents, if it has one (then the counts are
      the converter's, e.g. for a subset); else the standard counts, and all
      the standard shards must be there.

  Raises:
    dataset_info.DatasetError: unknown split, missing or incomplete shards.
  """
  if split_name not in SPLITS_TO_SIZES:
    raise dataset_info.DatasetError('unknown split %r for imagenet (known: %s)'
                                    % (split_name,
                                       ', '.join(sorted(SPLITS_TO_SIZES))))
  if info is not None:
    split = info['splits'].get(split_name)
    if not split or not split.get('num_samples'):
      raise dataset_info.DatasetError('no %s split in %s' % (split_name,
                                                             dataset_dir))
    filenames = dataset.find_shards(dataset_dir, split['file_pattern'],
                                    split_name)
    if len(filenames) != split['num_shards']:
      raise dataset_info.DatasetError(
          '%s: %d of %d %s shards found' % (dataset_dir, len(filenames),
                                            split['num_shards'], split_name))
    num_samples = split['num_samples']
    num_classes = info['num_classes']
    labels_offset = info['labels_offset']
  else:
    num_shards = SPLITS_TO_SHARDS[split_name]
    filenames = dataset.find_shards(
        dataset_dir, dataset_info.shard_glob(split_name, num_shards),
        split_name)
    if len(filenames) != num_shards:
      raise dataset_info.DatasetError(
          '%s: %d of %d %s shards found (an unfinished conversion?)' % (
              dataset_dir, len(filenames), num_shards, split_name))
    num_samples = SPLITS_TO_SIZES[split_name]
    num_classes = NUM_CLASSES
    labels_offset = LABELS_OFFSET
  return dataset.Dataset(
      name=NAME, split_name=split_name, dataset_dir=dataset_dir,
      filenames=filenames, num_samples=num_samples, num_classes=num_classes,
      labels_offset=labels_offset,
      label_names=dataset_info.read_labels(dataset_dir),
      preprocessing_kwargs=PREPROCESSING_KWARGS)
