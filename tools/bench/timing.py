"""The timing protocol every benchmark figure uses.

A runner is anything with `step()` (one unit of work: a training step, an
eval batch, an interpreter invoke) and `images_per_step`. Warm-up steps
(graph optimisation, allocation, autotuning) are run and thrown away; then
each timed step is timed by itself. The figure reported is the median step,
which a short stall of another process on a 2-core machine moves far less
than the mean; the mean is kept next to it.

Runners compared with each other (our training step and Keras's) are timed
interleaved, in rounds of a few steps each, so a change of machine load
during the run hits all of them alike.
"""

import collections
import statistics
import time

Timing = collections.namedtuple('Timing', [
    'median_seconds',   # median time of one step
    'mean_seconds',     # mean time of one step
    'steps',            # timed steps
    'images_per_sec',   # images_per_step / median_seconds
])


def summarize(step_seconds, images_per_step):
  """A Timing from the durations of the timed steps."""
  if not step_seconds:
    raise ValueError('no timed steps')
  median = statistics.median(step_seconds)
  return Timing(median_seconds=median,
                mean_seconds=statistics.fmean(step_seconds),
                steps=len(step_seconds),
                images_per_sec=images_per_step / median)


def time_steps(step, count):
  """Durations (s) of `count` calls of step(), each timed by itself."""
  durations = []
  for _ in range(count):
    start = time.perf_counter()
    step()
    durations.append(time.perf_counter() - start)
  return durations


def measure(runner, warmup_steps, steps):
  """Timing of runner.step() after warmup_steps untimed steps."""
  time_steps(runner.step, warmup_steps)
  return summarize(time_steps(runner.step, steps), runner.images_per_step)


def measure_interleaved(runners, warmup_steps, steps, rounds):
  """{name: Timing} of runners timed in turn, `rounds` rounds each.

  Args:
    runners: {name: runner}.
    warmup_steps: untimed steps of each runner before the first round.
    steps: timed steps of each runner in all (split over the rounds); an
      int, or {name: int} to give slow runners fewer.
    rounds: how many turns each runner gets.
  """
  if not isinstance(steps, dict):
    steps = {name: steps for name in runners}
  for runner in runners.values():
    time_steps(runner.step, warmup_steps)
  durations = {name: [] for name in runners}
  for index in range(max(1, rounds)):
    for name, runner in runners.items():
      # Spread the runner's steps over the rounds as evenly as possible.
      total = steps[name]
      count = total * (index + 1) // rounds - total * index // rounds
      durations[name].extend(time_steps(runner.step, count))
  return {name: summarize(durations[name], runners[name].images_per_step)
          for name in runners}
