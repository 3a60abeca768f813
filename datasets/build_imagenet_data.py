r"""Converts raw ILSVRC-2012 images to TF-Slim's ImageNet TFRecord layout.

  bazel run -c opt //datasets:build_imagenet_data -- \
      --train_directory=/data/raw/train \
      --validation_directory=/data/raw/validation \
      --bounding_box_file=/data/raw/imagenet_2012_bounding_boxes.csv \
      --output_directory=/data/imagenet

Input:
  train_directory/<synset>/*.JPEG      e.g. n01440764/n01440764_10026.JPEG
  validation_directory/*.JPEG          e.g. ILSVRC2012_val_00000001.JPEG
  validation_labels_file               the ground truth: one synset per line,
                                       for the validation files in sorted
                                       order, or for ILSVRC2012_val_<n> by n
                                       (or `filename synset` lines).
                                       Default: the shipped 50,000 lines.
  labels_file                          the challenge's synsets, one per line;
                                       label = 1 + line index (0 is
                                       background). Default: the shipped
                                       ILSVRC-2012 list.
  imagenet_metadata_file               `synset<TAB>human-readable name` lines.
                                       Default: the shipped table.
  bounding_box_file (optional)         `filename,xmin,ymin,xmax,ymax` lines,
                                       relative coordinates (made from the
                                       XML boxes by process_bounding_boxes)

The defaults are datasets/data/'s files (imagenet.SYNSETS_FILE ...), so the
raw download needs nothing else; a user's own files win.

Output: train-00000-of-01024 ... validation-00000-of-00128 ... with the
features listed in tfexample, labels.txt (0:background, 1..1000) and
dataset_info.json. The record order is a seeded shuffle, each shard a
contiguous slice of it: the same inputs always give the same shards, whatever
the thread count. The known oddities (a PNG and CMYK JPEGs saved as .JPEG,
grayscale JPEGs) are found by content and stored as RGB JPEG
(image_coding); unreadable files are skipped and named.
"""

import os
import random
import re

from absl import flags
from absl import logging

from core import app
from core import errors
from core import paths
from datasets import bounding_boxes
from datasets import dataset_info
from datasets import image_coding
from datasets import image_folder
from datasets import imagenet
from datasets import shard_writer

FLAGS = flags.FLAGS


def _shipped(path):
  """datasets/data/<name>: a shipped file as the help text names it."""
  return 'datasets/data/' + os.path.basename(path)


flags.DEFINE_string('train_directory', None,
                    'Raw training images: one <synset>/ folder per class.')
flags.DEFINE_string('validation_directory', None,
                    'Raw validation images, all in one folder.')
flags.DEFINE_string('validation_labels_file', None,
                    'Validation ground truth: a synset per line for the '
                    'sorted validation files (or for ILSVRC2012_val_<n> by '
                    'n), or `filename synset` lines. Default: the shipped '
                    'ILSVRC-2012 ground truth (%s).' %
                    _shipped(imagenet.VALIDATION_LABELS_FILE))
flags.DEFINE_string('output_directory', None, 'Where the TFRecords go.')
flags.DEFINE_string('labels_file', None,
                    'The challenge synsets, one per line (label = line index '
                    '+ 1). Default: the shipped 1000 ILSVRC-2012 synsets '
                    '(%s).' % _shipped(imagenet.SYNSETS_FILE))
flags.DEFINE_string('imagenet_metadata_file', None,
                    '`synset<TAB>name` lines for readable labels. Default: '
                    'the shipped table (%s).' %
                    _shipped(imagenet.METADATA_FILE))
flags.DEFINE_string('bounding_box_file', None,
                    'Optional CSV of `filename,xmin,ymin,xmax,ymax` boxes '
                    '(process_bounding_boxes makes it from the XML boxes).')
flags.DEFINE_integer('train_shards', imagenet.SPLITS_TO_SHARDS['train'],
                     'Train shard files.', lower_bound=1)
flags.DEFINE_integer('validation_shards',
                     imagenet.SPLITS_TO_SHARDS['validation'],
                     'Validation shard files.', lower_bound=1)
flags.DEFINE_integer('num_threads', 8, 'Shards written in parallel.',
                     lower_bound=1)
flags.DEFINE_integer('seed', 12345, 'Seeds the record order.')
flags.DEFINE_boolean('strict', False,
                     'Exit with status 1 if any file was skipped.')


def _image_files(directory):
  return sorted(os.path.join(directory, name) for name in os.listdir(directory)
                if not name.startswith('.')
                and os.path.isfile(os.path.join(directory, name)))


