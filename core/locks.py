"""One writer per output directory: an advisory lock that names its holder.

Two trainers on one --checkpoint_dir (or two main jobs on one output
directory) would both start from step 0 and lose each other's work. The
first takes `<directory>/.lock` (fcntl.flock, released by the kernel when its
process ends, however it ends) and writes who it is into it; a second is
refused in one line naming the holder. The lock file itself stays: deleting
it would let a third process lock a new file while the first still holds
the old one.
"""

import fcntl
import json
import os
import socket
import sys
import time

from core import errors

LOCK_FILENAME = '.lock'


def _holder():
  return {'pid': os.getpid(), 'host': socket.gethostname(),
          'command': ' '.join(os.path.basename(a) if i == 0 else a
                              for i, a in enumerate(sys.argv))[:200],
          'since': time.strftime('%Y-%m-%d %H:%M:%S', time.localtime())}


def _describe(text):
  try:
    holder = json.loads(text)
    return 'process %s on %s (%s) since %s' % (
        holder['pid'], holder['host'], holder['command'], holder['since'])
  except (ValueError, KeyError, TypeError):
    return 'another process'


class DirectoryLock(object):
  """Holds `<directory>/.lock` exclusively while the `with` block runs.

  Raises errors.BadInputError on entry when another process holds it (or
  the directory cannot be made or written).
  """

  def __init__(self, directory, flag_name):
    self._directory = directory
    self._flag_name = flag_name
    self._file = None

  def __enter__(self):
    path = os.path.join(self._directory, LOCK_FILENAME)
    try:
      os.makedirs(self._directory, exist_ok=True)
      lock_file = open(path, 'a+', encoding='utf-8')
    except OSError as e:
      raise errors.BadInputError('cannot write to --%s %s: %s' % (
          self._flag_name, self._directory, e.strerror or e)) from e
    try:
      fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
      lock_file.seek(0)
      holder = _describe(lock_file.read())
      lock_file.close()
      raise errors.BadInputError(
          '--%s %s is in use by %s: wait for it to finish or use another '
          'directory' % (self._flag_name, self._directory, holder)) from None
    lock_file.seek(0)
    lock_file.truncate()
    lock_file.write(json.dumps(_holder()))
    lock_file.flush()
    self._file = lock_file
    return self

  def __exit__(self, *unused_exc):
    if self._file is not None:
      self._file.seek(0)
      self._file.truncate()
      fcntl.flock(self._file, fcntl.LOCK_UN)
      self._file.close()
      self._file = None
