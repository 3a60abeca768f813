"""Inception-style image preprocessing, as MobileNet v1 was trained with.

Training: a random crop that keeps at least part of the object (a distorted
bounding box), a random left-right flip, random colour changes, a bilinear
resize to the model's size. Evaluation: a central crop (87.5 % of each side
by default) and a bilinear resize. Both return float32 in [-1, 1].

The crop strength is a parameter (`crop_area_range`, `min_object_covered`,
`central_fraction`); two named styles (STYLES) cover the data this project
meets, chosen per dataset by datasets/dataset_factory.py or with
--preprocessing:

  inception  the original's, for photos of objects anywhere in the frame
             (ImageNet): crops down to 5 % of the area, flips, colour
             changes; eval keeps the central 87.5 % of each side.
  gentle     for small or centred images (the built-in digits, icons,
             thumbnails), whose content a strong crop would cut away and a
             mirror would change (a mirrored digit is another symbol): crops
             of at least 75 % of the area, near square, no flip; eval sees
             the whole image.
"""

import tensorflow as tf

INCEPTION = 'inception'
GENTLE = 'gentle'
STYLES = {
    INCEPTION: dict(
        crop_area_range=(0.05, 1.0),
        crop_aspect_ratio_range=(0.75, 1.33),
        min_object_covered=0.1,
        max_crop_attempts=100,
        random_flip=True,
        color_distortion=True,
        fast_mode=True,
        central_fraction=0.875,
    ),
    GENTLE: dict(
        crop_area_range=(0.75, 1.0),
        crop_aspect_ratio_range=(0.85, 1.18),
        min_object_covered=0.75,
        max_crop_attempts=100,
        random_flip=False,
        color_distortion=True,
        fast_mode=True,
        central_fraction=1.0,
    ),
}
# The original's arguments, the functions' defaults.
DEFAULT_KWARGS = STYLES[INCEPTION]
TRAIN_KEYS = ('crop_area_range', 'crop_aspect_ratio_range',
              'min_object_covered', 'max_crop_attempts', 'random_flip',
              'color_distortion', 'fast_mode')
EVAL_KEYS = ('central_fraction',)


def _to_float(image):
  """uint8 [0, 255] or float [0, 1] -> float32 [0, 1]."""
  return tf.image.convert_image_dtype(image, tf.float32)


def _to_signed_unit_range(image):
  """[0, 1] -> [-1, 1]."""
  return (image - 0.5) * 2.0


def distort_color(image, ordering, fast_mode=True):
  """Random brightness and saturation (plus hue, contrast when not fast).

  `ordering` (int32 scalar tensor) picks one of the orders the adjustments
  are applied in (2 in fast mode, 4 otherwise). Output clipped to [0, 1].
  """
  def brightness(x):
    return tf.image.random_brightness(x, max_delta=32. / 255.)

  def saturation(x):
    return tf.image.random_saturation(x, lower=0.5, upper=1.5)

  def hue(x):
    return tf.image.random_hue(x, max_delta=0.2)

  def contrast(x):
    return tf.image.random_contrast(x, lower=0.5, upper=1.5)

  if fast_mode:
    orders = [(brightness, saturation), (saturation, brightness)]
  else:
    orders = [(brightness, saturation, hue, contrast),
              (saturation, brightness, contrast, hue),
              (contrast, hue, brightness, saturation),
              (hue, saturation, contrast, brightness)]

  def apply(functions):
    def branch():
      x = image
      for function in functions:
        x = function(x)
      return x
    return branch

  image = tf.switch_case(ordering, [apply(order) for order in orders])
  return tf.clip_by_value(image, 0.0, 1.0)


