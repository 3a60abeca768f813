"""The release's record: manifest.json and the model table, read and written.

manifest.json lists per bundle its name, archive, sha256, archive and .tflite
bytes, the .tflite's format (export/tflite.FORMATS), MACs, parameters, classes, global step, the checks' results, top-1 /
top-5, the checkpoint and its stamp; the models without a checkpoint; the
failures. models_table.md is the original README's model table made from it. Both are
rewritten atomically after every finished bundle.
"""

import json
import os
import time

from absl import logging

from core import atomic_file
from export import bundle

MANIFEST_FILENAME = 'manifest.json'
TABLE_FILENAME = 'models_table.md'
# 2: entries record tflite_format; quant_size_ratio was uint8_size_ratio.
MANIFEST_FORMAT = 2


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
      'tflite_format': result['tflite_format'],
      'num_classes': result['num_classes'],
      'quantized': result['quantized'],
      'macs': result['macs'],
      'params': result['params'],
      'million_macs': round(result['macs'] / 1e6, 1),
      'million_params': round(result['params'] / 1e6, 2),
      'global_step': result['global_step'],
      'checkpoint': result['checkpoint'],
      'parity': result['parity'],
      'quant_size_ratio': result['quant_size_ratio'],
      'stamp': stamp,
  }


def _percent(value):
  return '%.1f' % (100 * value) if value is not None else '–'


def models_table(entries):
  """The README's model table (Markdown) for manifest entries."""
  lines = [
      '| Model | Million MACs | Million Parameters | Top-1 Accuracy | '
      'Top-5 Accuracy | .tgz MB | .tflite MB | .tflite format |',
      '|---|---:|---:|---:|---:|---:|---:|---|',
  ]
  for entry in entries:
    lines.append('| [%s](%s) | %.1f | %.2f | %s | %s | %.1f | %.2f | %s |' % (
        entry['name'], entry['archive'], entry['macs'] / 1e6,
        entry['params'] / 1e6, _percent(entry.get('top1')),
        _percent(entry.get('top5')), entry['archive_bytes'] / 1e6,
        entry['tflite_bytes'] / 1e6, entry.get('tflite_format', '–')))
  return '\n'.join(lines) + '\n'


def _table_text(entries, missing):
  text = ['MobileNet v1 bundles: MACs and parameters measured from the '
          'graphs (model/graph_stats); top-1 / top-5 from mobilenet_v1_eval\'s '
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
