"""When and how long jobs say how far they are.

Every long job (training, eval, the converters, the release) logs a first
progress line soon after its work starts and then at least once a minute,
whatever its own cadence, so a slow machine never looks hung. `Cadence`
decides when a line is due; `Progress` is the whole line for loops that count
items (`done/total  rate  ETA`).
"""

import datetime
import time

from absl import logging

# The first line comes this soon after the work starts...
FIRST_LINE_SECS = 20.0
# ...and no two lines are further apart than this.
MAX_INTERVAL_SECS = 60.0


def format_eta(seconds):
  """1234.5 -> '0:20:34'; unknown -> '?'."""
  if seconds is None or seconds != seconds or seconds < 0:
    return '?'
  return str(datetime.timedelta(seconds=int(round(seconds))))


class Cadence(object):
  """Says when a progress line is due.

  Due every `every_n` counts when given, and in any case once FIRST_LINE_SECS
  have passed since start() without a line, and whenever MAX_INTERVAL_SECS
  have passed since the last one.
  """

  def __init__(self, every_n=None, first_secs=FIRST_LINE_SECS,
               max_interval_secs=MAX_INTERVAL_SECS, clock=time.time):
    self._every_n = every_n
    self._first_secs = first_secs
    self._max_interval_secs = max_interval_secs
    self._clock = clock
    self.start()

  def start(self):
    self._last = self._clock()
    self._logged_once = False

  def due(self, count):
    """Whether a line is due after `count` items (steps, images...)."""
    now = self._clock()
    waited = now - self._last
    limit = (self._max_interval_secs if self._logged_once
             else self._first_secs)
    by_count = bool(self._every_n) and count % self._every_n == 0
    if by_count or waited >= limit:
      self._last = now
      self._logged_once = True
      return True
    return False


class Progress(object):
  """Logs `<label>: done/total <unit>, rate <unit>/s, ETA` as a loop advances.

  update(done) may be called as often as wanted; it logs only when the
  Cadence says so (and never for the last item: the job's own summary says
  that).
  """

  def __init__(self, label, total=None, unit='images', every_n=None,
               clock=time.time):
    self._label = label
    self._total = total
    self._unit = unit
    self._clock = clock
    self._start = clock()
    self._cadence = Cadence(every_n, clock=clock)

  def update(self, done):
    if self._total is not None and done >= self._total:
      return
    if not self._cadence.due(done):
      return
    elapsed = max(self._clock() - self._start, 1e-9)
    rate = done / elapsed
    if self._total:
      eta = (self._total - done) / rate if rate else None
      logging.info('%s: %d/%d %s, %.1f %s/s, ETA %s', self._label, done,
                   self._total, self._unit, rate, self._unit,
                   format_eta(eta))
    else:
      logging.info('%s: %d %s, %.1f %s/s', self._label, done, self._unit,
                   rate, self._unit)
