"""The release: every published variant's bundle from a tree of checkpoints.

  ROOT/<model>/            one training directory per bundle, named by it
                           (ROOT/mobilenet_v1_1.0_224/,
                           ROOT/mobilenet_v1_1.0_224_quant/, ...); its
                           newest checkpoint is exported;
  ROOT/<model>/eval/metrics.json (or ROOT/<model>/metrics.json)
                           mobilenet_v1_eval's result for that checkpoint
                           (--eval_dir=ROOT/<model>/eval), if any: its
                           accuracy and recall_5 become the bundle's top-1
                           and top-5, when its global step is the exported
                           checkpoint's.

Output, in OUT: the bundles (export/exporter.py), manifest.json and
models_table.md (export/manifest.py). The manifest is rewritten after every
finished bundle, so an interrupted release keeps what it finished.

Up to date: a bundle is skipped when the manifest has an entry for it whose
checkpoint stamp equals the checkpoint's now (its path, the sha256 of its
.index and .data files, the bundle format version, the .tflite format) and whose archive is in
OUT with the recorded sha256. Any other case (new checkpoint, retrained,
archive missing or changed, older bundle format, another --tflite_format)
rebuilds it. _quant bundles hold an int8 .tflite, or with
tflite_format='uint8' the TOCO-era uint8 one; float bundles a float one.

Bundles are exported by the export library in worker processes (one
TensorFlow thread per pool each, a fresh process per bundle), as many at
once as --jobs (default: the number of cores).
"""

import collections
import concurrent.futures
import glob
import hashlib
import multiprocessing
import os
import time

from absl import logging

from core import errors
from core import library_logs
from core import locks
from core import metrics
from core import paths
from core import progress
from core import variants
from export import bundle
from export import manifest
from export import tflite
from model import checkpoints

# Where mobilenet_v1_eval's metrics.json is looked for, in a training dir.
METRICS_PATHS = (os.path.join('eval', metrics.METRICS_FILENAME),
                 metrics.METRICS_FILENAME)

# How often the release wakes to say it is still exporting.
_POLL_SECS = 5

Job = collections.namedtuple('Job', ['variant', 'checkpoint', 'stamp',
                                   'tflite_format'])
ReleaseResult = collections.namedtuple('ReleaseResult', [
    'built', 'skipped', 'missing', 'failed', 'manifest', 'table'])


def checkpoint_stamp(checkpoint_path, tflite_format):
  """What a bundle was made from: path, content hash of the checkpoint, the
  bundle and .tflite formats."""
  digest = hashlib.sha256()
  files = sorted(glob.glob(glob.escape(checkpoint_path) + '.data-*') +
                 [checkpoint_path + '.index'])
  for path in files:
    digest.update(os.path.basename(path).encode('utf-8') + b'\0')
    bundle.update_digest(digest, path)
  return {'checkpoint': os.path.abspath(checkpoint_path),
          'sha256': digest.hexdigest(),
          'bundle_format': bundle.FORMAT_VERSION,
          'tflite_format': tflite_format}


def find_checkpoints(root, names=None,
                     quant_format=tflite.DEFAULT_QUANTIZED_FORMAT):
  """([Job] with a checkpoint, [names without one]) in variants order.

  quant_format: the .tflite format of the _quant bundles.
  """
  jobs, missing = [], []
  for variant in variants.ALL_VARIANTS:
    if names and variant.name not in names:
      continue
    path = checkpoints.latest_checkpoint(os.path.join(root, variant.name))
    if path:
      jobs.append(Job(variant, path, None, tflite.resolve_format(
          variant.quantize, quant_format if variant.quantize else None)))
    else:
      missing.append(variant.name)
  return jobs, missing


