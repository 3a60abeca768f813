"""Writes files so that readers see the old content or the new, never half.

Every output a long job leaves behind (checkpoints' companions, metrics,
manifests, graphs, models, shards, dataset metadata, reports) goes through
here: the data is written to a temporary file in the target's directory,
`.<target name>.<host>.<pid>.<random>.tmp`, then renamed over the target
(atomic within one filesystem; a file from another filesystem is copied in
first). The file gets the usual permissions (0666 minus the umask), not
mkstemp's private 0600. A temporary file whose process is gone (a killed
job) is removed by the next writer in that directory. No TensorFlow import:
cheap to use from any tool.
"""

import contextlib
import errno
import json
import os
import shutil
import tempfile

from core import owners

_SUFFIX = '.tmp'


def _read_umask():
  # os.umask can only be read by setting it: done once, at import, so no
  # write changes the process's umask while other threads create files.
  mask = os.umask(0)
  os.umask(mask)
  return mask


_UMASK = _read_umask()


def remove_stale_temps(directory):
  """Removes this host's temporary files in `directory` whose process is gone."""
  try:
    entries = os.listdir(directory)
  except OSError:
    return
  for entry in entries:
    if not (entry.startswith('.') and entry.endswith(_SUFFIX)):
      continue
    parts = entry[:-len(_SUFFIX)].rsplit('.', 3)
    if len(parts) != 4 or not owners.is_left_over(parts[1], parts[2]):
      continue
    try:
      os.remove(os.path.join(directory, entry))
    except OSError:
      pass


@contextlib.contextmanager
def replacing(path):
  """Yields a temporary path beside `path` to write; on success it becomes
  `path` in one rename, on failure it is removed."""
  directory = os.path.dirname(os.path.abspath(path))
  os.makedirs(directory, exist_ok=True)
  remove_stale_temps(directory)
  fd, temp_path = tempfile.mkstemp(
      prefix='.%s.%s.' % (os.path.basename(path), owners.tag()),
      suffix=_SUFFIX, dir=directory)
  os.close(fd)
  try:
    yield temp_path
    os.chmod(temp_path, 0o666 & ~_UMASK)
    os.replace(temp_path, path)
  except BaseException:
    if os.path.exists(temp_path):
      os.remove(temp_path)
    raise


def write_bytes(path, data):
  """Writes `data` (bytes) to `path` atomically; returns `path`."""
  with replacing(path) as temp_path:
    with open(temp_path, 'wb') as f:
      f.write(data)
  return path


def write_text(path, text):
  """Writes `text` (UTF-8) to `path` atomically; returns `path`."""
  return write_bytes(path, text.encode('utf-8'))


def write_json(path, obj):
  """Writes `obj` as indented, key-sorted JSON to `path` atomically."""
  return write_text(path, json.dumps(obj, indent=2, sort_keys=True) + '\n')


def move_file(source, target):
  """Moves a finished file to `target` atomically, across filesystems too."""
  try:
    os.replace(source, target)
    return target
  except OSError as e:
    if e.errno != errno.EXDEV:
      raise
  with replacing(target) as temp_path:
    with open(source, 'rb') as src, open(temp_path, 'wb') as dst:
      shutil.copyfileobj(src, dst, 1 << 20)
      dst.flush()
      os.fsync(dst.fileno())
  os.remove(source)
  return target
