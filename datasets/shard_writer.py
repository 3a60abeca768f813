"""Writes one split of a dataset as TFRecord shards, in parallel and safely.

Shared by both converters. The items of a split (already in their final,
deterministically shuffled order) are cut into contiguous ranges, one per
shard, and the shards are written by a pool of threads; each shard's content
depends only on its range, so any thread count gives the same files. A shard
is written under a hidden temporary name and renamed when complete
(core.atomic_file), so an interrupted run never leaves a file that looks
finished. Files that are not readable images are skipped and named in a
warning. Progress (images/s, ETA) is logged as for every long job
(core.progress).
"""

import collections
import concurrent.futures
import glob
import os
import threading

from absl import logging
import tensorflow as tf

from core import atomic_file
from core import progress
from datasets import dataset_info
from datasets import image_coding

SplitResult = collections.namedtuple(
    'SplitResult',
    ['num_written', 'num_shards', 'skipped', 'fixes', 'max_height',
     'max_width'])
SplitResult.__doc__ = """What was written for one split.

num_written: records written; num_shards: shard files; skipped: list of
(path, reason) for unreadable files; fixes: Counter of image_coding fixes;
max_height, max_width: the largest stored image size (0 if none).
"""


def shard_ranges(num_items, num_shards):
  """[(start, end)]: range(num_items) cut into num_shards near-equal parts."""
  return [(num_items * i // num_shards, num_items * (i + 1) // num_shards)
          for i in range(num_shards)]


def _write_shard(path, items, encode_fn, progress_counter):
  """Writes the records of `items` to `path` via a temporary file."""
  skipped = []
  fixes = collections.Counter()
  num_written = 0
  max_height = max_width = 0
  with atomic_file.replacing(path) as temp_path:
    with tf.io.TFRecordWriter(temp_path) as writer:
      for item in items:
        try:
          record, height, width, item_fixes = encode_fn(item)
        except image_coding.UnreadableImageError as e:
          logging.warning('skipping %s: not a readable image (%s)',
                          item.path, e)
          skipped.append((item.path, str(e)))
          progress_counter.add()
          continue
        writer.write(record)
        num_written += 1
        fixes.update(item_fixes)
        max_height = max(max_height, height)
        max_width = max(max_width, width)
        progress_counter.add()
  return num_written, skipped, fixes, max_height, max_width


class _Counter(object):
  """Images done over all shard threads, reported through core.progress."""

  def __init__(self, split_name, total):
    self._done = 0
    self._lock = threading.Lock()
    self._progress = progress.Progress(split_name, total, 'images')

  def add(self):
    with self._lock:
      self._done += 1
      self._progress.update(self._done)


def remove_stale_files(output_dir, split_name, keep_basenames):
  """Deletes this split's shards not in `keep_basenames`, and temp leftovers.

  Leftovers are the finished shards of an earlier run with another shard
  count, and temporary files of interrupted runs.
  """
  pattern = os.path.join(output_dir, dataset_info.shard_glob(split_name))
  for path in glob.glob(pattern):
    if os.path.basename(path) not in keep_basenames:
      logging.info('removing stale shard %s', path)
      os.remove(path)
  atomic_file.remove_stale_temps(output_dir)


def write_split(output_dir, split_name, items, num_shards, num_threads,
                encode_fn):
  """Writes `items` as `num_shards` TFRecord files named split-NNNNN-of-MMMMM.

  Args:
    output_dir: an existing directory.
    split_name: 'train' or 'validation'.
    items: a sequence of objects with a `path` attribute, in the order to
      write them.
    num_shards: the number of shard files (at least 1).
    num_threads: how many shards are written at once.
    encode_fn: item -> (serialized Example, height, width, fixes); raises
      image_coding.UnreadableImageError for files to skip.

  Returns:
    A SplitResult.
  """
  num_shards = max(1, int(num_shards))
  paths = [os.path.join(output_dir,
                        dataset_info.shard_basename(split_name, i, num_shards))
           for i in range(num_shards)]
  ranges = shard_ranges(len(items), num_shards)
  counter = _Counter(split_name, len(items))
  logging.info('writing %d %s images to %d shards in %s with %d threads',
               len(items), split_name, num_shards, output_dir, num_threads)
  with concurrent.futures.ThreadPoolExecutor(max(1, num_threads)) as pool:
    futures = [pool.submit(_write_shard, path, items[start:end], encode_fn,
                           counter)
               for path, (start, end) in zip(paths, ranges)]
    results = [future.result() for future in futures]
  remove_stale_files(output_dir, split_name,
                     set(os.path.basename(p) for p in paths))
  skipped = []
  fixes = collections.Counter()
  for _, shard_skipped, shard_fixes, _, _ in results:
    skipped.extend(shard_skipped)
    fixes.update(shard_fixes)
  return SplitResult(
      num_written=sum(r[0] for r in results),
      num_shards=num_shards,
      skipped=skipped,
      fixes=fixes,
      max_height=max([r[3] for r in results] + [0]),
      max_width=max([r[4] for r in results] + [0]))


def split_info(split_name, result):
  """The dataset_info.json entry of a split written by write_split."""
  return {
      'num_samples': result.num_written,
      'num_shards': result.num_shards,
      'file_pattern': (dataset_info.shard_glob(split_name, result.num_shards)
                       if result.num_shards else None),
  }


def max_image_size(results):
  """[height, width] of the largest images stored by some SplitResults."""
  results = list(results)
  return [max(r.max_height for r in results), max(r.max_width for r in results)]
