"""Batch-norm moving statistics that have settled by the end of a run.

Eval and export use the moving averages of each batch norm's mean and
variance, not the batch's. They start at mean 0 and variance 1 and move
towards the data by (1 - decay) each step, so after N steps a share
decay^N of each average is still its initial value. The original's decay,
0.9997, is right for ImageNet-length runs (hundreds of thousands of steps);
after a user's 1500-step run 64 % of every average would still be the
initial value and eval would score at chance.

So training picks, unless told (--batch_norm_decay), the original's decay
when it can settle within the planned --number_of_steps and otherwise the
slowest decay that does, never below 0.9 (choose_decay); it keeps a scalar variable, the
share of the initial values still in the averages (track_initial_share),
in every checkpoint; and eval and export warn in one line when a checkpoint's
averages have not settled (check_settled).
"""

import math

from absl import logging
import numpy as np
import tensorflow.compat.v1 as tf

ORIGINAL_DECAY = 0.9997
# A decay settles in N steps when decay^N <= this (then the initial values
# weigh less than 0.1 % in the averages).
SETTLED_SHARE = 1e-3
# Never faster than this: an average over fewer than about ten steps would
# be the last batches' noise (runs this short cannot settle, and eval warns).
MIN_DECAY = 0.9
# Eval and export warn above this share of initial values.
WARN_SHARE = 0.05
# The variable (outside the model's scope, so the eval graph never has it).
INITIAL_SHARE_VARIABLE = 'batch_norm_initial_share'
_MOVING_MEAN = '/moving_mean'
_MOVING_VARIANCE = '/moving_variance'


def choose_decay(number_of_steps):
  """(decay, why) for a run of number_of_steps (None: until stopped)."""
  if not number_of_steps:
    return ORIGINAL_DECAY, 'the original\'s, for a run without an end'
  if ORIGINAL_DECAY ** number_of_steps <= SETTLED_SHARE:
    return ORIGINAL_DECAY, 'the original\'s: it settles within %d steps' % (
        number_of_steps)
  decay = max(MIN_DECAY, math.exp(math.log(SETTLED_SHARE) / number_of_steps))
  return decay, (
      'the original 0.9997 would leave %.0f %% of every moving average at its '
      'initial value after %d steps, and eval would see stale statistics; '
      '%.4f %s' % (
          100 * ORIGINAL_DECAY ** number_of_steps, number_of_steps, decay,
          'settles within them' if decay > MIN_DECAY else
          'is the fastest used (the run is too short to settle)'))


def track_initial_share(decay):
  """The share-of-initial-values variable and its update, in the graph.

  The update (share *= decay) joins tf.GraphKeys.UPDATE_OPS, so it runs with
  the batch norms' own moving-average updates.
  """
  share = tf.get_variable(INITIAL_SHARE_VARIABLE, shape=[], dtype=tf.float32,
                          initializer=tf.ones_initializer(), trainable=False,
                          use_resource=True)
  update = share.assign(share * decay, read_value=False)
  tf.add_to_collection(tf.GraphKeys.UPDATE_OPS, update)
  return share


def share_of_restored(checkpoint):
  """The initial share of a checkpoint's averages, when fine-tuning from it.

  Checkpoints this project wrote carry it; others (the published ones) are
  taken as trained with the original decay for their global step.
  """
  if checkpoint.has(INITIAL_SHARE_VARIABLE):
    return float(checkpoint.value(INITIAL_SHARE_VARIABLE))
  return ORIGINAL_DECAY ** (checkpoint.global_step or 0)


def _never_updated_layers(checkpoint):
  """Batch norms whose moving mean is all 0 and variance all 1."""
  layers = []
  for name in sorted(checkpoint.shapes):
    if not name.endswith(_MOVING_MEAN):
      continue
    scope = name[:-len(_MOVING_MEAN)]
    if not checkpoint.has(scope + _MOVING_VARIANCE):
      continue
    if (np.all(checkpoint.value(name) == 0) and
        np.all(checkpoint.value(scope + _MOVING_VARIANCE) == 1)):
      layers.append(scope)
  return layers


def check_settled(checkpoint):
  """Logs one warning line if the checkpoint's averages cannot have settled.

  Returns the warning (None when they have): the share of initial values
  where the checkpoint records it, else batch norms never updated at all.
  """
  message = None
  if checkpoint.has(INITIAL_SHARE_VARIABLE):
    share = float(checkpoint.value(INITIAL_SHARE_VARIABLE))
    if share > WARN_SHARE:
      message = (
          '%s: %.0f %% of every batch-norm moving average is still its '
          'initial value (step %s), so eval and export see stale statistics '
          'and accuracy near chance; train longer, or again with a lower '
          '--batch_norm_decay (e.g. %.4f for this many steps)' % (
              checkpoint.path, 100 * share, checkpoint.global_step,
              choose_decay(checkpoint.global_step or 1)[0]))
  else:
    layers = _never_updated_layers(checkpoint)
    if layers:
      message = (
          '%s: the batch-norm moving statistics of %d layers (e.g. %s) are '
          'still at their initial values, so eval and export see no data '
          'statistics; train the model (in training mode) before using it' %
          (checkpoint.path, len(layers), layers[0]))
  if message:
    logging.warning('%s', message)
  return message
