"""Which process a temporary file or directory belongs to, and whether it is gone.

Temporary files and scratch directories carry `<host>.<pid>` in their names
(core.atomic_file, core.scratch), so a later job can tell the leftovers of a
killed process (same host, process gone) from the work of one still running,
and remove only the former.
"""

import os
import socket

HOST = socket.gethostname().replace('.', '_') or 'host'


def tag():
  """'<host>.<pid>' of this process, for temporary names."""
  return '%s.%d' % (HOST, os.getpid())


def is_alive(pid):
  """Whether process `pid` exists (on this host)."""
  try:
    os.kill(pid, 0)
  except ProcessLookupError:
    return False
  except PermissionError:
    return True  # Someone else's live process.
  return True


def is_left_over(host, pid):
  """Whether a temporary name's owner (host, pid text) is a gone process here."""
  return host == HOST and pid.isdigit() and not is_alive(int(pid))
