"""Classifies an image with a bundle's .tflite or frozen graph: the top 5.

  bazel run //tools:label_image -- --bundle=/tmp/bundles/mobilenet_v1_1.0_224.tgz \\
      --image=/tmp/cat.jpg --labels=/tmp/imagenet/labels.txt
  bazel run //tools:label_image -- --model=/tmp/x/mobilenet_v1_0.5_32_frozen.pb \\
      --image=digit.png --dataset_name=digits

--bundle takes a .tgz or an extracted bundle directory (its .tflite, or its
frozen graph with --engine=frozen_graph); --model takes a .tflite or a
<model>_frozen.pb directly. The image (JPEG, PNG, anything Pillow reads) gets
the eval preprocessing: central crop (87.5 % of each side, or the dataset's
choice: the whole image for the digits), bilinear resize to the model's
input, pixels to [-1, 1] (for a quantized model, int8 or uint8, to its uint8
input's quantization). With --bundle it prints the .tflite's format, as the
bundle's info file records it.

Prints one line per class, best first: `score  class id  [name]`. Names come
from --labels (TF-Slim's `index:name` lines, or one name per line in class
order as the original label files) or from the labels.txt of --dataset_dir /
the built-in digits (--dataset_name=digits). Without any of these, a model of
1001 classes gets ImageNet's readable names (datasets.imagenet's, 0 =
background; 1000 classes: the same without background) and any other model
the class ids.
"""

import os

from absl import flags
import numpy as np

from core import app
from core import errors
from core import flag_checks
from core import model_flags
from core import paths
from core import variants
from export import bundle
from export import info as info_lib

FLAGS = flags.FLAGS

# Larger images are refused before decoding (a 50 megapixel RGB image takes
# 150 MB; a 20000x20000 PNG of 49 KB would take 1.2 GB).
MAX_IMAGE_PIXELS = 50 * 10**6

flags.DEFINE_string('bundle', '', 'A bundle: <model>.tgz or the directory '
                    'it was extracted to.')
flags.DEFINE_string('model', '', 'A .tflite or <model>_frozen.pb instead of '
                    '--bundle.')
flags.DEFINE_enum('engine', 'tflite', ['tflite', 'frozen_graph'], 'With '
                  '--bundle: run its .tflite (LiteRT) or its frozen graph '
                  '(TensorFlow).')
flags.DEFINE_string('image', '', 'The image file to classify.')
flags.DEFINE_string('labels', '', 'Label names: `index:name` lines '
                    '(labels.txt) or one name per line in class order. '
                    'Without it, --dataset_dir and --dataset_name: '
                    'ImageNet\'s names for a model of 1001 (or 1000) '
                    'classes.')
model_flags.define_dataset_flags()  # Label names and the eval crop.
flags.DEFINE_float('central_fraction', None, 'Share of each side the '
                   'central crop keeps (1.0: none); default 0.875, or the '
                   'dataset\'s.')
flags.DEFINE_integer('top_k', 5, 'How many classes to print.')


def _central_fraction(dataset_name=None, info=None):
  """The eval crop of the preprocessing that suits the data (--preprocessing
  wins); without data, the original's."""
  from datasets import dataset_factory  # pylint: disable=g-import-not-at-top
  from preprocessing import mobilenet_v1_preprocessing  # pylint: disable=g-import-not-at-top
  # Without data, choose_preprocessing gives the original's (Inception).
  style = (FLAGS.preprocessing or
           dataset_factory.choose_preprocessing(dataset_name, info)[0])
  return mobilenet_v1_preprocessing.STYLES[style]['central_fraction']


def tflite_classifier(path):
  """A litert.Classifier for the .tflite at `path` (one-line errors)."""
  from export import litert  # pylint: disable=g-import-not-at-top
  try:
    return litert.Classifier(path)
  except litert.LoadError as e:
    raise errors.BadInputError('cannot use %s as a TensorFlow Lite image '
                               'classifier: %s' % (path, e)) from e


