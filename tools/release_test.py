"""The release script: builds, skips up-to-date bundles, names missing ones."""

import json
import os
import shutil
import tempfile

from absl.testing import absltest

from core import errors
from core import locks
from core import scripts
from export import bundle
from export import info
from export import release
from export import test_checkpoints

FLOAT = 'mobilenet_v1_0.25_128'
QUANT = 'mobilenet_v1_0.25_128_quant'


def _new_dir(prefix):
  return tempfile.mkdtemp(prefix=prefix, dir=absltest.get_default_test_tmpdir())


def _run_release(*args):
  return scripts.run_script('tools/release.py', args, 600)


def _write_metrics(train_dir, global_step, accuracy):
  os.makedirs(os.path.join(train_dir, 'eval'), exist_ok=True)
  with open(os.path.join(train_dir, 'eval', 'metrics.json'), 'w') as f:
    json.dump({'accuracy': accuracy, 'recall_5': 0.9, 'num_examples': 360,
               'global_step': global_step, 'checkpoint': 'x'}, f)


class ReleaseTest(absltest.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.float_checkpoint, cls.quant_checkpoint = (
        test_checkpoints.float_and_quant(_new_dir('checkpoints.')))

  def test_release_builds_skips_and_names_missing(self):
    root = _new_dir('root.')
    out = os.path.join(_new_dir('out.'), 'release')
    float_dir = os.path.join(root, FLOAT)
    shutil.copytree(os.path.dirname(self.float_checkpoint), float_dir)
    shutil.copytree(os.path.dirname(self.quant_checkpoint),
                    os.path.join(root, QUANT))
    _write_metrics(float_dir, 3, 0.25)                    # This checkpoint's.
    _write_metrics(os.path.join(root, QUANT), 99, 0.5)    # Another step's.

    # First run, through the binary: both built, 30 named as missing.
    process = _run_release('--checkpoints_root=' + root, '--output_dir=' + out)
    self.assertEqual(process.returncode, 0, process.stderr[-2000:])
    # The export workers are as quiet as the binary: no library notices.
    self.assertNotRegex(process.stderr,
                        r'deprecat|WARNING:tensorflow|lite\.py:\d+\]')
    self.assertIn('built 2, up to date 0, no checkpoint 30, failed 0',
                  process.stdout)
    missing_line = [l for l in process.stdout.splitlines()
                    if l.startswith('no checkpoint (not built): ')]
    self.assertLen(missing_line, 1)
    self.assertIn('mobilenet_v1_1.0_224, ', missing_line[0])
    self.assertIn('mobilenet_v1_0.25_224_quant', missing_line[0])
    self.assertNotIn(FLOAT + ',', missing_line[0])
    # The release's lock (core/locks.py) stays; nothing else is there.
    self.assertCountEqual(os.listdir(out), [
        FLOAT + '.tgz', QUANT + '.tgz', 'manifest.json', 'models_table.md',
        locks.LOCK_FILENAME])
    with open(os.path.join(out, 'manifest.json')) as f:
      manifest = json.load(f)
    self.assertLen(manifest['missing'], 30)
    self.assertEqual(manifest['failed'], [])
    entries = {e['name']: e for e in manifest['bundles']}
    self.assertEqual([e['name'] for e in manifest['bundles']], [FLOAT, QUANT])
    for name, entry in entries.items():
      path = os.path.join(out, name + '.tgz')
      self.assertEqual(entry['archive'], name + '.tgz')
      self.assertEqual(entry['sha256'], bundle.sha256_of(path))
      self.assertEqual(entry['archive_bytes'], os.path.getsize(path))
      self.assertGreater(entry['tflite_bytes'], 100000)
      self.assertGreater(entry['macs'], 1e6)
      self.assertEqual(entry['params'], entries[FLOAT]['params'])
    self.assertEqual(entries[FLOAT]['top1'], 0.25)
    self.assertEqual(entries[FLOAT]['top5'], 0.9)
    self.assertIsNone(entries[QUANT]['top1'])  # Its metrics are stale.
    self.assertLess(entries[QUANT]['tflite_bytes'],
                    entries[FLOAT]['tflite_bytes'] * 0.35)
    self.assertEqual(entries[FLOAT]['tflite_format'], 'float')
    self.assertEqual(entries[QUANT]['tflite_format'], 'int8')
    with open(os.path.join(out, 'models_table.md')) as f:
      table = f.read()
    self.assertIn('| Model | Million MACs | Million Parameters | Top-1 Accuracy'
                  ' | Top-5 Accuracy |', table)
    self.assertIn('| [%s](%s.tgz) | %.1f | %.2f | 25.0 | 90.0 |' % (
        FLOAT, FLOAT, entries[FLOAT]['macs'] / 1e6,
        entries[FLOAT]['params'] / 1e6), table)
    self.assertIn('| [%s](%s.tgz) | ' % (QUANT, QUANT), table)
    self.assertIn('| – | – |', table)
    self.assertIn(' | int8 |', table)

    # Second run: nothing changed, nothing rebuilt.
    mtimes = {n: os.stat(os.path.join(out, n + '.tgz')).st_mtime_ns
              for n in (FLOAT, QUANT)}
    result = release.release(root, out)
    self.assertEqual(result.built, [])
    self.assertEqual(result.skipped, [FLOAT, QUANT])
    self.assertLen(result.missing, 30)
    for name, mtime in mtimes.items():
      self.assertEqual(os.stat(os.path.join(out, name + '.tgz')).st_mtime_ns,
                       mtime)

    # The float checkpoint moved away: its bundle stays listed, with the
    # accuracy recorded for it.
    os.rename(float_dir, float_dir + '.away')
    result = release.release(root, out)
    self.assertIn(FLOAT, result.missing)
    with open(os.path.join(out, 'manifest.json')) as f:
      entries = {e['name']: e for e in json.load(f)['bundles']}
    self.assertEqual(entries[FLOAT]['top1'], 0.25)
    os.rename(float_dir + '.away', float_dir)

    # Training on (a newer checkpoint) makes the float bundle out of date;
    # its metrics.json, now for an older step, is no longer used.
    newer = test_checkpoints.train(float_dir, steps=1, seed=2,
                                   init_from=self.float_checkpoint,
                                   restore_step=True)
    self.assertEqual(os.path.basename(newer), 'model.ckpt-4')
    result = release.release(root, out)
    self.assertEqual(result.built, [FLOAT])
    self.assertEqual(result.skipped, [QUANT])
    with open(os.path.join(out, 'manifest.json')) as f:
      entries = {e['name']: e for e in json.load(f)['bundles']}
    self.assertIsNone(entries[FLOAT]['top1'])
    self.assertEqual(entries[FLOAT]['sha256'],
                     bundle.sha256_of(os.path.join(out, FLOAT + '.tgz')))
    self.assertNotEqual(
        os.stat(os.path.join(out, FLOAT + '.tgz')).st_mtime_ns, mtimes[FLOAT])

    # Another .tflite format for the _quant bundles rebuilds those only.
    result = release.release(root, out, quant_format='uint8')
    self.assertEqual(result.built, [QUANT])
    self.assertEqual(result.skipped, [FLOAT])
    with open(os.path.join(out, 'manifest.json')) as f:
      entries = {e['name']: e for e in json.load(f)['bundles']}
    self.assertEqual(entries[QUANT]['tflite_format'], 'uint8')
    self.assertEqual(entries[FLOAT]['tflite_format'], 'float')
    with bundle.opened(os.path.join(out, QUANT + '.tgz')) as (directory, name):
      self.assertEqual(info.read_bundle_info(directory, name).tflite_format,
                       'uint8')
    with self.assertRaisesRegex(errors.BadInputError, '--tflite_format'):
      release.release(root, out, quant_format='float')

  def test_failed_bundle_is_reported(self):
    root = _new_dir('bad_root.')
    # A float checkpoint where a quantized model is expected.
    shutil.copytree(os.path.dirname(self.float_checkpoint),
                    os.path.join(root, 'mobilenet_v1_0.25_160_quant'))
    out = _new_dir('bad_out.')
    process = _run_release('--checkpoints_root=' + root, '--output_dir=' + out)
    self.assertEqual(process.returncode, 3, process.stderr[-2000:])
    last = process.stderr.strip().splitlines()[-1]
    self.assertRegex(last, r'^error: 1 bundle\(s\) failed: '
                     r'mobilenet_v1_0.25_160_quant: --quantize needs a '
                     r'checkpoint trained with --quantize')
    self.assertCountEqual(os.listdir(out), ['manifest.json', 'models_table.md',
                                            locks.LOCK_FILENAME])
    with open(os.path.join(out, 'manifest.json')) as f:
      manifest = json.load(f)
    self.assertEqual(manifest['bundles'], [])
    self.assertEqual([f['name'] for f in manifest['failed']],
                     ['mobilenet_v1_0.25_160_quant'])

  def test_bad_roots_are_one_line_errors(self):
    process = _run_release('--checkpoints_root=/nonexistent/root',
                           '--output_dir=' + _new_dir('x.'))
    self.assertEqual(process.returncode, 2)
    self.assertEqual(process.stderr.strip().splitlines()[-1],
                     'error: --checkpoints_root does not exist: '
                     '/nonexistent/root')
    empty = _new_dir('empty.')
    with self.assertRaisesRegex(ValueError, 'no checkpoint under '
                                '--checkpoints_root'):
      release.release(empty, _new_dir('y.'))
    with self.assertRaisesRegex(ValueError, 'not a published model name'):
      release.release(empty, _new_dir('z.'), names=['mobilenet_v1_2.0_224'])


if __name__ == '__main__':
  absltest.main()
