"""label_image: top-5 of an image with a bundle's .tflite or frozen graph."""

import os
import tarfile
import tempfile

from absl.testing import absltest
import numpy as np
from PIL import Image
import tensorflow.compat.v1 as tf

from core import errors
from core import scripts
from core import variants
from datasets import imagenet
from export import bundle
from export import exporter
from export import freeze
from export import test_checkpoints
from model import builder
from tools import label_image

DEPTH = test_checkpoints.DEPTH_MULTIPLIER


def _new_dir(prefix):
  return tempfile.mkdtemp(prefix=prefix, dir=absltest.get_default_test_tmpdir())


def _run(*args):
  cache = os.path.join(absltest.get_default_test_tmpdir(), 'data_cache')
  return scripts.run_script('tools/label_image.py', args, 300,
                            {'MOBILENET_V1_DATA_CACHE': cache})


def _result_lines(stdout):
  return [line.split() for line in stdout.splitlines()
          if line[:1].isdigit()]


def _frozen_model(directory, num_classes):
  """A frozen MobileNet v1 (0.25, 32 px) of `num_classes` classes with its
  initial (random) weights: enough to name what it predicts."""
  graph = builder.build_inference_graph(DEPTH, 32, num_classes, quantize=False)
  with graph.as_default(), tf.Session(graph=graph) as sess:
    tf.set_random_seed(0)
    sess.run(tf.global_variables_initializer())
    frozen = freeze.freeze_session(sess)
  path = os.path.join(directory, '%s_%d_frozen.pb' % (
      variants.model_name(DEPTH, 32, False), num_classes))
  freeze.write_graph_def(frozen, path)
  return path


