"""Where the rewrite's ranges start, for tools that read checkpoints.

Project code (export.bundle) imports these as `from quantize import
quant_ops`; the fake-quant ops themselves are in quantize.python.quant_ops.
Activation ranges (act_quant) start at [0, 6], the other ranges (weights,
residual additions, other additions and multiplications) at [-6, 6], as in
tf.contrib.quantize. Training replaces them at the first step (the moving
averages are zero-debiased), so a range still at its start was never
trained.
"""

from quantize.python.quantize import ACTIVATION_INIT_RANGE
from quantize.python.quantize import DEFAULT_INIT_RANGE

# How close to its initial value a stored range counts as never updated.
_INITIAL_TOLERANCE = 1e-6


def initial_range(op_type=None):
  """(min, max) a range starts at: [0, 6] after a ReLU, else [-6, 6].

  A layer's activation range (act_quant) starts at [0, 6] whatever follows
  the layer; op_type 'Relu' or 'Relu6' gives that range.
  """
  if op_type in ('Relu', 'Relu6'):
    return ACTIVATION_INIT_RANGE
  return DEFAULT_INIT_RANGE


def is_initial_range(range_min, range_max):
  """Whether a stored [min, max] is still where some range starts."""
  return any(abs(float(range_min) - low) <= _INITIAL_TOLERANCE and
             abs(float(range_max) - high) <= _INITIAL_TOLERANCE
             for low, high in (ACTIVATION_INIT_RANGE, DEFAULT_INIT_RANGE))
