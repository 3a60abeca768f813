"""Tests for atomic_file."""

import json
import os
import stat
from unittest import mock

from absl.testing import absltest

import atomic_file


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


if __name__ == '__main__':
  absltest.main()
