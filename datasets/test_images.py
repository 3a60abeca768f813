"""Tiny synthetic images, ILSVRC box files and a record reader, for tests."""

import io
import os

import numpy as np
from PIL import Image
import tensorflow as tf

from datasets import tfexample


def encode(image, image_format='JPEG', **save_kwargs):
  buffer = io.BytesIO()
  image.save(buffer, format=image_format, **save_kwargs)
  return buffer.getvalue()


def solid_rgb(color, width=24, height=16, image_format='JPEG'):
  """Bytes of a one-colour RGB image."""
  return encode(Image.new('RGB', (width, height), tuple(color)), image_format,
                **({'quality': 98} if image_format == 'JPEG' else {}))


def cmyk_jpeg(cmyk, width=20, height=12):
  """Bytes of a one-colour CMYK JPEG (as 22 ImageNet files are)."""
  return encode(Image.new('CMYK', (width, height), tuple(cmyk)), 'JPEG',
                quality=98)


def grayscale_jpeg(level, width=18, height=14):
  return encode(Image.new('L', (width, height), level), 'JPEG', quality=98)


def write_file(path, data):
  os.makedirs(os.path.dirname(path), exist_ok=True)
  with open(path, 'wb') as f:
    f.write(data)
  return path


def ilsvrc_annotation(stem, width, height, objects):
  """The text of an ILSVRC bounding-box XML file.

  objects: [(synset, xmin, ymin, xmax, ymax)] in pixels.
  """
  parts = ['<annotation>\n\t<folder>%s</folder>\n\t<filename>%s</filename>\n'
           '\t<source><database>ILSVRC_2012</database></source>\n'
           '\t<size>\n\t\t<width>%d</width>\n\t\t<height>%d</height>\n'
           '\t\t<depth>3</depth>\n\t</size>\n\t<segmented>0</segmented>\n' %
           (stem.split('_')[0], stem, width, height)]
  for synset, xmin, ymin, xmax, ymax in objects:
    parts.append('\t<object>\n\t\t<name>%s</name>\n\t\t<pose>Unspecified'
                 '</pose>\n\t\t<truncated>0</truncated>\n\t\t<difficult>0'
                 '</difficult>\n\t\t<bndbox>\n\t\t\t<xmin>%s</xmin>\n'
                 '\t\t\t<ymin>%s</ymin>\n\t\t\t<xmax>%s</xmax>\n'
                 '\t\t\t<ymax>%s</ymax>\n\t\t</bndbox>\n\t</object>\n' %
                 (synset, xmin, ymin, xmax, ymax))
  parts.append('</annotation>\n')
  return ''.join(parts)


def read_records(paths):
  """All records of the TFRecord files `paths` as dicts of Python values.

  Adds 'pixels' (uint8 array decoded with PIL) and 'mode' (PIL mode).
  """
  records = []
  for path in sorted(paths):
    for serialized in tf.data.TFRecordDataset(path).as_numpy_iterator():
      example = tf.train.Example.FromString(serialized)
      features = example.features.feature
      record = {}
      for key, feature in features.items():
        kind = feature.WhichOneof('kind')
        values = list(getattr(feature, kind).value)
        record[key] = values
      data = record[tfexample.ENCODED][0]
      with Image.open(io.BytesIO(data)) as image:
        record['mode'] = image.mode
        record['decoded_format'] = image.format
        record['pixels'] = np.asarray(image)
      records.append(record)
  return records


def first(record, key):
  value = record[key][0]
  return value.decode('utf-8') if isinstance(value, bytes) else value
