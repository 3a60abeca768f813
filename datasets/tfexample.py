"""The tf.train.Example layout of the image records: written and parsed here.

The features are TF-Slim's ImageNet ones, so records from either converter
(and TFRecords made by TF-Slim's own scripts) read the same way:
  image/encoded, image/format, image/height, image/width, image/channels,
  image/colorspace, image/filename, image/class/label, image/class/synset,
  image/class/text, image/object/bbox/{xmin,ymin,xmax,ymax,label}.
Boxes are relative coordinates in [0, 1].
"""

import tensorflow as tf

ENCODED = 'image/encoded'
FORMAT = 'image/format'
HEIGHT = 'image/height'
WIDTH = 'image/width'
CHANNELS = 'image/channels'
COLORSPACE = 'image/colorspace'
FILENAME = 'image/filename'
LABEL = 'image/class/label'
SYNSET = 'image/class/synset'
TEXT = 'image/class/text'
BBOX_XMIN = 'image/object/bbox/xmin'
BBOX_YMIN = 'image/object/bbox/ymin'
BBOX_XMAX = 'image/object/bbox/xmax'
BBOX_YMAX = 'image/object/bbox/ymax'
BBOX_LABEL = 'image/object/bbox/label'


def _bytes(values):
  return tf.train.Feature(bytes_list=tf.train.BytesList(value=values))


def _ints(values):
  return tf.train.Feature(int64_list=tf.train.Int64List(value=values))


def _floats(values):
  return tf.train.Feature(float_list=tf.train.FloatList(value=values))


def _utf8(text):
  return text.encode('utf-8') if isinstance(text, str) else bytes(text)


def make_example(encoded, image_format, height, width, label, synset='',
                 text='', filename='', boxes=()):
  """A serialized Example for one image.

  Args:
    encoded: the RGB image bytes (see image_coding.encode_for_record).
    image_format: 'JPEG' or 'PNG'.
    height, width: the image size in pixels.
    label: the integer class label.
    synset, text: the class's id (e.g. WordNet synset) and readable name.
    filename: the source file's base name.
    boxes: (xmin, ymin, xmax, ymax) tuples in relative coordinates, each
      labelled with `label`.

  Returns:
    The serialized tf.train.Example (bytes).
  """
  boxes = list(boxes)
  feature = {
      ENCODED: _bytes([encoded]),
      FORMAT: _bytes([_utf8(image_format)]),
      HEIGHT: _ints([height]),
      WIDTH: _ints([width]),
      CHANNELS: _ints([3]),
      COLORSPACE: _bytes([b'RGB']),
      FILENAME: _bytes([_utf8(filename)]),
      LABEL: _ints([label]),
      SYNSET: _bytes([_utf8(synset)]),
      TEXT: _bytes([_utf8(text)]),
      BBOX_XMIN: _floats([b[0] for b in boxes]),
      BBOX_YMIN: _floats([b[1] for b in boxes]),
      BBOX_XMAX: _floats([b[2] for b in boxes]),
      BBOX_YMAX: _floats([b[3] for b in boxes]),
      BBOX_LABEL: _ints([label] * len(boxes)),
  }
  example = tf.train.Example(features=tf.train.Features(feature=feature))
  return example.SerializeToString()


_PARSE_SPEC = {
    ENCODED: tf.io.FixedLenFeature([], tf.string, default_value=''),
    LABEL: tf.io.FixedLenFeature([], tf.int64, default_value=-1),
}
_BOX_KEYS = (BBOX_YMIN, BBOX_XMIN, BBOX_YMAX, BBOX_XMAX)
_PARSE_SPEC_WITH_BOXES = dict(
    _PARSE_SPEC, **{key: tf.io.VarLenFeature(tf.float32) for key in _BOX_KEYS})


def parse_record(serialized, with_boxes=True):
  """Parses one serialized Example (a tf.data map function).

  Args:
    serialized: the serialized tf.train.Example (string scalar).
    with_boxes: parse the object boxes (training's distorted crop uses them);
      False (eval) skips them.

  Returns:
    (encoded image string, label int64 scalar, boxes float32 [N, 4] as
    ymin, xmin, ymax, xmax — the order tf.image's box functions want — or
    None when not with_boxes).
  """
  if not with_boxes:
    features = tf.io.parse_single_example(serialized, _PARSE_SPEC)
    return features[ENCODED], features[LABEL], None
  features = tf.io.parse_single_example(serialized, _PARSE_SPEC_WITH_BOXES)
  coords = [tf.sparse.to_dense(features[key]) for key in _BOX_KEYS]
  boxes = tf.stack(coords, axis=1)
  return features[ENCODED], features[LABEL], boxes


def decode_image(encoded):
  """Decodes JPEG or PNG record bytes to uint8 [H, W, 3].

  JPEG goes through decode_jpeg (the common case, and the fastest); anything
  else through the generic decoder.
  """
  image = tf.cond(
      tf.io.is_jpeg(encoded),
      lambda: tf.io.decode_jpeg(encoded, channels=3),
      lambda: tf.io.decode_image(encoded, channels=3, dtype=tf.uint8,
                                  expand_animations=False))
  image.set_shape([None, None, 3])
  return image
