"""The files that describe a converted dataset directory.

A directory written by build_image_data or build_imagenet_data holds, next to
its TFRecord shards, `dataset_info.json` (class count, split sizes, shard
names) and TF-Slim's `labels.txt` (`index:name` lines). Readers take every
count from here, so no flag has to repeat what the converter already knew.
The converters remove `dataset_info.json` first and write it last: a
directory without it is not (yet) a complete conversion.
"""

import json
import os

from core import atomic_file
from core import errors

INFO_FILENAME = 'dataset_info.json'
LABELS_FILENAME = 'labels.txt'
# Bumped when the layout of dataset_info.json changes incompatibly.
FORMAT_VERSION = 1
SPLIT_NAMES = ('train', 'validation')


class DatasetError(errors.BadInputError):
  """Bad dataset input (missing directory, unknown split, no records...).

  The message is one line naming the offending path or value, so binaries
  print it as is and exit with the bad-input status, without a traceback.
  """


def shard_basename(split_name, shard_index, num_shards):
  """'train', 3, 1024 -> 'train-00003-of-01024' (TF-Slim's shard names)."""
  return '%s-%05d-of-%05d' % (split_name, shard_index, num_shards)


def shard_glob(split_name, num_shards=None):
  """A glob for the finished shards of a split (never matches temp files)."""
  if num_shards is None:
    return '%s-[0-9][0-9][0-9][0-9][0-9]-of-[0-9][0-9][0-9][0-9][0-9]' % (
        split_name)
  return '%s-[0-9][0-9][0-9][0-9][0-9]-of-%05d' % (split_name, num_shards)


def remove_info(dataset_dir):
  """Marks a directory as incomplete (done before rewriting its shards)."""
  path = os.path.join(dataset_dir, INFO_FILENAME)
  if os.path.exists(path):
    os.remove(path)


def write_info(dataset_dir, info):
  """Writes dataset_info.json atomically; `info` is a JSON-able dict."""
  info = dict(info, format_version=FORMAT_VERSION)
  atomic_file.write_text(os.path.join(dataset_dir, INFO_FILENAME),
                         json.dumps(info, indent=2, sort_keys=True) + '\n')


def read_info(dataset_dir):
  """The parsed dataset_info.json of `dataset_dir`, or None if there is none.

  Raises:
    DatasetError: the file exists but is not a dataset description this code
      can read.
  """
  path = os.path.join(dataset_dir, INFO_FILENAME)
  if not os.path.isfile(path):
    return None
  try:
    with open(path, encoding='utf-8') as f:
      info = json.load(f)
  except (OSError, ValueError) as e:
    raise DatasetError('cannot read %s: %s' % (path, e)) from e
  if not isinstance(info, dict) or info.get('format_version') != FORMAT_VERSION:
    raise DatasetError('%s is not a version-%d dataset description; convert '
                       'the data again' % (path, FORMAT_VERSION))
  for key in ('name', 'num_classes', 'labels_offset', 'splits'):
    if key not in info:
      raise DatasetError('%s lacks the field %r' % (path, key))
  return info


def write_labels(dataset_dir, label_names):
  """Writes labels.txt (`index:name` per line, by index) atomically."""
  lines = ['%d:%s\n' % (index, label_names[index])
           for index in sorted(label_names)]
  atomic_file.write_text(os.path.join(dataset_dir, LABELS_FILENAME),
                         ''.join(lines))


def read_labels(dataset_dir):
  """{index: name} from labels.txt, or None when the directory has none."""
  path = os.path.join(dataset_dir, LABELS_FILENAME)
  if not os.path.isfile(path):
    return None
  return read_label_file(path)


def read_label_file(path):
  """{class id: name} of a label file, in either of TF-Slim's forms.

  `index:name` lines (labels.txt, as the converters write it) or one name per
  line in class order (the original label files, e.g. ImageNet's 1001 names
  starting with `background`). Blank lines are skipped.

  Raises:
    DatasetError: the file cannot be read.
  """
  try:
    with open(path, encoding='utf-8') as f:
      lines = [line.rstrip('\r\n') for line in f]
  except (OSError, UnicodeDecodeError) as e:
    raise DatasetError('cannot read the label file %s: %s' % (path, e)) from e
  lines = [line for line in lines if line.strip()]
  indexed = {}
  for line in lines:
    index, sep, name = line.partition(':')
    if not sep or not index.strip().isdigit():
      indexed = None
      break
    indexed[int(index)] = name.strip()
  if indexed:
    return indexed
  return {index: line.strip() for index, line in enumerate(lines)}
