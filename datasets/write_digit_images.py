r"""Writes the built-in digits as image files, one folder per class.

  bazel run //datasets:write_digit_images -- --output_dir=/tmp/digit_images

A real tree of small images in the shape users bring their own
(<output_dir>/<digit>/<index>.png, 1,797 files, 10 classes), to try the
own-images path end to end: build_image_data, then training and eval with
--dataset_dir. Nothing is downloaded (the digits ship with scikit-learn).
"""

from absl import flags

from core import app
from core import errors
from core import paths
from datasets import digits

FLAGS = flags.FLAGS

flags.DEFINE_string('output_dir', None, 'Where the class folders go (created '
                    'if needed).')
flags.DEFINE_integer('image_size', 40, 'Side of each image in pixels, a '
                     'multiple of 8 (each 8x8 digit pixel becomes a square).',
                     lower_bound=8)
flags.DEFINE_enum('image_format', 'png', ['png', 'jpeg'], 'File format.')


def main(argv):
  del argv  # app.run refuses positional arguments.
  if FLAGS.image_size % 8:
    raise errors.BadInputError('--image_size must be a multiple of 8, got %d'
                               % FLAGS.image_size)
  output_dir = paths.user_path(FLAGS.output_dir)
  count = digits.write_image_tree(output_dir, upscale=FLAGS.image_size // 8,
                                  image_format=FLAGS.image_format.upper(),
                                  split=False)
  print('wrote %d digit images (%d px, 10 classes) to %s' % (
      count, FLAGS.image_size, output_dir))


if __name__ == '__main__':
  flags.mark_flag_as_required('output_dir')
  app.run(main)
