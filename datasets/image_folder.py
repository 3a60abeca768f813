"""Converts a folder of images, one sub-folder per class, to TFRecords.

The library behind build_image_data (and the built-in digits dataset). Input:

  input_dir/<class>/**/<image>              (split by validation_fraction)
  input_dir/train/<class>/**/<image>        (or an explicit split: train/ and,
  input_dir/validation/<class>/**/<image>    optionally, validation/)

Output, in output_dir: train-NNNNN-of-MMMMM and validation-NNNNN-of-MMMMM
TFRecord shards with TF-Slim's ImageNet features (see tfexample), labels.txt
and dataset_info.json. Classes are numbered 0..N-1 in sorted name order.
The split and the order of the records are decided by a seeded shuffle of the
sorted file list, so the same command always writes the same files.
"""

import collections
import math
import os
import random

from absl import logging

from datasets import dataset_info
from datasets import image_coding
from datasets import shard_writer
from datasets import tfexample

Item = collections.namedtuple('Item',
                              ['path', 'label', 'class_name', 'text', 'boxes'],
                              defaults=(None, ()))
Item.__doc__ = """One image file to convert (both converters use it).

class_name: stored as the record's synset; text: its readable name (None:
the class name); boxes: (xmin, ymin, xmax, ymax) relative boxes of the object.
"""

ConversionSummary = collections.namedtuple(
    'ConversionSummary', ['output_dir', 'class_names', 'splits'])
ConversionSummary.__doc__ = """What a conversion wrote.

class_names: list, index = label; splits: {split name: SplitResult}.
"""

_TRAIN_DIRNAMES = ('train',)
_VALIDATION_DIRNAMES = ('validation', 'val')


def _visible_entries(directory):
  return sorted(name for name in os.listdir(directory)
                if not name.startswith('.'))


def _class_dirs(root):
  """{class name: directory} for the visible sub-folders of `root`."""
  return {name: os.path.join(root, name) for name in _visible_entries(root)
          if os.path.isdir(os.path.join(root, name))}


def _files_under(directory):
  """All visible files below `directory`, sorted, following no hidden dirs."""
  paths = []
  for parent, dirnames, filenames in os.walk(directory):
    dirnames[:] = sorted(d for d in dirnames if not d.startswith('.'))
    paths.extend(os.path.join(parent, f) for f in sorted(filenames)
                 if not f.startswith('.'))
  return sorted(paths)


def _warn_loose_files(root):
  loose = [name for name in _visible_entries(root)
           if os.path.isfile(os.path.join(root, name))]
  if loose:
    logging.warning('ignoring %d files directly in %s (not in a class '
                    'folder), e.g. %s', len(loose), root, loose[0])


def list_image_folder(input_dir, validation_fraction, seed=0):
  """Finds the classes and the files of each split.

  Args:
    input_dir: the folder to convert (layout in the module docstring).
    validation_fraction: the share of each class held out for validation,
      when input_dir has no explicit validation/ tree.
    seed: seeds the split and the record order.

  Returns:
    (class_names, {'train': [Item], 'validation': [Item]}), items shuffled.

  Raises:
    dataset_info.DatasetError: no such folder, or no class folders in it.
  """
  if not os.path.isdir(input_dir):
    raise dataset_info.DatasetError('input_dir is not a directory: %s' %
                                    input_dir)
  if not 0.0 <= validation_fraction < 1.0:
    raise dataset_info.DatasetError(
        'validation_fraction must be in [0, 1), not %r' % validation_fraction)
  rng = random.Random(seed)
  top = _class_dirs(input_dir)
  train_root = next((top[n] for n in _TRAIN_DIRNAMES if n in top), None)
  if train_root:
    validation_root = next((top[n] for n in _VALIDATION_DIRNAMES if n in top),
                           None)
    train_classes = _class_dirs(train_root)
    validation_classes = (_class_dirs(validation_root) if validation_root
                          else {})
    for root in (train_root, validation_root):
      if root:
        _warn_loose_files(root)
    unknown = sorted(set(validation_classes) - set(train_classes))
    if unknown:
      raise dataset_info.DatasetError(
          'validation classes without a train folder in %s: %s' %
          (train_root, ', '.join(unknown[:5])))
  else:
    validation_root = None
    train_classes = top
    validation_classes = {}
    _warn_loose_files(input_dir)
  class_names = sorted(train_classes)
  if not class_names:
    raise dataset_info.DatasetError(
        'no class folders in %s (expected one sub-folder per class)' %
        (train_root or input_dir))
  if len(class_names) == 1:
    raise dataset_info.DatasetError(
        '%s has one class folder (%s); a classifier needs at least two: '
        'point --input_dir at the folder that holds the class folders' % (
            train_root or input_dir, class_names[0]))

  splits = {'train': [], 'validation': []}
  for label, name in enumerate(class_names):
    files = _files_under(train_classes[name])
    if not files:
      logging.warning('class %r has no files in %s', name, train_classes[name])
    if validation_root:
      train_files = files
      validation_files = (_files_under(validation_classes[name])
                          if name in validation_classes else [])
    else:
      rng.shuffle(files)
      num_validation = int(round(len(files) * validation_fraction))
      validation_files = sorted(files[:num_validation])
      train_files = sorted(files[num_validation:])
    splits['train'].extend(Item(p, label, name) for p in train_files)
    splits['validation'].extend(Item(p, label, name) for p in validation_files)
  for items in splits.values():
    rng.shuffle(items)
  if validation_root is None and train_root and validation_fraction > 0:
    logging.info('no validation/ folder in %s: holding out %.1f%% of train',
                 input_dir, 100 * validation_fraction)
  return class_names, splits


