"""Preprocessing functions by name, as TF-Slim's preprocessing_factory.

  preprocess = preprocessing_factory.get_preprocessing('mobilenet_v1',
                                                       is_training=True)
  image = preprocess(image, 224, 224, bbox=None,
                     **mobilenet_v1_preprocessing.STYLES['inception'])
"""

import functools

from preprocessing import mobilenet_v1_preprocessing

# MobileNet v1 was trained with Inception preprocessing; both names map to it.
_PREPROCESSING = {
    'mobilenet_v1': mobilenet_v1_preprocessing,
    'inception': mobilenet_v1_preprocessing,
}


def names():
  return sorted(_PREPROCESSING)


def get_preprocessing(name, is_training=False):
  """fn(image, output_height, output_width, bbox=None, **kwargs) for `name`.

  Raises:
    ValueError: unknown name.
  """
  if name not in _PREPROCESSING:
    raise ValueError('unknown preprocessing %r (known: %s)' %
                     (name, ', '.join(names())))
  return functools.partial(_PREPROCESSING[name].preprocess_image,
                           is_training=is_training)