class FrozenGraphClassifier(object):
  """A frozen graph with the published input and output names."""

  def __init__(self, path):
    import tensorflow.compat.v1 as tf  # pylint: disable=g-import-not-at-top
    graph_def = tf.GraphDef()
    try:
      with open(path, 'rb') as f:
        graph_def.ParseFromString(f.read())
    except Exception as e:  # pylint: disable=broad-except
      # protobuf raises its own DecodeError for anything that is not a graph.
      raise errors.BadInputError('%s is not a binary GraphDef: %s' %
                                 (path, errors.one_line(e)[:200])) from e
    self._graph = tf.Graph()
    with self._graph.as_default():
      try:
        tf.import_graph_def(graph_def, name='')
        self._input = self._graph.get_tensor_by_name(variants.INPUT_NODE + ':0')
        self._output = self._graph.get_tensor_by_name(
            variants.OUTPUT_NODE + ':0')
      except (KeyError, ValueError) as e:
        raise errors.BadInputError(
            '%s is not a MobileNet v1 frozen graph (no %s '
            'or %s)' % (path, variants.INPUT_NODE, variants.OUTPUT_NODE)) from e
    shape = self._input.shape.as_list()
    if len(shape) != 4 or shape[1] is None or shape[1] != shape[2]:
      raise errors.BadInputError('%s takes %s, not [1, H, H, 3] images' %
                                 (path, shape))
    self.image_size = int(shape[1])
    self.num_classes = int(self._output.shape.as_list()[-1])
    self._session = tf.Session(graph=self._graph)

  def predict(self, image):
    return self._session.run(self._output, {self._input: image[None]})[0]


def load_classifier(path):
  """A litert.Classifier or FrozenGraphClassifier, by the file's name."""
  if not os.path.isfile(path):
    raise errors.BadInputError('model does not exist: %s' % path)
  if path.endswith('.tflite'):
    return tflite_classifier(path)
  if path.endswith('.pb'):
    return FrozenGraphClassifier(path)
  raise errors.BadInputError('--model must be a .tflite or a _frozen.pb: %s' %
                             path)


def read_label_file(path):
  """{class id: name} of --labels (datasets/dataset_info's label parser)."""
  from datasets import dataset_info  # pylint: disable=g-import-not-at-top
  if not os.path.isfile(path):
    raise errors.BadInputError('--labels does not exist: %s' % path)
  return dataset_info.read_label_file(path)


def dataset_labels(dataset_name, dataset_dir):
  """({label: name} or None, labels offset, classes, central fraction)."""
  from datasets import dataset_info  # pylint: disable=g-import-not-at-top
  if dataset_name and dataset_name != 'digits':
    if not dataset_dir:
      raise errors.BadInputError('--dataset_name %s needs --dataset_dir' %
                                 dataset_name)
  if not dataset_dir:
    from datasets import digits  # pylint: disable=g-import-not-at-top
    directory = digits.ensure_cache()
  else:
    directory = paths.user_path(dataset_dir)
  if not os.path.isdir(directory):
    raise errors.BadInputError('--dataset_dir does not exist: %s' % directory)
  described = dataset_info.read_info(directory)
  names = dataset_info.read_labels(directory)
  if described is None and names is None:
    raise errors.BadInputError(
        '--dataset_dir has neither %s nor %s: %s' %
        (dataset_info.INFO_FILENAME, dataset_info.LABELS_FILENAME, directory))
  offset = described['labels_offset'] if described else 0
  num_classes = described['num_classes'] if described else None
  fraction = _central_fraction(
      described.get('name') if described else None, described)
  return names, offset, num_classes, fraction


def class_names(model_classes, names, offset, dataset_classes):
  """{class id of the model: name}: shifts by the offset when the model
  has no background class (dataset classes - offset)."""
  if not names:
    return {}
  if (offset and dataset_classes is not None and
      model_classes == dataset_classes - offset):
    return {index - offset: name for index, name in names.items()
            if index >= offset}
  return dict(names)