def encoder(image_format):
  """The encode_fn for shard_writer: an Item's file -> serialized Example."""

  def encode(item):
    try:
      with open(item.path, 'rb') as f:
        data = f.read()
    except OSError as e:
      raise image_coding.UnreadableImageError(str(e)) from e
    image = image_coding.encode_for_record(data, image_format)
    record = tfexample.make_example(
        image.data, image.format, image.height, image.width, item.label,
        synset=item.class_name,
        text=item.class_name if item.text is None else item.text,
        filename=os.path.basename(item.path), boxes=item.boxes)
    return record, image.height, image.width, image.fixes

  return encode


def _check_output_dir(input_dir, output_dir):
  real_in = os.path.realpath(input_dir)
  real_out = os.path.realpath(output_dir)
  if real_out == real_in or real_out.startswith(real_in + os.sep):
    raise dataset_info.DatasetError(
        'output_dir %s must not be inside input_dir %s' % (output_dir,
                                                           input_dir))


def convert_image_folder(input_dir, output_dir, validation_fraction=0.1,
                         num_shards=4, validation_shards=None, num_threads=4,
                         image_format=image_coding.JPEG, seed=0,
                         dataset_name='custom', extra_info=None):
  """Converts `input_dir` to TFRecords, labels.txt and dataset_info.json.

  Args:
    input_dir, validation_fraction, seed: see list_image_folder.
    output_dir: created if needed; shards of an earlier run are replaced.
    num_shards: train shard files (never more than the train images).
    validation_shards: validation shard files; None: in proportion to the
      split sizes, at least 1.
    num_threads: shards written at once.
    image_format: image_coding.JPEG (the ImageNet layout) or PNG (lossless).
    dataset_name: recorded in dataset_info.json ('custom' for user data).
    extra_info: more JSON-able fields for dataset_info.json.

  Returns:
    A ConversionSummary.

  Raises:
    dataset_info.DatasetError: bad input or output directory.
  """
  _check_output_dir(input_dir, output_dir)
  class_names, splits = list_image_folder(input_dir, validation_fraction, seed)
  try:
    os.makedirs(output_dir, exist_ok=True)
  except OSError as e:
    raise dataset_info.DatasetError('cannot create output_dir %s: %s' %
                                    (output_dir, e)) from e
  dataset_info.remove_info(output_dir)

  num_train = len(splits['train'])
  num_validation = len(splits['validation'])
  if not num_validation:
    logging.warning('the validation split of %s is empty: mobilenet_v1_eval '
                    'needs one (give --validation_fraction > 0, or a '
                    'validation/ tree)', output_dir)
  if validation_shards is None:
    validation_shards = max(1, math.ceil(
        num_shards * num_validation / max(num_train, 1)))
  shard_counts = {'train': num_shards, 'validation': validation_shards}

  encode = encoder(image_format)
  results = {}
  info_splits = {}
  for split_name in dataset_info.SPLIT_NAMES:
    items = splits[split_name]
    if not items:
      shard_writer.remove_stale_files(output_dir, split_name, set())
      results[split_name] = shard_writer.SplitResult(
          0, 0, [], collections.Counter(), 0, 0)
    else:
      results[split_name] = shard_writer.write_split(
          output_dir, split_name, items,
          min(shard_counts[split_name], len(items)), num_threads, encode)
    info_splits[split_name] = shard_writer.split_info(split_name,
                                                      results[split_name])

  dataset_info.write_labels(output_dir, dict(enumerate(class_names)))
  info = {
      'name': dataset_name,
      'num_classes': len(class_names),
      'labels_offset': 0,
      'image_format': image_format,
      'max_image_size': shard_writer.max_image_size(results.values()),
      'splits': info_splits,
      'written_by': 'datasets/image_folder.py',
  }
  info.update(extra_info or {})
  dataset_info.write_info(output_dir, info)
  summary = ConversionSummary(output_dir, class_names, results)
  log_summary(summary)
  return summary


def summary_line(summary):
  """One line: images written per split, files skipped, images re-encoded."""
  parts = ['%d %s' % (summary.splits[name].num_written, name)
           for name in dataset_info.SPLIT_NAMES if name in summary.splits]
  fixes = collections.Counter()
  skipped = 0
  for result in summary.splits.values():
    fixes.update(result.fixes)
    skipped += len(result.skipped)
  line = 'wrote %s images (%d classes) to %s; skipped %d unreadable files' % (
      ' + '.join(parts), len(summary.class_names), summary.output_dir,
      skipped)
  if fixes:
    line += '; fixed: %s' % ', '.join(
        '%d %s' % (count, fix) for fix, count in sorted(fixes.items()))
  return line


def exit_status(summary, strict):
  """Prints the summary line; 1 when --strict and files were skipped, else 0."""
  print(summary_line(summary))
  num_skipped = sum(len(r.skipped) for r in summary.splits.values())
  if strict and num_skipped:
    logging.error('--strict: %d files were skipped', num_skipped)
    return 1
  return 0


def log_summary(summary):
  logging.info('%s', summary_line(summary))
  for result in summary.splits.values():
    for path, reason in result.skipped:
      logging.warning('skipped %s (%s)', path, reason)
