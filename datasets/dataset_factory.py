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
    by custom.get_split.
  * a dataset_dir without it is ImageNet in TF-Slim's layout, when the name
    is 'imagenet' or the standard shard names are there.
  * the preprocessing style (mobilenet_v1_preprocessing.STYLES) is the one
    asked for, else chosen by choose_preprocessing: the original's
    Inception style for ImageNet and for photos, the gentle one for the
    digits and for data whose images are all small (recorded in
    dataset_info.json by the converters); the choice is logged.
Every problem raises dataset_info.DatasetError (a BadInputError) with a
one-line message.
"""

import os

from absl import logging

from core import paths
from datasets import custom
from datasets import dataset_info
from datasets import digits
from datasets import imagenet
from preprocessing import mobilenet_v1_preprocessing

DatasetError = dataset_info.DatasetError
NAMES = (digits.NAME, imagenet.NAME, custom.NAME)
SPLIT_NAMES = dataset_info.SPLIT_NAMES
# Data whose largest image is at most this many pixels on its longer side
# gets the gentle preprocessing unless told otherwise: small images are
# thumbnails, icons, digits, centred objects that the Inception crop (down
# to 5 % of the area) would cut away (docs/TRAINING.md has the measurement).
SMALL_IMAGE_MAX_SIDE = 64


def choose_preprocessing(name, info=None):
  """(style, why): the preprocessing that suits data of dataset `name`.

  Args:
    name: the dataset's name ('digits', 'imagenet', 'custom', ...).
    info: its dataset_info.json, if it has one (for the image size).
  """
  inception = mobilenet_v1_preprocessing.INCEPTION
  gentle = mobilenet_v1_preprocessing.GENTLE
  if name == digits.NAME:
    return gentle, 'the built-in digits are small, centred images'
  if name == imagenet.NAME:
    return inception, 'ImageNet, as the original'
  size = (info or {}).get('max_image_size')
  if not size:
    return inception, 'the image size of %s is not recorded' % name
  if max(size) <= SMALL_IMAGE_MAX_SIDE:
    return gentle, 'its images are at most %dx%d px, small (<= %d)' % (
        size[0], size[1], SMALL_IMAGE_MAX_SIDE)
  return inception, 'its images are up to %dx%d px (> %d)' % (
      size[0], size[1], SMALL_IMAGE_MAX_SIDE)


def _style(name, info, preprocessing):
  """The style asked for, else the chosen one; logs which and why."""
  if preprocessing:
    if preprocessing not in mobilenet_v1_preprocessing.STYLES:
      raise DatasetError('unknown --preprocessing %r (known: %s)' % (
          preprocessing, ', '.join(sorted(mobilenet_v1_preprocessing.STYLES))))
    logging.info('preprocessing: %s (--preprocessing)', preprocessing)
    return preprocessing
  style, why = choose_preprocessing(name, info)
  logging.info('preprocessing: %s, as %s (--preprocessing chooses another)',
               style, why)
  return style


def _read_described(split_name, dataset_dir, info, preprocessing):
  """The split of a directory with a dataset_info.json (`info`)."""
  described = info['name']
  return custom.get_split(split_name, dataset_dir, info,
                          _style(described, info, preprocessing),
                          name=described)


def get_dataset(name, split_name, dataset_dir=None, preprocessing=None):
  """The Dataset (datasets.dataset.Dataset) for one split.

  Args:
    name: None, 'digits', 'imagenet' or 'custom' (see the module rules).
    split_name: 'train' or 'validation'.
    dataset_dir: the TFRecord directory; None for the built-in digits.
    preprocessing: a style name, or None / '' to choose by the data.

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
                             dataset_info.read_info(directory), preprocessing)
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
    return _read_described(split_name, dataset_dir, info, preprocessing)
  if name == imagenet.NAME or (name is None and
                               imagenet.has_standard_shards(dataset_dir)):
    return imagenet.get_split(split_name, dataset_dir,
                              _style(imagenet.NAME, None, preprocessing))
  raise DatasetError(
      'no %s in %s: not written by build_image_data, or the conversion did '
      'not finish (for TF-Slim ImageNet shards, use the dataset name '
      'imagenet)' % (dataset_info.INFO_FILENAME, dataset_dir))
