"""Writes files so that readers see the old content or the new, never half.

Every output a long job leaves behind (metrics, manifests, graphs, models,
dataset metadata, reports) goes through here: the data is written to a
temporary file in the target's directory, then renamed over the target
(atomic on one filesystem). The file gets the usual permissions (0666 minus
the umask), not mkstemp's private 0600. No TensorFlow import: cheap to use
from any tool.
"""

import json
import os
import tempfile


def _read_umask():
  # os.umask can only be read by setting it: done once, at import, so no
  # write changes the process's umask while other threads create files.
  mask = os.umask(0)
  os.umask(mask)
  return mask


_UMASK = _read_umask()


def write_bytes(path, data):
  """Writes `data` (bytes) to `path` atomically; returns `path`."""
  directory = os.path.dirname(os.path.abspath(path))
  os.makedirs(directory, exist_ok=True)
  fd, temp_path = tempfile.mkstemp(
      prefix='.%s.' % os.path.basename(path), suffix='.tmp', dir=directory)
  try:
    with os.fdopen(fd, 'wb') as f:
      f.write(data)
    os.chmod(temp_path, 0o666 & ~_UMASK)
    os.replace(temp_path, path)
  except BaseException:
    if os.path.exists(temp_path):
      os.remove(temp_path)
    raise
  return path


def write_text(path, text):
  """Writes `text` (UTF-8) to `path` atomically; returns `path`."""
  return write_bytes(path, text.encode('utf-8'))


def write_json(path, obj):
  """Writes `obj` as indented, key-sorted JSON to `path` atomically."""
  return write_text(path, json.dumps(obj, indent=2, sort_keys=True) + '\n')