def load_image(path, image_size, central_fraction):
  """The image as the model's float input [H, W, 3] in [-1, 1].

  Its size is read from the header before anything is decoded: an image of
  more than MAX_IMAGE_PIXELS (a decompression bomb, a few KB of PNG that
  decodes to gigabytes) is refused in one line.
  """
  from PIL import Image  # pylint: disable=g-import-not-at-top
  from PIL import UnidentifiedImageError  # pylint: disable=g-import-not-at-top
  if not os.path.isfile(path):
    raise errors.BadInputError('--image does not exist: %s' % path)
  pillow_limit = Image.MAX_IMAGE_PIXELS
  Image.MAX_IMAGE_PIXELS = None  # Checked here, from the header, instead.
  try:
    with Image.open(path) as image:
      width, height = image.size
      too_big = width * height > MAX_IMAGE_PIXELS
      pixels = None if too_big else np.asarray(image.convert('RGB'))
  except (UnidentifiedImageError, OSError, ValueError) as e:
    raise errors.BadInputError(
        '--image is not an image Pillow can read: %s (%s)' %
        (path, errors.one_line(e)[:120])) from e
  finally:
    Image.MAX_IMAGE_PIXELS = pillow_limit
  if too_big:
    raise errors.BadInputError(
        '--image %s is %dx%d px (%.0f megapixels), more than the %d '
        'megapixels label_image decodes; scale it down first' % (
            path, width, height, width * height / 1e6,
            MAX_IMAGE_PIXELS // 10**6))
  from preprocessing import mobilenet_v1_preprocessing  # pylint: disable=g-import-not-at-top
  return np.asarray(mobilenet_v1_preprocessing.preprocess_for_eval(
      pixels, image_size, image_size, central_fraction=central_fraction))


def imagenet_names(model_classes):
  """(TF-Slim's ImageNet {label: name}, offset 1, 1001) for a model of 1001
  classes or of 1000 (no background), else None."""
  from datasets import imagenet  # pylint: disable=g-import-not-at-top
  if model_classes not in (imagenet.NUM_CLASSES,
                           imagenet.NUM_CLASSES - imagenet.LABELS_OFFSET):
    return None
  return (imagenet.create_readable_names_for_imagenet_labels(),
          imagenet.LABELS_OFFSET, imagenet.NUM_CLASSES)


def top_k(probabilities, k):
  order = np.argsort(-probabilities, kind='stable')
  return [(int(i), float(probabilities[i])) for i in order[:k]]


def classify(model_path, image_path, names=None, offset=0,
             dataset_classes=None, central_fraction=None, k=5,
             imagenet_by_default=False):
  """[(class id, score, name or None)] of the k best classes.

  imagenet_by_default: without `names`, name the classes of an ImageNet-sized
  model (1001 or 1000 classes) with ImageNet's readable names.
  """
  classifier = load_classifier(model_path)
  if central_fraction is None:
    central_fraction = _central_fraction()
  image = load_image(image_path, classifier.image_size, central_fraction)
  probabilities = classifier.predict(image)
  if names is None and imagenet_by_default:
    found = imagenet_names(classifier.num_classes)
    if found:
      names, offset, dataset_classes = found
  labels = class_names(classifier.num_classes, names, offset, dataset_classes)
  return [(index, score, labels.get(index))
          for index, score in top_k(probabilities, k)]


def main(argv):
  del argv  # app.run refuses positional arguments.
  if bool(FLAGS.bundle) == bool(FLAGS.model):
    raise errors.BadInputError('give exactly one of --bundle and --model')
  flag_checks.require('image', FLAGS.image)
  flag_checks.check_positive('top_k', FLAGS.top_k)
  if FLAGS.central_fraction is not None and not (
      0 < FLAGS.central_fraction <= 1):
    raise errors.BadInputError('--central_fraction must be in (0, 1], got %s' %
                               FLAGS.central_fraction)
  names, offset, dataset_classes, fraction = None, 0, None, None
  # No label source given: an ImageNet-sized model gets ImageNet's names.
  imagenet_by_default = not (FLAGS.labels or FLAGS.dataset_dir or
                             FLAGS.dataset_name)
  if FLAGS.dataset_dir or FLAGS.dataset_name:
    names, offset, dataset_classes, fraction = dataset_labels(
        FLAGS.dataset_name, FLAGS.dataset_dir)
  if FLAGS.labels:
    names = read_label_file(paths.user_path(FLAGS.labels))
    # An ImageNet list starts with the background class (label 0); a model
    # without it (1000 classes) is shifted by one.
    offset = 1 if names.get(0, '').lower() == 'background' else 0
    dataset_classes = max(names) + 1 if names else None
  if FLAGS.central_fraction is not None:
    fraction = FLAGS.central_fraction
  image_path = paths.user_path(FLAGS.image)

  if FLAGS.model:
    results = classify(paths.user_path(FLAGS.model), image_path, names, offset,
                       dataset_classes, fraction, FLAGS.top_k,
                       imagenet_by_default)
  else:
    with bundle.opened(paths.user_path(FLAGS.bundle)) as (directory, name):
      facts = info_lib.read_bundle_info(directory, name)
      print('%s (%s, %d classes, %d px)' % (
          name, facts.tflite_format if FLAGS.engine == 'tflite' else 'float',
          facts.num_classes, facts.image_size))
      model = bundle.member_path(
          directory, name,
          'tflite' if FLAGS.engine == 'tflite' else 'frozen_graph')
      results = classify(model, image_path, names, offset, dataset_classes,
                         fraction, FLAGS.top_k, imagenet_by_default)
  for index, score, label in results:
    print('%.5f  %d%s' % (score, index, '  ' + label if label else ''))


if __name__ == '__main__':
  app.run(main)
