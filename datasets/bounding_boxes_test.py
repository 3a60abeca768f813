"""ILSVRC's XML boxes to the boxes CSV: the library and process_bounding_boxes."""

import io
import os

from absl.testing import absltest

from core import scripts
from datasets import bounding_boxes
from datasets import imagenet
from datasets import test_images


def _write(path, text):
  os.makedirs(os.path.dirname(path), exist_ok=True)
  with open(path, 'w', encoding='utf-8') as f:
    f.write(text)
  return path


def _run(*args):
  return scripts.run_script('datasets/process_bounding_boxes.py', args, 120)


class ParseAnnotationTest(absltest.TestCase):

  def test_relative_clipped_and_filtered(self):
    path = _write(
        os.path.join(self.create_tempdir().full_path, 'n01440764',
                     'n01440764_18.xml'),
        test_images.ilsvrc_annotation('n01440764_18', 200, 100, [
            ('n01440764', 20, 10, 150, 90),
            ('n01440764', -5, 50, 260, 120),   # Past the image: clipped.
            ('n01440764', 210, 10, 250, 90),   # Wholly outside: empty.
            ('n01440764', 80, 60, 40, 90),     # min > max: empty.
            ('n99999999', 0, 0, 100, 50),      # Another synset.
        ]))
    everything = bounding_boxes.parse_annotation(path)
    self.assertEqual(everything.image_filename, 'n01440764_18.JPEG')
    self.assertEqual(everything.boxes, [
        (0.1, 0.1, 0.75, 0.9), (0.0, 0.5, 1.0, 1.0), (0.0, 0.0, 0.5, 0.5)])
    self.assertEqual((everything.other_synsets, everything.empty_boxes),
                     (0, 2))
    challenge = bounding_boxes.parse_annotation(
        path, bounding_boxes.read_synsets(imagenet.SYNSETS_FILE))
    self.assertEqual(challenge.boxes, everything.boxes[:2])
    self.assertEqual((challenge.other_synsets, challenge.empty_boxes), (1, 2))
    self.assertEqual(bounding_boxes.csv_line(challenge.image_filename,
                                             challenge.boxes[0]),
                     'n01440764_18.JPEG,0.1000,0.1000,0.7500,0.9000')

  def test_the_file_name_names_the_image(self):
    # A wrong <filename> inside does not move the boxes to another image.
    path = _write(
        os.path.join(self.create_tempdir().full_path,
                     'ILSVRC2012_val_00000007.xml'),
        test_images.ilsvrc_annotation('%s', 10, 10,
                                      [('n01440764', 1, 1, 9, 9)]))
    self.assertEqual(bounding_boxes.parse_annotation(path).image_filename,
                     'ILSVRC2012_val_00000007.JPEG')

  def test_malformed(self):
    directory = self.create_tempdir().full_path
    good = test_images.ilsvrc_annotation('x_1', 10, 10,
                                         [('n01440764', 1, 1, 9, 9)])
    cases = {
        'not XML': good[:-20],
        'no <size>': '<annotation><object/></annotation>',
        'image size 0x10': good.replace('<width>10<', '<width>0<'),
        '<xmin> is not a number': good.replace('<xmin>1<', '<xmin>one<'),
        '<height> is not a number': good.replace('<height>10<',
                                                 '<height>nan<'),
        'no <ymax>': good.replace('<ymax>9</ymax>', ''),
        'without <bndbox>': good.replace('<bndbox>', '<box>').replace(
            '</bndbox>', '</box>'),
    }
    for i, (reason, text) in enumerate(cases.items()):
      path = _write(os.path.join(directory, 'x_%d.xml' % i), text)
      with self.assertRaisesRegex(bounding_boxes.MalformedAnnotationError,
                                  reason):
        bounding_boxes.parse_annotation(path)