def list_train(train_directory, synsets, texts, boxes):
  if not os.path.isdir(train_directory):
    raise dataset_info.DatasetError('train_directory is not a directory: %s' %
                                    train_directory)
  items = []
  missing = []
  for index, synset in enumerate(synsets):
    directory = os.path.join(train_directory, synset)
    if not os.path.isdir(directory):
      missing.append(synset)
      continue
    for path in _image_files(directory):
      items.append(image_folder.Item(
          path, index + imagenet.LABELS_OFFSET, synset,
          texts.get(synset, synset), boxes.get(os.path.basename(path), [])))
  if missing:
    logging.warning('%d synsets have no train folder in %s, e.g. %s',
                    len(missing), train_directory, missing[0])
  extra = set(os.listdir(train_directory)) - set(synsets)
  extra = sorted(d for d in extra if not d.startswith('.'))
  if extra:
    logging.warning('ignoring %d train folders not in the synset list, '
                    'e.g. %s', len(extra), extra[0])
    if not items:
      raise dataset_info.DatasetError(
          'none of the %d train folders of %s is a synset of the list (e.g. '
          '%s); give your own with --labels_file' % (
              len(extra), train_directory, extra[0]))
  return items


# ILSVRC's validation file names carry their line in the ground truth.
_VALIDATION_NUMBER = re.compile(r'^ILSVRC20\d\d_val_(\d+)\.\w+$')


def _ground_truth_by_name(files, lines, labels_file, validation_directory):
  """{file basename: synset} from a one-synset-per-line ground truth.

  Line i is the i-th file in sorted order when the counts agree (the whole
  validation set, or a file made for the files at hand); otherwise the files
  must be ILSVRC2012_val_<n> and line n is theirs (a subset of the images
  with the full ground truth, such as the shipped one).
  """
  names = [os.path.basename(p) for p in files]
  if len(lines) == len(files):
    return dict(zip(names, lines))
  numbers = [_VALIDATION_NUMBER.match(name) for name in names]
  if all(numbers) and all(1 <= int(m.group(1)) <= len(lines)
                          for m in numbers):
    return {name: lines[int(m.group(1)) - 1]
            for name, m in zip(names, numbers)}
  raise dataset_info.DatasetError(
      '%s has %d labels but %s has %d files (not all named '
      'ILSVRC2012_val_<n> with n <= %d)' % (
          labels_file, len(lines), validation_directory, len(files),
          len(lines)))


def list_validation(validation_directory, labels_file, synsets, texts, boxes):
  """The validation Items; labels_file None: the shipped ground truth."""
  if not os.path.isdir(validation_directory):
    raise dataset_info.DatasetError(
        'validation_directory is not a directory: %s' % validation_directory)
  labels_file = labels_file or imagenet.VALIDATION_LABELS_FILE
  files = _image_files(validation_directory)
  lines = imagenet.read_text_lines(labels_file, 'validation_labels_file')
  by_name = {}
  if lines and len(lines[0].replace(',', ' ').split()) == 2:
    for line in lines:
      name, synset = line.replace(',', ' ').split()
      by_name[os.path.basename(name)] = synset
  else:
    by_name = _ground_truth_by_name(files, lines, labels_file,
                                    validation_directory)
  label_of = {synset: index + imagenet.LABELS_OFFSET
              for index, synset in enumerate(synsets)}
  items = []
  for path in files:
    name = os.path.basename(path)
    synset = by_name.get(name)
    if synset is None:
      raise dataset_info.DatasetError('no ground-truth label for %s in %s' %
                                      (path, labels_file))
    if synset not in label_of:
      raise dataset_info.DatasetError('%s: synset %s of %s is not in the '
                                      'synset list' % (labels_file, synset,
                                                       name))
    items.append(image_folder.Item(path, label_of[synset], synset,
                                   texts.get(synset, synset),
                                   boxes.get(name, [])))
  return items


def _max_image_size(results, kept_splits, old_info):
  """The largest image of the splits written now and of those kept.

  None when a kept split's sizes are unknown (an older description).
  """
  size = shard_writer.max_image_size(results.values())
  if kept_splits:
    old_size = old_info.get('max_image_size')
    if not old_size:
      return None
    size = [max(size[0], old_size[0]), max(size[1], old_size[1])]
  return size


