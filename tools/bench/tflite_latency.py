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
    rng = np.random.RandomState(seed)
    dtype = detail['dtype']
    if dtype == np.uint8:
      data = rng.randint(0, 256, detail['shape'])
    elif dtype == np.int8:
      data = rng.randint(-128, 128, detail['shape'])
    else:
      data = rng.uniform(-1, 1, detail['shape'])
    self._interpreter.set_tensor(detail['index'], data.astype(dtype))

  def step(self):
    self._interpreter.invoke()


def median_ms(model, num_threads, warmup=10, invokes=50):
  """Median milliseconds of one invoke after `warmup` untimed ones."""
  result = timing.measure(InvokeRunner(model, num_threads), warmup, invokes)
  return 1000.0 * result.median_seconds
