"""Latency of a .tflite model in the LiteRT interpreter (XNNPACK on CPU)."""

import os

import numpy as np

from export import litert
from tools.bench import timing


def all_threads():
  return os.cpu_count() or 1


class InvokeRunner(object):
  """One invoke on a fixed random input per step()."""

  def __init__(self, model, num_threads, seed=0):
    self.images_per_step = 1
    self._interpreter = litert.load(model, num_threads)
    detail, _ = litert.single_io(self._interpreter)
    images = np.random.RandomState(seed).uniform(-1, 1, detail['shape'])
    self._interpreter.set_tensor(detail['index'],
                                 litert.quantize_input(images, detail))

  def step(self):
    self._interpreter.invoke()


def median_ms(model, num_threads, warmup=10, invokes=50):
  """Median milliseconds of one invoke after `warmup` untimed ones."""
  result = timing.measure(InvokeRunner(model, num_threads), warmup, invokes)
  return 1000.0 * result.median_seconds


def figures(prefix, model, warmup=10, invokes=50):
  """{<prefix>_ms_1thread, <prefix>_ms_all_threads, <prefix>_bytes}: the
  latency and size figures every report of a .tflite uses."""
  result = {}
  for threads, suffix in ((1, '1thread'), (all_threads(), 'all_threads')):
    result['%s_ms_%s' % (prefix, suffix)] = round(
        median_ms(model, threads, warmup, invokes), 3)
  result['%s_bytes' % prefix] = len(model)
  return result
