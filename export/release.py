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

Output, in OUT:
  <model>.tgz             the bundles (export/bundle.py);
  manifest.json           per bundle: name, sha256, archive and .tflite
                          sizes, MACs, parameters, top-1/top-5, the
                          checkpoint and its stamp; the variants without a
                          checkpoint; the failures. Rewritten atomically
                          after every finished bundle, so an interrupted
                          release keeps what it finished;
  models_table.md         the README's model table, from the manifest.

Up to date: a bundle is skipped when the manifest has an entry for it whose
checkpoint stamp equals the checkpoint's now (its path, the sha256 of its
.index and .data files, the bundle format version) and whose archive is in
OUT with the recorded sha256. Any other case (new checkpoint, retrained,
archive missing or changed, older bundle format) rebuilds it.

Bundles are exported in subprocesses (the export_bundle binary, one
TensorFlow thread per pool each), as many at once as --jobs (default: the
number of cores).
"""

import collections
import concurrent.futures
import glob
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import time

from absl import logging

import atomic_file
import checkpoint_compat
import cli
import variants
from export import bundle

MANIFEST_FILENAME = 'manifest.json'
TABLE_FILENAME = 'models_table.md'
MANIFEST_FORMAT = 1
# Where mobilenet_v1_eval's metrics.json is looked for, in a training dir.
METRICS_PATHS = (os.path.join('eval', 'metrics.json'), 'metrics.json')
EXPORT_SCRIPT = 'tools/export_bundle.py'

Job = collections.namedtuple('Job', ['variant', 'checkpoint', 'stamp'])
ReleaseResult = collections.namedtuple('ReleaseResult', [
    'built', 'skipped', 'missing', 'failed', 'manifest', 'table'])


def checkpoint_stamp(checkpoint_path):
  """What a bundle was made from: path, content hash of the checkpoint."""
  digest = hashlib.sha256()
  files = sorted(glob.glob(glob.escape(checkpoint_path) + '.data-*') +
                 [checkpoint_path + '.index'])
  for path in files:
    digest.update(os.path.basename(path).encode('utf-8') + b'\0')
    bundle.update_digest(digest, path)
  return {'checkpoint': os.path.abspath(checkpoint_path),
          'sha256': digest.hexdigest(),
          'bundle_format': bundle.FORMAT_VERSION}


def find_checkpoints(root, names=None):
  """([Job] with a checkpoint, [names without one]) in variants order."""
  jobs, missing = [], []
  for variant in variants.ALL_VARIANTS:
    if names and variant.name not in names:
      continue
    path = checkpoint_compat.latest_checkpoint(os.path.join(root,
                                                            variant.name))
    if path:
      jobs.append(Job(variant, path, None))
    else:
      missing.append(variant.name)
  return jobs, missing


def read_metrics(train_dir, checkpoint_path):
  """{'top1', 'top5', 'num_examples', 'metrics'} or None (see module doc)."""
  step = checkpoint_compat.checkpoint_global_step(checkpoint_path)
  for relative in METRICS_PATHS:
    path = os.path.join(train_dir, relative)
    if not os.path.isfile(path):
      continue
    try:
      with open(path, encoding='utf-8') as f:
        metrics = json.load(f)
      top1, top5 = float(metrics['accuracy']), float(metrics['recall_5'])
    except (OSError, ValueError, KeyError, TypeError) as e:
      logging.warning('%s is not a mobilenet_v1_eval metrics.json (%s): '
                      'not used', path, e)
      return None
    evaluated = metrics.get('global_step')
    same = (evaluated == step if evaluated is not None and step is not None
            else os.path.basename(str(metrics.get('checkpoint'))) ==
            os.path.basename(checkpoint_path))
    if not same:
      logging.warning('%s is for step %s, the exported checkpoint is step '
                      '%s: not used (evaluate the checkpoint again)', path,
                      evaluated, step)
      return None
    return {'top1': top1, 'top5': top5,
            'num_examples': metrics.get('num_examples'), 'metrics': path}
  return None


def load_manifest(output_dir):
  path = os.path.join(output_dir, MANIFEST_FILENAME)
  if not os.path.isfile(path):
    return {}
  try:
    with open(path, encoding='utf-8') as f:
      manifest = json.load(f)
    if manifest.get('format') != MANIFEST_FORMAT:
      raise ValueError('format %r' % manifest.get('format'))
    return {entry['name']: entry for entry in manifest['bundles']}
  except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
    logging.warning('%s is unreadable (%s): every bundle is rebuilt', path, e)
    return {}


def archive_matches(output_dir, entry):
  path = os.path.join(output_dir, entry.get('archive', ''))
  return (bool(entry.get('archive')) and os.path.isfile(path) and
          os.path.getsize(path) == entry.get('archive_bytes') and
          bundle.sha256_of(path) == entry.get('sha256'))


def is_up_to_date(output_dir, entry, stamp):
  return bool(entry) and entry.get('stamp') == stamp and archive_matches(
      output_dir, entry)


def entry_from_result(result, stamp):
  """A manifest entry from export_bundle's result JSON."""
  return {
      'name': result['name'],
      'archive': os.path.basename(result['archive']),
      'sha256': result['sha256'],
      'archive_bytes': result['archive_bytes'],
      'tflite_bytes': result['tflite_bytes'],
      'num_classes': result['num_classes'],
      'quantized': result['quantized'],
      'macs': result['macs'],
      'params': result['params'],
      'million_macs': round(result['macs'] / 1e6, 1),
      'million_params': round(result['params'] / 1e6, 2),
      'global_step': result['global_step'],
      'checkpoint': result['checkpoint'],
      'parity': result['parity'],
      'uint8_size_ratio': result['uint8_size_ratio'],
      'stamp': stamp,
  }


