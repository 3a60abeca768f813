"""Latency of .tflite models in the LiteRT interpreter (XNNPACK on CPU).

Models compared with each other are timed interleaved (timing.py), so a
change of machine load during the run hits all of them alike.
"""

import os

import numpy as np

from export import litert
from tools.bench import timing

# Rounds the invokes of models compared with each other are split over.
ROUNDS = 5


def all_threads():
  return os.cpu_count() or 1


class InvokeRunner(object):
  """One invoke on a fixed random input per step().

  reference_kernels: TensorFlow Lite's built-in kernels only (no XNNPACK).
  """

  def __init__(self, model, num_threads, seed=0, reference_kernels=False):
    self.images_per_step = 1
    self._interpreter = litert.load(model, num_threads,
                                    reference_kernels=reference_kernels)
    detail, _ = litert.single_io(self._interpreter)
    images = np.random.RandomState(seed).uniform(-1, 1, detail['shape'])
    self._interpreter.set_tensor(detail['index'],
                                 litert.quantize_input(images, detail))

  def step(self):
    self._interpreter.invoke()


def median_ms(model, num_threads, warmup=10, invokes=50,
              reference_kernels=False):
  """Median milliseconds of one invoke after `warmup` untimed ones."""
  runner = InvokeRunner(model, num_threads,
                        reference_kernels=reference_kernels)
  return 1000.0 * timing.measure(runner, warmup, invokes).median_seconds


def figures(models, warmup=10, invokes=50, rounds=ROUNDS):
  """{<prefix>_ms_1thread, <prefix>_ms_all_threads, <prefix>_bytes} for each
  {prefix: .tflite bytes} of `models`: the latency and size figures every
  report of a .tflite uses. The models are timed interleaved, `invokes`
  median-timed invokes each per thread count."""
  result = {}
  for threads, suffix in ((1, '1thread'), (all_threads(), 'all_threads')):
    runners = {prefix: InvokeRunner(model, threads)
               for prefix, model in models.items()}
    timings = timing.measure_interleaved(runners, warmup, invokes, rounds)
    for prefix, measured in timings.items():
      result['%s_ms_%s' % (prefix, suffix)] = round(
          1000.0 * measured.median_seconds, 3)
  for prefix, model in models.items():
    result['%s_bytes' % prefix] = len(model)
  return result