class CsvTest(absltest.TestCase):

  def test_write_csv_skips_and_counts_malformed_files(self):
    root = self.create_tempdir().full_path
    _write(os.path.join(root, 'a', 'n01440764_2.xml'),
           test_images.ilsvrc_annotation('n01440764_2', 100, 50, [
               ('n01440764', 10, 5, 60, 45), ('n01440764', 50, 0, 100, 50)]))
    _write(os.path.join(root, 'a', 'n01440764_1.xml'), '<annotation>')
    _write(os.path.join(root, 'b', 'n15075141_9.xml'),
           test_images.ilsvrc_annotation('n15075141_9', 40, 40, []))
    _write(os.path.join(root, 'b', 'notes.txt'), 'not an annotation')
    _write(os.path.join(root, '.hidden', 'n1_1.xml'), 'ignored')
    paths = bounding_boxes.find_annotations(root)
    self.assertEqual([os.path.relpath(p, root) for p in paths],
                     ['a/n01440764_1.xml', 'a/n01440764_2.xml',
                      'b/n15075141_9.xml'])
    out = io.StringIO()
    summary = bounding_boxes.write_csv(paths, out)
    self.assertEqual(out.getvalue(),
                     'n01440764_2.JPEG,0.1000,0.1000,0.6000,0.9000\n'
                     'n01440764_2.JPEG,0.5000,0.0000,1.0000,1.0000\n')
    self.assertEqual((summary.files, summary.images, summary.boxes),
                     (3, 1, 2))
    self.assertEqual([p for p, _ in summary.malformed], [paths[0]])
    # What build_imagenet_data reads back.
    csv_path = self.create_tempfile(
        content=out.getvalue() + 'filename,xmin,ymin,xmax,ymax\n').full_path
    self.assertEqual(bounding_boxes.read_csv(csv_path), {
        'n01440764_2.JPEG': [(0.1, 0.1, 0.6, 0.9), (0.5, 0.0, 1.0, 1.0)]})
    self.assertEqual(bounding_boxes.read_csv(None), {})


class ProcessBoundingBoxesBinaryTest(absltest.TestCase):

  def test_csv_on_stdout_counts_on_stderr(self):
    root = self.create_tempdir().full_path
    _write(os.path.join(root, 'n01443537', 'n01443537_3.xml'),
           test_images.ilsvrc_annotation('n01443537_3', 80, 80, [
               ('n01443537', 8, 8, 72, 40), ('n00000001', 0, 0, 8, 8)]))
    _write(os.path.join(root, 'n01443537', 'n01443537_4.xml'), 'garbage')
    process = _run(root, imagenet.SYNSETS_FILE)
    self.assertEqual(process.returncode, 0, process.stderr[-2000:])
    self.assertEqual(process.stdout,
                     'n01443537_3.JPEG,0.1000,0.1000,0.9000,0.5000\n')
    self.assertIn('skipped %s' % os.path.join(root, 'n01443537',
                                              'n01443537_4.xml'),
                  process.stderr)
    self.assertIn('1 boxes for 1 images from 2 files; skipped 1 malformed '
                  'files, 1 boxes of other synsets, 0 empty boxes',
                  process.stderr)
    # Without a synsets file every box is kept.
    process = _run(root)
    self.assertEqual(process.returncode, 0, process.stderr[-2000:])
    self.assertLen(process.stdout.splitlines(), 2)

  def test_bad_arguments_are_one_line(self):
    empty = self.create_tempdir().full_path
    cases = [
        ([], 'error: usage: process_bounding_boxes DIR [SYNSETS_FILE] (got 0 '
         'arguments)'),
        ([empty, 'a', 'b'], 'error: usage: process_bounding_boxes'),
        (['/no/such/dir'], 'error: not a directory: /no/such/dir'),
        ([empty], 'error: no .xml files under %s' % empty),
        ([empty, '/no/such.txt'],
         'error: cannot read synsets file /no/such.txt'),
    ]
    for args, message in cases:
      process = _run(*args)
      self.assertEqual(process.returncode, 2, (args, process.stderr[-500:]))
      self.assertEqual(process.stdout, '')
      last = process.stderr.strip().splitlines()[-1]
      self.assertTrue(last.startswith(message), (args, last))
      self.assertNotIn('Traceback', process.stderr)


if __name__ == '__main__':
  absltest.main()
