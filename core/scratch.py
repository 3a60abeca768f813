"""Private scratch directories under $TMPDIR that no job leaves behind.

Jobs stage work in a scratch directory (an export writes the whole bundle
there before one rename moves the archive out). It is removed when the job
ends, however it ends short of SIGKILL (core.app turns SIGTERM into the same
exception as Ctrl-C, so `finally` runs); one left by a killed process is
removed by the next job that makes a scratch directory of the same kind.
"""

import contextlib
import os
import shutil
import tempfile

from core import owners


def _remove_left_over(root, kind):
  try:
    entries = os.listdir(root)
  except OSError:
    return
  for entry in entries:
    parts = entry.split('.')
    # <kind>.<host>.<pid>.<random>
    if len(parts) != 4 or parts[0] != kind:
      continue
    if owners.is_left_over(parts[1], parts[2]):
      shutil.rmtree(os.path.join(root, entry), ignore_errors=True)


@contextlib.contextmanager
def scratch_dir(kind):
  """Yields a new directory `$TMPDIR/<kind>.<host>.<pid>.<random>`, removed
  afterwards; `kind` names the job (no dots)."""
  root = tempfile.gettempdir()
  _remove_left_over(root, kind)
  path = tempfile.mkdtemp(prefix='%s.%s.' % (kind, owners.tag()), dir=root)
  try:
    yield path
  finally:
    shutil.rmtree(path, ignore_errors=True)