def preprocess_for_train(image, height, width, bbox=None,
                         crop_area_range=DEFAULT_KWARGS['crop_area_range'],
                         crop_aspect_ratio_range=DEFAULT_KWARGS[
                             'crop_aspect_ratio_range'],
                         min_object_covered=DEFAULT_KWARGS[
                             'min_object_covered'],
                         max_crop_attempts=DEFAULT_KWARGS['max_crop_attempts'],
                         random_flip=True, color_distortion=True,
                         fast_mode=True):
  """Distorted crop, flip, colour, resize: float32 [h, w, 3] in [-1, 1].

  Args:
    image: [H, W, 3] uint8, or float in [0, 1].
    height, width: the output size.
    bbox: float [N, 4] or [1, N, 4] boxes (ymin, xmin, ymax, xmax, relative)
      the crop must overlap; None or empty: the whole image.
    crop_area_range: the crop's share of the image area, (min, max). Raise
      the minimum for small images, whose content a strong crop would lose.
    crop_aspect_ratio_range: the crop's width / height range.
    min_object_covered: the share of a box the crop must contain.
    max_crop_attempts: tries before falling back to the whole image.
    random_flip: flip left-right half the time.
    color_distortion: random brightness/saturation (and hue/contrast).
    fast_mode: only brightness and saturation, in 2 orders.
  """
  image = _to_float(image)
  whole = tf.constant([[[0.0, 0.0, 1.0, 1.0]]], tf.float32)
  if bbox is None:
    boxes = whole
  else:
    boxes = tf.reshape(tf.cast(bbox, tf.float32), [1, -1, 4])
    boxes = tf.cond(tf.shape(boxes)[1] > 0, lambda: boxes, lambda: whole)
  begin, size, _ = tf.image.sample_distorted_bounding_box(
      tf.shape(image), bounding_boxes=boxes,
      min_object_covered=min_object_covered,
      aspect_ratio_range=crop_aspect_ratio_range,
      area_range=crop_area_range, max_attempts=max_crop_attempts,
      use_image_if_no_bounding_boxes=True)
  image = tf.slice(image, begin, size)
  image = tf.image.resize(image, [height, width],
                          method=tf.image.ResizeMethod.BILINEAR)
  if random_flip:
    image = tf.image.random_flip_left_right(image)
  if color_distortion:
    num_orders = 2 if fast_mode else 4
    ordering = tf.random.uniform([], maxval=num_orders, dtype=tf.int32)
    image = distort_color(image, ordering, fast_mode=fast_mode)
  image = tf.clip_by_value(image, 0.0, 1.0)
  image.set_shape([height, width, 3])
  return _to_signed_unit_range(image)


def preprocess_for_eval(image, height, width,
                        central_fraction=DEFAULT_KWARGS['central_fraction']):
  """Central crop and bilinear resize: float32 [height, width, 3] in [-1, 1].

  Args:
    image: [H, W, 3] uint8, or float in [0, 1].
    height, width: the output size.
    central_fraction: the share of each side kept (1.0: no crop).
  """
  image = _to_float(image)
  if central_fraction and central_fraction < 1.0:
    image = tf.image.central_crop(image, central_fraction=central_fraction)
  image = tf.image.resize(image, [height, width],
                          method=tf.image.ResizeMethod.BILINEAR)
  image = tf.clip_by_value(image, 0.0, 1.0)
  image.set_shape([height, width, 3])
  return _to_signed_unit_range(image)


def preprocess_image(image, output_height, output_width, is_training=False,
                     bbox=None, **kwargs):
  """Training or eval preprocessing; kwargs of the other mode are ignored.

  kwargs are the keyword arguments of preprocess_for_train (TRAIN_KEYS) and
  preprocess_for_eval (EVAL_KEYS), so one dict of a dataset's preferences
  serves both modes.
  """
  unknown = set(kwargs) - set(TRAIN_KEYS) - set(EVAL_KEYS)
  if unknown:
    raise TypeError('unknown preprocessing arguments: %s' %
                    ', '.join(sorted(unknown)))
  if is_training:
    return preprocess_for_train(
        image, output_height, output_width, bbox=bbox,
        **{k: v for k, v in kwargs.items() if k in TRAIN_KEYS})
  return preprocess_for_eval(
      image, output_height, output_width,
      **{k: v for k, v in kwargs.items() if k in EVAL_KEYS})
