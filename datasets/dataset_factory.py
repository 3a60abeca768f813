"""Picks the dataset a training or eval run reads, as TF-Slim's factory.

  dataset = dataset_factory.get_dataset(FLAGS.dataset_name, 'train',
                                        FLAGS.dataset_dir)
  images, labels = tf.compat.v1.data.make_one_shot_iterator(
      dataset.input_dataset(32, 224, is_training=True)).get_next()

Rules:
  * no dataset_dir: name None or 'digits' is the built-in digits (the
    default, read from its cache directory); 'imagenet' and 'custom' need a
    directory.
  * a dataset_dir with dataset_info.json is read from that description
    (written by build_image_data or build_imagenet_data) whatever name is
    given, except that a name contradicting the description ('imagenet' or
    'digits' for other data) is an error. Every described directory is read
    by custom.get_split, with the preprocessing its dataset name calls for.
  * a dataset_dir without it is ImageNet in TF-Slim's layout, when the name
    is 'imagenet' or the standard shard names are there.
Every problem raises dataset_info.DatasetError (a ValueError) with a one-line
message.
"""

import os

from core import paths
from datasets import custom
from datasets import dataset_info
from datasets import digits
from datasets import imagenet
from preprocessing import mobilenet_v1_preprocessing

DatasetError = dataset_info.DatasetError
NAMES = (digits.NAME, imagenet.NAME, custom.NAME)
SPLIT_NAMES = dataset_info.SPLIT_NAMES
# The one map from a dataset name to the preprocessing that suits it; data
# of any other name (imagenet, custom, ...) gets the Inception defaults.
_PREPROCESSING_KWARGS = {
    digits.NAME: digits.PREPROCESSING_KWARGS,
}


def preprocessing_kwargs(name):
  """The preprocessing arguments for data of dataset name `name`."""
  return _PREPROCESSING_KWARGS.get(name,
                                   mobilenet_v1_preprocessing.DEFAULT_KWARGS)


def _read_described(split_name, dataset_dir, info):
  """The split of a directory with a dataset_info.json (`info`)."""
  described = info['name']
  return custom.get_split(split_name, dataset_dir, info,
                          preprocessing_kwargs(described), name=described)


def get_dataset(name, split_name, dataset_dir=None):
  """The Dataset (datasets.dataset.Dataset) for one split.

  Args:
    name: None, 'digits', 'imagenet' or 'custom' (see the module rules).
    split_name: 'train' or 'validation'.
    dataset_dir: the TFRecord directory; None for the built-in digits.

  Raises:
    DatasetError: unknown name or split, missing directory or records, or a
      name that contradicts the directory's description.
  """
  name = name or None
  if name is not None and name not in NAMES:
    raise DatasetError('unknown dataset name %r (known: %s)' %
                       (name, ', '.join(NAMES)))
  if split_name not in SPLIT_NAMES:
    raise DatasetError('unknown split %r (known: %s)' %
                       (split_name, ', '.join(SPLIT_NAMES)))
  if not dataset_dir:
    if name in (None, digits.NAME):
      directory = digits.ensure_cache()
      return _read_described(split_name, directory,
                             dataset_info.read_info(directory))
    raise DatasetError('dataset %r needs a dataset_dir (TFRecords written by '
                       'build_%s_data)' % (
                           name, 'imagenet' if name == imagenet.NAME
                           else 'image'))

  dataset_dir = paths.user_path(dataset_dir)
  if not os.path.isdir(dataset_dir):
    raise DatasetError('dataset_dir does not exist: %s' % dataset_dir)
  info = dataset_info.read_info(dataset_dir)
  if info is not None:
    described = info['name']
    if name not in (None, custom.NAME, described):
      raise DatasetError('%s holds %r data (%d classes), not %r; drop the '
                         'dataset name or use %r' % (
                             dataset_dir, described, info['num_classes'],
                             name, described))
    return _read_described(split_name, dataset_dir, info)
  if name == imagenet.NAME or (name is None and
                               imagenet.has_standard_shards(dataset_dir)):
    return imagenet.get_split(split_name, dataset_dir,
                              preprocessing_kwargs(imagenet.NAME))
  raise DatasetError(
      'no %s in %s: not written by build_image_data, or the conversion did '
      'not finish (for TF-Slim ImageNet shards, use the dataset name '
      'imagenet)' % (dataset_info.INFO_FILENAME, dataset_dir))
