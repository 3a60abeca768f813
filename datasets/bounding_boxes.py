"""ImageNet's bounding boxes: ILSVRC's XML files in, the boxes CSV out and in.

ILSVRC ships one Pascal-VOC-style XML file per annotated image, named as the
image (n01440764/n01440764_10026.xml describes n01440764_10026.JPEG):

  <annotation>
    <filename>n01440764_10026</filename>
    <size><width>500</width><height>375</height>...</size>
    <object><name>n01440764</name>
      <bndbox><xmin>12</xmin><ymin>30</ymin><xmax>480</xmax><ymax>370</ymax>
      </bndbox>...</object>
    ...
  </annotation>

build_imagenet_data reads the boxes as TF-Slim's converter did: a CSV line
`<image file name>,xmin,ymin,xmax,ymax` per box, coordinates relative to the
image's size. The image is named after the XML file rather than its
<filename> element, so a missing or wrong one does not lose the boxes.
Relative coordinates are clipped to [0, 1] (some boxes reach past the image);
a box left empty (min >= max) is dropped.
"""

import collections
import math
import os
import xml.etree.ElementTree as ElementTree

from absl import logging

from core import progress
from datasets import imagenet

IMAGE_EXTENSION = '.JPEG'
ANNOTATION_EXTENSION = '.xml'

Box = collections.namedtuple('Box', ['xmin', 'ymin', 'xmax', 'ymax'])
Box.__doc__ = 'A box relative to its image: each coordinate in [0, 1].'

Annotation = collections.namedtuple(
    'Annotation', ['image_filename', 'boxes', 'other_synsets', 'empty_boxes'])
Annotation.__doc__ = """The boxes of one image from its XML file.

boxes: the kept Boxes in the file's order; other_synsets: boxes dropped as
their object is not in the synsets asked for; empty_boxes: boxes dropped as
empty after clipping.
"""


class MalformedAnnotationError(ValueError):
  """An XML file that is not a usable ILSVRC annotation (one line)."""


def _clip(value):
  return min(max(value, 0.0), 1.0)


def _number(element, tag, path):
  text = element.findtext(tag)
  if text is None:
    raise MalformedAnnotationError('%s: no <%s>' % (path, tag))
  try:
    value = float(text)
  except ValueError:
    value = math.nan
  if not math.isfinite(value):
    raise MalformedAnnotationError('%s: <%s> is not a number: %r' %
                                   (path, tag, text.strip()[:40]))
  return value


def parse_annotation(path, synsets=None):
  """The Annotation of the XML file at `path`.

  synsets: a set of synsets whose boxes are kept (None: all).

  Raises:
    MalformedAnnotationError: not XML, no positive image size, or a box
      without four numeric corners.
    OSError: the file cannot be read.
  """
  try:
    root = ElementTree.parse(path).getroot()
  except ElementTree.ParseError as e:
    raise MalformedAnnotationError('%s: not XML (%s)' % (path, e)) from None
  size = root.find('size')
  if size is None:
    raise MalformedAnnotationError('%s: no <size>' % path)
  width = _number(size, 'width', path)
  height = _number(size, 'height', path)
  if width <= 0 or height <= 0:
    raise MalformedAnnotationError('%s: image size %gx%g' %
                                   (path, width, height))
  boxes = []
  other_synsets = empty_boxes = 0
  for obj in root.iter('object'):
    bndbox = obj.find('bndbox')
    if bndbox is None:
      raise MalformedAnnotationError('%s: an <object> without <bndbox>' % path)
    corners = [_number(bndbox, tag, path) for tag in
               ('xmin', 'ymin', 'xmax', 'ymax')]
    if synsets is not None and (obj.findtext('name') or '').strip() not in (
        synsets):
      other_synsets += 1
      continue
    xmin, ymin, xmax, ymax = corners
    box = Box(_clip(xmin / width), _clip(ymin / height), _clip(xmax / width),
              _clip(ymax / height))
    if box.xmin >= box.xmax or box.ymin >= box.ymax:
      empty_boxes += 1
      continue
    boxes.append(box)
  stem = os.path.splitext(os.path.basename(path))[0]
  return Annotation(stem + IMAGE_EXTENSION, boxes, other_synsets, empty_boxes)