def read_metrics(train_dir, checkpoint_path):
  """{'top1', 'top5', 'num_examples', 'metrics'} or None (see module doc)."""
  step = checkpoints.Checkpoint(checkpoint_path).global_step
  for relative in METRICS_PATHS:
    path = os.path.join(train_dir, relative)
    if not os.path.isfile(path):
      continue
    try:
      record = metrics.read_metrics(path)
      top1, top5 = float(record['accuracy']), float(record['recall_5'])
    except (OSError, ValueError, TypeError) as e:
      logging.warning('%s is not a mobilenet_v1_eval metrics.json (%s): '
                      'not used', path, e)
      return None
    evaluated = record.get('global_step')
    if evaluated is not None and step is not None:
      same = evaluated == step
    else:
      same = (os.path.basename(str(record.get('checkpoint'))) ==
              os.path.basename(checkpoint_path))
    if not same:
      logging.warning('%s is for step %s, the exported checkpoint is step '
                      '%s: not used (evaluate the checkpoint again)', path,
                      evaluated, step)
      return None
    return {
        'top1': top1,
        'top5': top5,
        'num_examples': record.get('num_examples'),
        'metrics': path
    }
  return None


def export_job(job, output_dir):
  """Exports one bundle (in a worker process): (result dict, None) or
  (None, one-line error)."""
  logging.set_verbosity(logging.WARNING)  # The release logs for its workers.
  from export import exporter  # pylint: disable=g-import-not-at-top
  variant = job.variant
  try:
    result = exporter.export_bundle(job.checkpoint, output_dir,
                                    depth_multiplier=variant.depth_multiplier,
                                    image_size=variant.image_size,
                                    quantize=variant.quantize, num_threads=1,
                                    tflite_format=job.tflite_format)
  except (errors.BadInputError, errors.JobFailedError) as e:
    return None, errors.one_line(e)
  except Exception as e:  # pylint: disable=broad-except
    # A bug: the other bundles still get built; the error is reported.
    logging.exception('exporting %s failed', variant.name)
    return None, '%s: %s' % (type(e).__name__, errors.one_line(e)[:300])
  return result._asdict(), None


def release(root, output_dir, jobs=None, names=None, force=False,
            quant_format=tflite.DEFAULT_QUANTIZED_FORMAT):
  """Builds the bundles of every checkpoint under root into output_dir.

  Args:
    root: the checkpoints root (see the module doc).
    output_dir: where bundles, manifest.json and models_table.md go.
    jobs: exports at once; None: os.cpu_count().
    names: only these model names (None: all 32).
    force: rebuild even up-to-date bundles.
    quant_format: the _quant bundles' .tflite format (tflite.INT8 or
      tflite.UINT8).

  Returns:
    ReleaseResult (names built, skipped, missing; [(name, error)] failed;
    the manifest and table paths).

  Raises:
    errors.BadInputError: no root, or no checkpoint under it.
  """
  root = os.path.abspath(root)
  output_dir = os.path.abspath(output_dir)
  if not os.path.isdir(root):
    raise errors.BadInputError('--checkpoints_root does not exist: %s' % root)
  if names:
    unknown = sorted(set(names) - {v.name for v in variants.ALL_VARIANTS})
    if unknown:
      raise errors.BadInputError('not a published model name: %s' %
                                 ', '.join(unknown))
  if quant_format not in tflite.QUANTIZED_FORMATS:
    raise errors.BadInputError('--tflite_format must be one of %s, got %r' % (
        ', '.join(tflite.QUANTIZED_FORMATS), quant_format))
  found, missing = find_checkpoints(root, names, quant_format)
  if missing:
    logging.warning('no checkpoint for %d of %d models (not built): %s',
                    len(missing), len(found) + len(missing),
                    ', '.join(missing))
  if not found:
    raise errors.BadInputError(
        'no checkpoint under --checkpoints_root %s (expected one training '
        'directory per model, e.g. %s)' %
        (root, os.path.join(root, variants.ALL_VARIANTS[0].name)))
  paths.ensure_output_dir(output_dir, 'output_dir')
  with locks.DirectoryLock(output_dir, 'output_dir'):
    return _release(root, output_dir, found, missing, jobs, force)


