r"""Turns ILSVRC's XML bounding boxes into the CSV build_imagenet_data reads.

  bazel run //datasets:process_bounding_boxes -- DIR [SYNSETS_FILE] \
      > imagenet_2012_bounding_boxes.csv

DIR: a directory tree of ILSVRC's XML annotations (e.g. the train boxes
extracted as <synset>/<synset>_<n>.xml, and/or the validation ones as
ILSVRC2012_val_<n>.xml), searched at any depth. SYNSETS_FILE: keep only the
boxes of the synsets listed in it, one per line (e.g.
datasets/data/imagenet_lsvrc_2015_synsets.txt); without it every box is kept.

Prints `filename,xmin,ymin,xmax,ymax` lines (coordinates relative to the
image size, clipped to [0, 1]) to standard output, in the order of the sorted
XML paths; the counts, malformed files (skipped, not fatal) and progress go
to the log on standard error. Relative paths are relative to where
`bazel run` was started.
"""

import os
import sys

from absl import logging

from core import app
from core import errors
from core import paths
from datasets import bounding_boxes

USAGE = 'usage: process_bounding_boxes DIR [SYNSETS_FILE]'


def run(directory, synsets_file=None, out=None):
  """Converts the XML files under `directory` to `out` (default: standard
  output); returns the summary.

  Raises:
    errors.BadInputError: no such directory, no XML file in it, or an
      unreadable synsets file.
  """
  if not os.path.isdir(directory):
    raise errors.BadInputError('not a directory: %s' % directory)
  synsets = bounding_boxes.read_synsets(synsets_file) if synsets_file else None
  logging.info('looking for %s files under %s',
               bounding_boxes.ANNOTATION_EXTENSION, directory)
  annotation_paths = bounding_boxes.find_annotations(directory)
  if not annotation_paths:
    raise errors.BadInputError('no %s files under %s' % (
        bounding_boxes.ANNOTATION_EXTENSION, directory))
  logging.info('%d XML files under %s%s', len(annotation_paths), directory,
               ', keeping the boxes of %d synsets' % len(synsets)
               if synsets is not None else '')
  out = out or sys.stdout
  summary = bounding_boxes.write_csv(annotation_paths, out, synsets)
  out.flush()
  logging.info('%d boxes for %d images from %d files; skipped %d malformed '
               'files, %d boxes of other synsets, %d empty boxes',
               summary.boxes, summary.images, summary.files,
               len(summary.malformed), summary.other_synsets,
               summary.empty_boxes)
  return summary


def main(argv):
  arguments = argv[1:]
  if not 1 <= len(arguments) <= 2:
    raise errors.BadInputError('%s (got %d arguments)' % (USAGE,
                                                          len(arguments)))
  run(paths.user_path(arguments[0]),
      paths.user_path(arguments[1]) if len(arguments) > 1 else None)


if __name__ == '__main__':
  app.run(main, takes_arguments=True)
