"""Tests for atomic_file: whole files or none, and no temp files left."""

import errno
import json
import os
import stat
import subprocess
import sys
from unittest import mock

from absl.testing import absltest

from core import atomic_file
from core import owners


class AtomicFileTest(absltest.TestCase):

  def test_writes_replace_and_use_normal_permissions(self):
    path = os.path.join(self.create_tempdir().full_path, 'sub', 'out.json')
    atomic_file.write_json(path, {'b': 1, 'a': [1, 2]})
    atomic_file.write_json(path, {'c': 3})
    with open(path) as f:
      self.assertEqual(json.load(f), {'c': 3})
    old_mask = os.umask(0o022)
    try:
      atomic_file.write_text(path, 'x')
    finally:
      os.umask(old_mask)
    self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o644)
    self.assertEqual(os.listdir(os.path.dirname(path)), ['out.json'])

  def test_failure_keeps_the_old_file_and_leaves_no_temp_file(self):
    directory = self.create_tempdir().full_path
    path = os.path.join(directory, 'model.bin')
    atomic_file.write_bytes(path, b'old')
    with mock.patch.object(os, 'replace', side_effect=OSError('disk full')):
      with self.assertRaisesRegex(OSError, 'disk full'):
        atomic_file.write_bytes(path, b'new')
    with open(path, 'rb') as f:
      self.assertEqual(f.read(), b'old')
    self.assertEqual(os.listdir(directory), ['model.bin'])

  def test_temp_file_of_a_dead_process_is_removed_by_the_next_writer(self):
    directory = self.create_tempdir().full_path
    dead = subprocess.Popen([sys.executable, '-c', 'pass'])
    dead.wait()
    stale = os.path.join(directory, '.m.tgz.%s.%d.abc123.tmp' % (
        owners.HOST, dead.pid))
    live = os.path.join(directory, '.m.tgz.%s.%d.def456.tmp' % (
        owners.HOST, os.getpid()))
    other = os.path.join(directory, '.notes.tmp')
    for path in (stale, live, other):
      open(path, 'wb').close()
    atomic_file.write_text(os.path.join(directory, 'out.txt'), 'x')
    self.assertCountEqual(os.listdir(directory),
                          ['out.txt', os.path.basename(live), '.notes.tmp'])

  def test_move_file_across_filesystems_copies_then_renames(self):
    directory = self.create_tempdir().full_path
    source = os.path.join(directory, 'staged.bin')
    target = os.path.join(directory, 'out', 'final.bin')
    os.makedirs(os.path.dirname(target))
    atomic_file.write_bytes(source, b'payload')
    real_replace = os.replace
    calls = []

    def cross_device_once(src, dst):
      calls.append((src, dst))
      if len(calls) == 1:
        raise OSError(errno.EXDEV, 'Invalid cross-device link')
      return real_replace(src, dst)

    with mock.patch.object(os, 'replace', side_effect=cross_device_once):
      atomic_file.move_file(source, target)
    with open(target, 'rb') as f:
      self.assertEqual(f.read(), b'payload')
    self.assertFalse(os.path.exists(source))
    self.assertEqual(os.listdir(os.path.dirname(target)), ['final.bin'])
    self.assertEqual(len(calls), 2)  # The copy went in by a rename.


if __name__ == '__main__':
  absltest.main()
