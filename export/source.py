"""The checkpoint an export starts from: what it holds, and whether it suits.

Read once (model.checkpoints.Checkpoint) and checked up front, so a wrong
checkpoint fails in one line before anything is built: not a MobileNet v1
classifier, another class count than asked, a float checkpoint for a
quantized bundle or a quantized one for a float bundle.
"""

import collections

from core import errors
from model import checkpoints
from quantize import quant_ops

LOGITS_BIASES = 'MobilenetV1/Logits/Conv2d_1c_1x1/biases'
_ACT_QUANT = '/act_quant/'


CheckpointFacts = collections.namedtuple('CheckpointFacts', [
    'checkpoint',        # the model.checkpoints.Checkpoint, opened once
    'num_classes',       # from the classifier's biases
    'quantized',         # it holds quantization ranges
    'global_step',       # None without one
    'has_global_step',   # it stores a global_step variable
    'untrained_ranges',  # every activation range still at its initial value
])


def _ranges_untrained(checkpoint, names):
  """Whether every activation range among `names` is at its initial value."""
  scopes = sorted({n.rpartition('/')[0] for n in names if _ACT_QUANT in n})
  if not scopes:
    return False
  return all(quant_ops.is_initial_range(checkpoint.value(scope + '/min'),
                                        checkpoint.value(scope + '/max'))
             for scope in scopes)


def inspect_checkpoint(checkpoint, quantize, num_classes=None):
  """Resolves --checkpoint and checks it suits the export.

  Args:
    checkpoint: a checkpoint prefix, or a training directory (its newest).
    quantize: whether a _quant bundle is wanted.
    num_classes: None, or the class count the user expects.

  Returns:
    CheckpointFacts (activation ranges start at [0, 6] after a ReLU or ReLU6
    and at [-6, 6] elsewhere; untrained_ranges says none ever moved).

  Raises:
    errors.BadInputError: no checkpoint, one that cannot be read whole or
      holds NaN or Inf, not a MobileNet v1 classifier, another class count
      than --num_classes, a float checkpoint for --quantize or a quantized
      one without it.
  """
  checkpoint = checkpoints.Checkpoint.resolve(checkpoint, 'checkpoint')
  checkpoint.check_values()
  shapes = checkpoint.shapes
  path = checkpoint.path
  if LOGITS_BIASES not in shapes or len(shapes[LOGITS_BIASES]) != 1:
    raise errors.BadInputError(
        '--checkpoint %s is not a MobileNet v1 classifier checkpoint (no %s)'
        % (path, LOGITS_BIASES))
  stored_classes = shapes[LOGITS_BIASES][0]
  if num_classes is not None and num_classes != stored_classes:
    raise errors.BadInputError('--num_classes %d does not fit --checkpoint %s, '
                               'whose classifier has %d classes' %
                               (num_classes, path, stored_classes))
  ranges = checkpoint.quant_ranges()
  if quantize and not ranges:
    raise errors.BadInputError('--quantize needs a checkpoint trained with '
                               '--quantize; %s is a float checkpoint (no '
                               'quantization ranges)' % path)
  if not quantize and ranges:
    raise errors.BadInputError(
        '--checkpoint %s was trained with --quantize (it has quantization '
        'ranges, e.g. %s): export it with --quantize' % (path, ranges[0]))
  return CheckpointFacts(
      checkpoint=checkpoint, num_classes=stored_classes,
      quantized=bool(ranges), global_step=checkpoint.global_step,
      has_global_step=checkpoint.has(checkpoints.GLOBAL_STEP),
      untrained_ranges=_ranges_untrained(checkpoint, ranges))