class LabelImageTest(absltest.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    float_checkpoint, quant_checkpoint = test_checkpoints.float_and_quant(
        _new_dir('checkpoints.'))
    out = _new_dir('bundles.')
    cls.float_bundle = exporter.export_bundle(float_checkpoint, out,
                                              depth_multiplier=DEPTH,
                                              image_size=32,
                                              num_threads=1).archive
    cls.quant_bundle = exporter.export_bundle(quant_checkpoint, out,
                                              depth_multiplier=DEPTH,
                                              image_size=32, quantize=True,
                                              num_threads=1).archive
    cls.uint8_bundle = exporter.export_bundle(quant_checkpoint,
                                              _new_dir('uint8_bundle.'),
                                              depth_multiplier=DEPTH,
                                              image_size=32, quantize=True,
                                              num_threads=1,
                                              tflite_format='uint8').archive
    cls.float_dir = _new_dir('float_bundle.')
    with tarfile.open(cls.float_bundle) as tar:
      tar.extractall(cls.float_dir)
    images = _new_dir('images.')
    rng = np.random.RandomState(0)
    cls.png = os.path.join(images, 'image.png')
    Image.fromarray(rng.randint(0, 256, [40, 48, 3]).astype(np.uint8)).save(
        cls.png)
    cls.grey_jpeg = os.path.join(images, 'grey.jpg')
    Image.fromarray(rng.randint(0, 256, [64, 64]).astype(np.uint8),
                    'L').save(cls.grey_jpeg)
    cls.not_an_image = os.path.join(images, 'notes.txt')
    with open(cls.not_an_image, 'w') as f:
      f.write('hello\n')

  def test_bundle_top5_with_digits_labels(self):
    # Both quantized formats: the format comes from the bundle's info file.
    scores = {}
    for bundle_path, kind in ((self.quant_bundle, 'int8'),
                              (self.uint8_bundle, 'uint8')):
      process = _run('--bundle=' + bundle_path, '--image=' + self.png,
                     '--dataset_name=digits')
      self.assertEqual(process.returncode, 0, process.stderr[-2000:])
      self.assertIn('mobilenet_v1_0.25_32_quant (%s, 10 classes, 32 px)' %
                    kind, process.stdout)
      rows = _result_lines(process.stdout)
      self.assertLen(rows, 5)
      scores[kind] = [float(row[0]) for row in rows]
      self.assertEqual(scores[kind], sorted(scores[kind], reverse=True))
      self.assertLen({row[1] for row in rows}, 5)
      for row in rows:  # The digits' labels.txt names class i 'i'.
        self.assertLen(row, 3)
        self.assertEqual(row[1], row[2])
    # The same ranges: the same scores, within the kernels' rounding.
    np.testing.assert_allclose(scores['int8'], scores['uint8'], atol=2 / 256)

  def test_frozen_graph_and_tflite_agree(self):
    name = 'mobilenet_v1_0.25_32'
    members = bundle.members(name)
    from_tflite = label_image.classify(
        os.path.join(self.float_dir, members.tflite), self.grey_jpeg)
    from_graph = label_image.classify(
        os.path.join(self.float_dir, members.frozen_graph), self.grey_jpeg)
    self.assertEqual([r[0] for r in from_tflite], [r[0] for r in from_graph])
    np.testing.assert_allclose([r[1] for r in from_tflite],
                               [r[1] for r in from_graph], atol=1e-4)
    process = _run('--model=' + os.path.join(self.float_dir,
                                             members.frozen_graph),
                   '--image=' + self.grey_jpeg, '--top_k=3')
    self.assertEqual(process.returncode, 0, process.stderr[-2000:])
    rows = _result_lines(process.stdout)
    self.assertEqual([int(r[1]) for r in rows],
                     [r[0] for r in from_graph[:3]])
    self.assertTrue(all(len(r) == 2 for r in rows))  # No names known.
    # An extracted bundle directory works like the .tgz.
    with bundle.opened(self.float_dir) as (directory, found):
      self.assertEqual((directory, found), (self.float_dir, name))

  def test_imagenet_names_for_imagenet_sized_models(self):
    names = imagenet.create_readable_names_for_imagenet_labels()
    directory = _new_dir('imagenet_models.')
    model_1001 = _frozen_model(directory, 1001)
    # The binary with no label source: TF-Slim's 1001 names, 0 = background.
    process = _run('--model=' + model_1001, '--image=' + self.png,
                   '--top_k=1001')
    self.assertEqual(process.returncode, 0, process.stderr[-2000:])
    lines = [line for line in process.stdout.splitlines()
             if line[:1].isdigit()]
    self.assertLen(lines, 1001)
    by_id = {}
    for line in lines:
      score, class_id, name = line.split('  ', 2)
      by_id[int(class_id)] = name
      self.assertBetween(float(score), 0.0, 1.0)
    self.assertEqual(by_id, names)
    self.assertEqual((by_id[0], by_id[1], by_id[1000]),
                     ('background', 'tench, Tinca tinca',
                      'toilet tissue, toilet paper, bathroom tissue'))
    # A 1000-class model (no background): class i is label i + 1.
    results = label_image.classify(_frozen_model(directory, 1000), self.png,
                                   k=1000, imagenet_by_default=True)
    self.assertEqual({index: name for index, _, name in results},
                     {i - 1: name for i, name in names.items() if i})
    # A label source given, or a model of another size: no ImageNet names.
    given = label_image.classify(model_1001, self.png, names={0: 'x'},
                                 k=1001, imagenet_by_default=True)
    self.assertEqual({name for _, _, name in given}, {None, 'x'})
    ten_classes = os.path.join(self.float_dir, bundle.members(
        'mobilenet_v1_0.25_32').frozen_graph)
    self.assertEqual({r[2] for r in label_image.classify(
        ten_classes, self.png, imagenet_by_default=True)}, {None})

  def test_label_files(self):
    directory = _new_dir('labels.')
    indexed = os.path.join(directory, 'labels.txt')
    with open(indexed, 'w') as f:
      f.write(''.join('%d:class %d\n' % (i, i) for i in range(10)))
    listed = os.path.join(directory, 'list.txt')
    with open(listed, 'w') as f:
      f.write('background\n' + ''.join('name%d\n' % i for i in range(10)))
    self.assertEqual(label_image.read_label_file(indexed)[3], 'class 3')
    names = label_image.read_label_file(listed)
    self.assertEqual(names[0], 'background')
    # A model without the background class is shifted by one.
    self.assertEqual(label_image.class_names(10, names, 1, 11)[0], 'name0')
    self.assertEqual(label_image.class_names(11, names, 1, 11)[1], 'name0')
    results = label_image.classify(
        os.path.join(self.float_dir, 'mobilenet_v1_0.25_32.tflite'),
        self.png, names=label_image.read_label_file(indexed))
    self.assertEqual([r[2] for r in results],
                     ['class %d' % r[0] for r in results])

  def test_bad_input_is_one_line(self):
    # Through the binary: one line on stderr, exit status 2, no traceback.
    cases = [
        (['--bundle=' + self.float_bundle, '--image=/nonexistent.jpg'],
         'error: --image does not exist: /nonexistent.jpg'),
        (['--bundle=' + self.not_an_image, '--image=' + self.png],
         'error: %s is not a readable .tgz bundle' % self.not_an_image),
    ]
    for args, message in cases:
      process = _run(*args)
      self.assertEqual(process.returncode, 2, (args, process.stderr[-500:]))
      last = process.stderr.strip().splitlines()[-1]
      self.assertTrue(last.startswith(message), (args, last))
      self.assertNotIn('Traceback', process.stderr)
    # The other refusals, as the errors the binary prints in one line.
    with self.assertRaisesRegex(errors.BadInputError,
                                '--image is not an image Pillow can read'):
      label_image.load_image(self.not_an_image, 32, 0.875)
    with self.assertRaisesRegex(errors.BadInputError,
                                '--model must be a .tflite or a _frozen.pb'):
      label_image.load_classifier(self.not_an_image)
    with self.assertRaisesRegex(
        errors.BadInputError, 'cannot use .* as a '
        'TensorFlow Lite image classifier'):
      label_image.tflite_classifier(self.not_an_image)
    with self.assertRaisesRegex(errors.BadInputError, 'not a binary GraphDef'):
      label_image.FrozenGraphClassifier(self.png)
    with self.assertRaisesRegex(errors.BadInputError, 'not a bundle directory'):
      with bundle.opened(os.path.dirname(self.png)):
        pass

  def test_decompression_bomb_is_refused_before_decoding(self):
    # 10000 x 10000 of one colour: about 100 KB of PNG, 300 MB decoded.
    bomb = os.path.join(_new_dir('bomb.'), 'bomb.png')
    Image.new('L', (10000, 10000)).save(bomb, optimize=True)
    self.assertLess(os.path.getsize(bomb), 1 << 20)
    with self.assertRaisesRegex(
        errors.BadInputError,
        '--image .*bomb.png is 10000x10000 px \\(100 megapixels\\), more '
        'than the 50 megapixels'):
      label_image.load_image(bomb, 32, 0.875)


if __name__ == '__main__':
  absltest.main()
