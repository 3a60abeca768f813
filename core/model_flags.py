"""The flags the binaries share, defined once with one help text each.

A binary defines the groups it needs, then builds its library's config from
the parsed flags:

    model_flags.define_model_flags()
    model_flags.define_dataset_flags()
    ...
    config = model_flags.config_from_flags(trainer.TrainConfig)

config_from_flags fills every field of a config dataclass from the flag of
the same name, so no binary keeps its own list of fields. A field whose
metadata says {'path': True} is read as a path the user typed (relative to
where they ran `bazel run`).
"""

import dataclasses

from absl import flags

from core import paths

FLAGS = flags.FLAGS

PATH = {'path': True}  # dataclasses.field(metadata=PATH) marks a path field.


def define_model_flags(depth_multiplier=1.0, image_size=224, quantize=True,
                       num_classes=True):
  """--depth_multiplier, --image_size and (optionally) --quantize, --num_classes."""
  flags.DEFINE_float('depth_multiplier', depth_multiplier,
                     'Depth multiplier of MobileNet v1 (1.0, 0.75, 0.5, 0.25 '
                     'for the published models; any value > 0).')
  flags.DEFINE_integer('image_size', image_size,
                       'Input resolution (224, 192, 160, 128 for the published '
                       'models; any size >= 32).')
  if quantize:
    flags.DEFINE_bool('quantize', False,
                      'The 8-bit fake-quantized (_quant) model: quantization-'
                      'aware training, or a checkpoint trained that way.')
  if num_classes:
    flags.DEFINE_integer('num_classes', None,
                         'Classes of the classifier; default: the dataset\'s '
                         '(1001 for ImageNet, with background).')


def define_dataset_flags():
  """--dataset_name, --dataset_dir and --preprocessing."""
  flags.DEFINE_string('dataset_name', '',
                      'digits, imagenet or custom; empty: decided by '
                      '--dataset_dir.')
  flags.DEFINE_string('dataset_dir', '',
                      'A TFRecord directory (build_image_data or '
                      'build_imagenet_data); empty: the built-in digits.')
  flags.DEFINE_enum('preprocessing', '', ['', 'inception', 'gentle'],
                    'Image preprocessing: inception (the original\'s, for '
                    'photos: strong random crops, flips; eval crops the '
                    'centre) or gentle (for small or centred images: mild '
                    'crops, no flip, the whole image at eval); empty: '
                    'chosen by the data (logged).')


def define_num_threads():
  flags.DEFINE_integer('num_threads', 0,
                       'TensorFlow threads per pool; 0: TensorFlow decides '
                       '(one per core).')


def config_from_flags(config_class, **overrides):
  """An instance of the dataclass `config_class` from the parsed flags.

  Each field takes the flag of its name (lists become tuples; path fields go
  through paths.user_path); fields without a flag keep their default;
  `overrides` win over both.
  """
  values = {}
  for field in dataclasses.fields(config_class):
    if field.name in overrides or field.name not in FLAGS:
      continue
    value = FLAGS[field.name].value
    if isinstance(value, list):
      value = tuple(value)
    if field.metadata.get('path'):
      value = paths.user_path(value)
    values[field.name] = value
  values.update(overrides)
  return config_class(**values)
