r"""Converts a folder of class sub-folders to TFRecords (TF-Slim's layout).

  bazel run //datasets:build_image_data -- \
      --input_dir=/data/flowers --output_dir=/data/flowers_tfrecord

input_dir holds one sub-folder per class (split by --validation_fraction), or
train/<class>/ and validation/<class>/ trees. The output directory gets
train-NNNNN-of-MMMMM / validation-NNNNN-of-MMMMM shards, labels.txt and
dataset_info.json; train and eval read it with --dataset_dir alone.

Files that are not readable images are skipped and named in a warning; the
closing summary counts written and skipped files. The exit status is 0 unless
--strict is given and something was skipped. Re-running the same command
writes the same files, replacing the earlier shards.
"""

import os

from absl import flags

from core import app
from core import errors
from core import paths
from datasets import image_coding
from datasets import image_folder

FLAGS = flags.FLAGS

flags.DEFINE_string('input_dir', None,
                    'Folder with one sub-folder per class, or with train/ and '
                    'validation/ sub-trees of class folders.')
flags.DEFINE_string('output_dir', None,
                    'Where the TFRecords, labels.txt and dataset_info.json '
                    'go; created if needed (must not be inside input_dir).')
flags.DEFINE_float('validation_fraction', 0.1,
                   'Share of each class held out for validation when '
                   'input_dir has no validation/ tree; 0 for none.')
flags.DEFINE_integer('num_shards', 4,
                     'Number of train shard files (capped at the number of '
                     'train images).', lower_bound=1)
flags.DEFINE_integer('validation_shards', 0,
                     'Number of validation shard files; 0: in proportion to '
                     'the split sizes, at least 1.', lower_bound=0)
flags.DEFINE_integer('num_threads', os.cpu_count() or 1,
                     'Shards written in parallel.', lower_bound=1)
flags.DEFINE_enum('image_format', 'jpeg', ['jpeg', 'png'],
                  'Stored format. jpeg: JPEG files are kept byte for byte, '
                  'others re-encoded (quality %d); png: everything lossless.'
                  % image_coding.JPEG_QUALITY)
flags.DEFINE_integer('seed', 0,
                     'Seeds the train/validation split and the record order.')
flags.DEFINE_boolean('strict', False,
                     'Exit with status 1 if any file was skipped.')


def main(argv):
  del argv  # app.run refuses positional arguments.
  try:
    summary = image_folder.convert_image_folder(
        paths.user_path(FLAGS.input_dir), paths.user_path(FLAGS.output_dir),
        validation_fraction=FLAGS.validation_fraction,
        num_shards=FLAGS.num_shards,
        validation_shards=FLAGS.validation_shards or None,
        num_threads=FLAGS.num_threads, image_format=FLAGS.image_format.upper(),
        seed=FLAGS.seed)
  except OSError as e:
    raise errors.BadInputError(e) from e
  return image_folder.exit_status(summary, FLAGS.strict)


if __name__ == '__main__':
  flags.mark_flags_as_required(['input_dir', 'output_dir'])
  app.run(main)