def _percent(value):
  return '%.1f' % (100 * value) if value is not None else '–'


def models_table(entries):
  """The README's model table (Markdown) for manifest entries."""
  lines = [
      '| Model | Million MACs | Million Parameters | Top-1 Accuracy | '
      'Top-5 Accuracy | .tgz MB | .tflite MB |',
      '|---|---:|---:|---:|---:|---:|---:|',
  ]
  for entry in entries:
    lines.append('| [%s](%s) | %.1f | %.2f | %s | %s | %.1f | %.2f |' % (
        entry['name'], entry['archive'], entry['macs'] / 1e6,
        entry['params'] / 1e6, _percent(entry.get('top1')),
        _percent(entry.get('top5')), entry['archive_bytes'] / 1e6,
        entry['tflite_bytes'] / 1e6))
  return '\n'.join(lines) + '\n'


def _table_text(entries, missing):
  text = ['MobileNet v1 bundles: MACs and parameters measured from the '
          'graphs (tools/graph_stats); top-1 / top-5 from mobilenet_v1_eval\'s '
          'metrics.json beside each checkpoint (– where there is none).', '',
          models_table(entries)]
  if missing:
    text.append('\nNo checkpoint (not built): %s\n' % ', '.join(missing))
  return '\n'.join(text)


def write_outputs(output_dir, root, entries, missing, failed):
  """manifest.json and models_table.md, each written atomically."""
  manifest = {
      'format': MANIFEST_FORMAT,
      'checkpoints_root': os.path.abspath(root),
      'updated': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()),
      'bundles': entries,
      'missing': missing,
      'failed': failed,
  }
  manifest_path = os.path.join(output_dir, MANIFEST_FILENAME)
  table_path = os.path.join(output_dir, TABLE_FILENAME)
  atomic_file.write_json(manifest_path, manifest)
  atomic_file.write_text(table_path, _table_text(entries, missing))
  return manifest_path, table_path


def export_command(job, output_dir, result_json):
  variant = job.variant
  return cli.script_command(EXPORT_SCRIPT) + [
      '--checkpoint=' + job.checkpoint,
      '--depth_multiplier=%s' % variant.depth_multiplier,
      '--image_size=%d' % variant.image_size,
      '--quantize=%s' % variant.quantize,
      '--output_dir=' + output_dir,
      '--num_threads=1',
      '--result_json=' + result_json]


def _run_export(job, output_dir, scratch):
  """Exports one bundle in a subprocess: (job, result dict or None, error)."""
  result_json = os.path.join(scratch, job.variant.name + '.json')
  start = time.time()
  process = subprocess.run(export_command(job, output_dir, result_json),
                           env=cli.script_env(), capture_output=True, text=True,
                           check=False)
  if process.returncode == 0 and os.path.isfile(result_json):
    with open(result_json, encoding='utf-8') as f:
      return job, json.load(f), None, time.time() - start
  lines = [l for l in process.stderr.splitlines() if l.strip()]
  errors = [l for l in lines if l.startswith('error: ')]
  if errors:
    error = errors[-1][len('error: '):]
  else:
    error = 'export_bundle exited with status %d: %s' % (
        process.returncode, lines[-1][:300] if lines else 'no output')
  return job, None, error, time.time() - start