def convert_imagenet(output_directory, train_directory=None,
                     validation_directory=None, validation_labels_file=None,
                     labels_file=None, imagenet_metadata_file=None,
                     bounding_box_file=None,
                     train_shards=imagenet.SPLITS_TO_SHARDS['train'],
                     validation_shards=imagenet.SPLITS_TO_SHARDS['validation'],
                     num_threads=8, seed=12345):
  """Writes the ImageNet TFRecord layout; returns an image_folder summary.

  labels_file, imagenet_metadata_file and validation_labels_file default to
  the shipped files (imagenet.SYNSETS_FILE ...). A split whose directory is
  not given is left as it is (its count is kept from an earlier
  dataset_info.json).
  """
  if not train_directory and not validation_directory:
    raise dataset_info.DatasetError(
        'give --train_directory and/or --validation_directory')
  synsets = imagenet.read_synsets(labels_file or imagenet.SYNSETS_FILE)
  texts = imagenet.read_synset_names(imagenet_metadata_file or
                                     imagenet.METADATA_FILE)
  boxes = bounding_boxes.read_csv(bounding_box_file)
  splits = {}
  if train_directory:
    splits['train'] = (list_train(train_directory, synsets, texts, boxes),
                       train_shards)
  if validation_directory:
    splits['validation'] = (list_validation(
        validation_directory, validation_labels_file, synsets, texts, boxes),
                            validation_shards)
  try:
    os.makedirs(output_directory, exist_ok=True)
    old_info = dataset_info.read_info(output_directory)
  except (OSError, dataset_info.DatasetError) as e:
    logging.info('not keeping the old description: %s', e)
    old_info = None
  if not os.path.isdir(output_directory):
    raise dataset_info.DatasetError('cannot create output_directory %s' %
                                    output_directory)
  dataset_info.remove_info(output_directory)

  results = {}
  kept_splits = {}
  if old_info and old_info.get('name') == imagenet.NAME:
    kept_splits = {name: entry for name, entry in old_info['splits'].items()
                   if name not in splits}
  info_splits = dict(kept_splits)
  encode = image_folder.encoder(image_coding.JPEG)
  for split_name in dataset_info.SPLIT_NAMES:
    if split_name not in splits:
      continue
    items, num_shards = splits[split_name]
    if not items:
      raise dataset_info.DatasetError('no %s images found' % split_name)
    random.Random(seed).shuffle(items)
    result = shard_writer.write_split(
        output_directory, split_name, items, min(num_shards, len(items)),
        num_threads, encode)
    results[split_name] = result
    info_splits[split_name] = shard_writer.split_info(split_name, result)

  label_names = {0: 'background'}
  label_names.update({i + imagenet.LABELS_OFFSET: texts.get(s, s)
                      for i, s in enumerate(synsets)})
  dataset_info.write_labels(output_directory, label_names)
  info = {
      'name': imagenet.NAME,
      'num_classes': len(synsets) + imagenet.LABELS_OFFSET,
      'labels_offset': imagenet.LABELS_OFFSET,
      'image_format': image_coding.JPEG,
      'splits': info_splits,
      'written_by': 'datasets/build_imagenet_data.py',
  }
  max_image_size = _max_image_size(results, kept_splits, old_info)
  if max_image_size:
    info['max_image_size'] = max_image_size
  dataset_info.write_info(output_directory, info)
  if len(synsets) + imagenet.LABELS_OFFSET != imagenet.NUM_CLASSES:
    logging.warning('%d synsets: ImageNet has %d (num_classes will be %d)',
                    len(synsets),
                    imagenet.NUM_CLASSES - imagenet.LABELS_OFFSET,
                    len(synsets) + imagenet.LABELS_OFFSET)
  summary = image_folder.ConversionSummary(
      output_directory, ['background'] + synsets, results)
  image_folder.log_summary(summary)
  return summary


def main(argv):
  del argv  # app.run refuses positional arguments.
  try:
    path = paths.user_path
    summary = convert_imagenet(
        path(FLAGS.output_directory),
        train_directory=path(FLAGS.train_directory),
        validation_directory=path(FLAGS.validation_directory),
        validation_labels_file=path(FLAGS.validation_labels_file),
        labels_file=path(FLAGS.labels_file),
        imagenet_metadata_file=path(FLAGS.imagenet_metadata_file),
        bounding_box_file=path(FLAGS.bounding_box_file),
        train_shards=FLAGS.train_shards,
        validation_shards=FLAGS.validation_shards,
        num_threads=FLAGS.num_threads,
        seed=FLAGS.seed)
  except OSError as e:
    raise errors.BadInputError(e) from e
  return image_folder.exit_status(summary, FLAGS.strict)


if __name__ == '__main__':
  flags.mark_flag_as_required('output_directory')
  app.run(main)