def _release(root, output_dir, found, missing, jobs, force):
  """release() once the output directory is checked and locked."""
  previous = manifest.load_manifest(output_dir)
  entries = {}
  todo = []
  skipped = []
  for job in found:
    stamp = checkpoint_stamp(job.checkpoint, job.tflite_format)
    entry = previous.get(job.variant.name)
    if not force and manifest.is_up_to_date(output_dir, entry, stamp):
      entries[job.variant.name] = entry
      skipped.append(job.variant.name)
    else:
      todo.append(job._replace(stamp=stamp))
  # Bundles built earlier whose checkpoint is gone stay listed while their
  # archive is there unchanged.
  for name, entry in previous.items():
    if name in missing and manifest.archive_matches(output_dir, entry):
      entries[name] = entry
  if skipped:
    logging.info('up to date, skipped: %s', ', '.join(skipped))

  order = {v.name: i for i, v in enumerate(variants.ALL_VARIANTS)}
  all_metrics = {job.variant.name: read_metrics(
      os.path.join(root, job.variant.name), job.checkpoint) for job in found}

  def finished_entries():
    rows = []
    for name in sorted(entries, key=order.get):
      entry = dict(entries[name])
      # A bundle whose checkpoint is gone keeps the metrics recorded for it.
      record = (all_metrics[name]
                if name in all_metrics else entry.get('metrics'))
      entry['top1'] = record['top1'] if record else None
      entry['top5'] = record['top5'] if record else None
      entry['metrics'] = record
      rows.append(entry)
    return rows

  failed = []
  built = []
  jobs = jobs or os.cpu_count() or 1
  start = time.time()
  paths = manifest.write_outputs(output_dir, root, finished_entries(), missing,
                                 failed)
  if todo:
    logging.info('building %d bundle(s), %d at once', len(todo),
                 min(jobs, len(todo)))
    verbose_logs = logging.get_verbosity() >= 1  # --verbosity=1: all of it.
    # Spawned, not forked: TensorFlow is not fork-safe. A fresh process per
    # bundle keeps one export's graphs and memory from the next.
    with concurrent.futures.ProcessPoolExecutor(
        max_workers=min(jobs, len(todo)),
        mp_context=multiprocessing.get_context('spawn'),
        max_tasks_per_child=1, initializer=library_logs.quiet,
        initargs=(verbose_logs,)) as pool:
      futures = {pool.submit(export_job, job, output_dir): job for job in todo}
      pending = set(futures)
      cadence = progress.Cadence()
      done = 0
      while pending:
        finished, pending = concurrent.futures.wait(
            pending, timeout=_POLL_SECS,
            return_when=concurrent.futures.FIRST_COMPLETED)
        if not finished and cadence.due(done):
          logging.info('%d/%d bundles done, %d exporting, %.0f s', done,
                       len(todo), min(jobs, len(pending)),
                       time.time() - start)
        for future in finished:
          done += 1
          job = futures[future]
          name = job.variant.name
          result, error = future.result()
          if result is None:
            failed.append({'name': name, 'error': error})
            logging.error('[%d/%d] %s failed: %s', done, len(todo), name,
                          error)
          else:
            entries[name] = manifest.entry_from_result(result, job.stamp)
            built.append(name)
            elapsed = time.time() - start
            logging.info(
                '[%d/%d] %s built (%.1f MB); ETA %s', done, len(todo), name,
                result['archive_bytes'] / 1e6,
                progress.format_eta(elapsed / done * (len(todo) - done)))
          failed.sort(key=lambda f: order[f['name']])
          paths = manifest.write_outputs(output_dir, root, finished_entries(),
                                         missing, failed)
  return ReleaseResult(
      built=sorted(built, key=order.get), skipped=skipped, missing=missing,
      failed=[(f['name'], f['error']) for f in failed], manifest=paths[0],
      table=paths[1])