def release(root, output_dir, jobs=None, names=None, force=False):
  """Builds the bundles of every checkpoint under root into output_dir.

  Args:
    root: the checkpoints root (see the module doc).
    output_dir: where bundles, manifest.json and models_table.md go.
    jobs: exports at once; None: os.cpu_count().
    names: only these model names (None: all 32).
    force: rebuild even up-to-date bundles.

  Returns:
    ReleaseResult (names built, skipped, missing; [(name, error)] failed;
    the manifest and table paths).

  Raises:
    cli.BadInputError: no root, or no checkpoint under it.
  """
  root = os.path.abspath(root)
  output_dir = os.path.abspath(output_dir)
  if not os.path.isdir(root):
    raise cli.BadInputError('--checkpoints_root does not exist: %s' % root)
  if names:
    unknown = sorted(set(names) - {v.name for v in variants.ALL_VARIANTS})
    if unknown:
      raise cli.BadInputError('not a published model name: %s' %
                              ', '.join(unknown))
  found, missing = find_checkpoints(root, names)
  if missing:
    logging.warning('no checkpoint for %d of %d models (not built): %s',
                    len(missing), len(found) + len(missing),
                    ', '.join(missing))
  if not found:
    raise cli.BadInputError(
        'no checkpoint under --checkpoints_root %s (expected one training '
        'directory per model, e.g. %s)' % (
            root, os.path.join(root, variants.ALL_VARIANTS[0].name)))
  os.makedirs(output_dir, exist_ok=True)
  previous = load_manifest(output_dir)
  entries = {}
  todo = []
  skipped = []
  for job in found:
    stamp = checkpoint_stamp(job.checkpoint)
    entry = previous.get(job.variant.name)
    if not force and is_up_to_date(output_dir, entry, stamp):
      entries[job.variant.name] = entry
      skipped.append(job.variant.name)
    else:
      todo.append(job._replace(stamp=stamp))
  # Bundles built earlier whose checkpoint is gone stay listed while their
  # archive is there unchanged.
  for name, entry in previous.items():
    if name in missing and archive_matches(output_dir, entry):
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
      metrics = (all_metrics[name] if name in all_metrics
                 else entry.get('metrics'))
      entry['top1'] = metrics['top1'] if metrics else None
      entry['top5'] = metrics['top5'] if metrics else None
      entry['metrics'] = metrics
      rows.append(entry)
    return rows

  failed = []
  built = []
  jobs = jobs or os.cpu_count() or 1
  start = time.time()
  paths = write_outputs(output_dir, root, finished_entries(), missing, failed)
  if todo:
    logging.info('building %d bundle(s), %d at once', len(todo),
                 min(jobs, len(todo)))
    scratch = tempfile.mkdtemp(prefix='release.')
    try:
      with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(_run_export, job, output_dir, scratch)
                   for job in todo]
        for done, future in enumerate(
            concurrent.futures.as_completed(futures), 1):
          job, result, error, seconds = future.result()
          name = job.variant.name
          if result is None:
            failed.append({'name': name, 'error': error})
            logging.error('[%d/%d] %s failed: %s', done, len(todo), name,
                          error)
          else:
            entries[name] = entry_from_result(result, job.stamp)
            built.append(name)
            elapsed = time.time() - start
            logging.info('[%d/%d] %s built in %.0f s (%.1f MB); ETA %.0f s',
                         done, len(todo), name, seconds,
                         result['archive_bytes'] / 1e6,
                         elapsed / done * (len(todo) - done))
          failed.sort(key=lambda f: order[f['name']])
          paths = write_outputs(output_dir, root, finished_entries(), missing,
                                failed)
    finally:
      shutil.rmtree(scratch, ignore_errors=True)
  return ReleaseResult(
      built=sorted(built, key=order.get), skipped=skipped, missing=missing,
      failed=[(f['name'], f['error']) for f in failed], manifest=paths[0],
      table=paths[1])