def find_annotations(directory):
  """The .xml files under `directory` (any depth), sorted by path."""
  found = []
  for parent, dirnames, filenames in os.walk(directory):
    dirnames[:] = [d for d in dirnames if not d.startswith('.')]
    found.extend(os.path.join(parent, name) for name in filenames
                 if name.lower().endswith(ANNOTATION_EXTENSION)
                 and not name.startswith('.'))
  return sorted(found)


ConversionSummary = collections.namedtuple(
    'ConversionSummary', ['files', 'images', 'boxes', 'malformed',
                          'other_synsets', 'empty_boxes'])
ConversionSummary.__doc__ = """What write_csv did.

files: XML files read; images: images with at least one box written; boxes:
lines written; malformed: [(path, reason)] of the files skipped;
other_synsets / empty_boxes: boxes dropped (see Annotation).
"""


def write_csv(annotation_paths, out, synsets=None):
  """Writes the CSV lines of the XML files `annotation_paths` to `out`.

  Malformed files are skipped, counted and logged, never fatal; progress is
  logged for long lists (core.progress). Returns a ConversionSummary.

  Args:
    annotation_paths: XML file paths, in the order their lines are wanted.
    out: a text stream (e.g. sys.stdout).
    synsets: keep only the boxes of these synsets (None: all).
  """
  meter = progress.Progress('process_bounding_boxes', len(annotation_paths),
                            unit='files')
  images = boxes = other_synsets = empty_boxes = 0
  malformed = []
  for done, path in enumerate(annotation_paths):
    meter.update(done)
    try:
      annotation = parse_annotation(path, synsets)
    except (MalformedAnnotationError, OSError) as e:
      reason = str(e) if isinstance(e, MalformedAnnotationError) else (
          '%s: %s' % (path, e.strerror or e))
      malformed.append((path, reason))
      logging.warning('skipped %s', reason)
      continue
    for box in annotation.boxes:
      out.write(csv_line(annotation.image_filename, box) + '\n')
    images += bool(annotation.boxes)
    boxes += len(annotation.boxes)
    other_synsets += annotation.other_synsets
    empty_boxes += annotation.empty_boxes
  return ConversionSummary(len(annotation_paths), images, boxes, malformed,
                           other_synsets, empty_boxes)


def csv_line(image_filename, box):
  """'n01440764_10026.JPEG,0.0240,0.0800,0.9600,0.9867' (no newline)."""
  return '%s,%.4f,%.4f,%.4f,%.4f' % ((image_filename,) + tuple(box))


def read_synsets(path):
  """The set of synsets of a one-per-line file (e.g. the shipped list)."""
  return set(imagenet.read_synsets(path, 'synsets file'))


def read_csv(path):
  """{image file basename: [Box]} from a boxes CSV; {} for no path.

  Lines that are not `filename,4 numbers`, and boxes empty after clipping,
  are ignored with a warning (as a hand-made file may have a header).

  Raises:
    dataset_info.DatasetError: the file cannot be read.
  """
  if not path:
    return {}
  boxes = collections.defaultdict(list)
  bad_lines = 0
  for line in imagenet.read_text_lines(path, 'bounding_box_file'):
    parts = line.split(',')
    try:
      if len(parts) != 5:
        raise ValueError(line)
      box = Box(*[_clip(float(v)) for v in parts[1:]])
    except ValueError:
      bad_lines += 1
      continue
    if box.xmin >= box.xmax or box.ymin >= box.ymax:
      bad_lines += 1
      continue
    boxes[os.path.basename(parts[0].strip())].append(tuple(box))
  if bad_lines:
    logging.warning('ignored %d malformed or empty boxes in %s', bad_lines,
                    path)
  logging.info('read boxes for %d images from %s', len(boxes), path)
  return dict(boxes)
