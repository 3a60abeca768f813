"""The built-in default dataset: scikit-learn's bundled handwritten digits.

1,797 real 8x8 grayscale digits (UCI optdigits test set, 17 grey levels
0..16), 10 classes, shipped inside scikit-learn: nothing is downloaded.
Training and eval use it when no --dataset_dir is given (dataset_factory
reads the cache below like any converted directory).

On first use the digits are converted once, through the same converter as
user data (image_folder.convert_image_folder), into a cache folder:

  $MOBILENET_V1_DATA_CACHE/digits, or ${XDG_CACHE_HOME:-~/.cache}/mobilenet_v1/digits

How they are stored: each 8x8 image becomes a 32x32 image by repeating every
pixel 4x4 (nearest neighbour, so lossless: the 8x8 values are exactly
recoverable), grey level round(v * 255 / 16), white digit on black, saved as
RGB PNG (lossless). 32 px leaves the random crop room to move by fractions
of an original pixel; the pipeline then resizes to the model's input size.

The split is fixed: a stratified 80/20 split of the 1,797 indices
(sklearn.model_selection.train_test_split, test_size=0.2, random_state=0):
1,437 train and 360 validation images. Each record's image/filename is
'<sklearn index>.png'.

The cache is built in a temporary folder and renamed into place, so two
processes building it at once both end with the same complete dataset.
"""

import os
import shutil
import tempfile

from absl import logging
import numpy as np
from PIL import Image

from datasets import dataset_info
from datasets import image_coding
from datasets import image_folder

NAME = 'digits'
CACHE_ENV = 'MOBILENET_V1_DATA_CACHE'
# Bump when the stored form changes: older caches are then rebuilt.
VERSION = 1
UPSCALE = 4
STORED_SIZE = 8 * UPSCALE
VALIDATION_SHARE = 0.2
SPLIT_SEED = 0

def cache_root():
  """$MOBILENET_V1_DATA_CACHE, else $XDG_CACHE_HOME/mobilenet_v1."""
  root = os.environ.get(CACHE_ENV)
  if root:
    return os.path.abspath(os.path.expanduser(root))
  xdg = os.environ.get('XDG_CACHE_HOME') or os.path.join(
      os.path.expanduser('~'), '.cache')
  return os.path.join(xdg, 'mobilenet_v1')


def cache_dir():
  """Where the converted digits live."""
  return os.path.join(cache_root(), NAME)


def to_stored_pixels(image_8x8, upscale=UPSCALE):
  """8x8 values 0..16 -> uint8 [8u, 8u]: grey levels, each pixel u x u."""
  grey = np.round(np.asarray(image_8x8, np.float64) * 255.0 / 16.0)
  grey = grey.astype(np.uint8)
  return np.repeat(np.repeat(grey, upscale, axis=0), upscale, axis=1)


def split_indices(labels):
  """(train indices, validation indices) of the fixed stratified split."""
  from sklearn import model_selection  # pylint: disable=g-import-not-at-top
  indices = np.arange(len(labels))
  train, validation = model_selection.train_test_split(
      indices, test_size=VALIDATION_SHARE, stratify=labels,
      random_state=SPLIT_SEED)
  return np.sort(train), np.sort(validation)


def write_image_tree(output_dir, upscale=UPSCALE, image_format='PNG',
                     split=True):
  """Writes the digits as image files, one folder per class.

  With split: train/<digit>/<index>.png and validation/<digit>/..., the
  fixed split; without: <digit>/<index>.png for all 1,797 (a tree of the
  shape users convert with build_image_data). Each is 8*upscale px square.

  Returns the number of files written.
  """
  # pylint: disable=g-import-not-at-top
  from sklearn import datasets as sk_datasets
  digits = sk_datasets.load_digits()
  train, validation = split_indices(digits.target)
  parts = (('train', train), ('validation', validation)) if split else (
      ('', np.arange(len(digits.target))),)
  suffix = '.jpg' if image_format == 'JPEG' else '.png'
  count = 0
  for split_name, indices in parts:
    for index in indices:
      label = int(digits.target[index])
      class_dir = os.path.join(output_dir, split_name, str(label))
      os.makedirs(class_dir, exist_ok=True)
      image = Image.fromarray(to_stored_pixels(digits.images[index], upscale),
                              mode='L')
      image.save(os.path.join(class_dir, '%04d%s' % (index, suffix)),
                 format=image_format)
      count += 1
  return count


def _is_complete(directory):
  try:
    info = dataset_info.read_info(directory)
  except dataset_info.DatasetError:
    return False
  return bool(info) and info.get('name') == NAME and (
      info.get('digits_version') == VERSION)


def ensure_cache():
  """Builds the digits cache unless it is there; returns its directory."""
  target = cache_dir()
  if _is_complete(target):
    return target
  parent = os.path.dirname(target)
  try:
    os.makedirs(parent, exist_ok=True)
    work = tempfile.mkdtemp(prefix='.digits.tmp-', dir=parent)
  except OSError as e:
    raise dataset_info.DatasetError('cannot create the digits cache in %s: %s'
                                    % (parent, e.strerror)) from e
  logging.info('converting the built-in digits into %s', target)
  try:
    stage = os.path.join(work, 'images')
    records = os.path.join(work, 'records')
    write_image_tree(stage)
    image_folder.convert_image_folder(
        stage, records, validation_fraction=0.0, num_shards=2,
        validation_shards=1, num_threads=2, image_format=image_coding.PNG,
        seed=SPLIT_SEED, dataset_name=NAME,
        extra_info={
            'digits_version': VERSION,
            'source': 'sklearn.datasets.load_digits',
            'stored_as': '%dx%d RGB PNG, each 8x8 pixel repeated %dx%d' % (
                STORED_SIZE, STORED_SIZE, UPSCALE, UPSCALE),
            'split': 'stratified train_test_split, test_size=%s, '
                     'random_state=%d' % (VALIDATION_SHARE, SPLIT_SEED),
        })
    if os.path.exists(target) and not _is_complete(target):
      # An older or broken cache: move it aside (removed with `work`).
      try:
        os.rename(target, os.path.join(work, 'old'))
      except OSError:
        pass  # Someone else moved or replaced it meanwhile.
    try:
      os.rename(records, target)
    except OSError:
      if not _is_complete(target):  # Not another process's finished copy.
        raise
  finally:
    shutil.rmtree(work, ignore_errors=True)
  return target

