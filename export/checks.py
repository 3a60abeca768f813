"""Export-time checks: what they share, and the size rule.

Each bundle's TensorFlow Lite model is run with the LiteRT interpreter on a
few fixed inputs (check_inputs) and compared with its frozen graph; a failed
check fails the export (CheckFailedError). The float comparison is in
float_parity, the quantized one, layer by layer, in quant_parity; why each
check is what it is (and what was measured) is told in docs/EXPORT.md.

Size: a quantized model must be at most 30 % of the float model of the same
checkpoint. The rule is enforced at input size >= 224, as specified for the
released 224 models; the ratio is measured and reported at every size.
"""

import collections

import numpy as np
import tensorflow.compat.v1 as tf

from core import errors
from core import session
from export import litert

# Float: every probability within this of the frozen graph's.
PROBABILITY_TOLERANCE = 1e-4
# Quantized: every operation within this many quantization steps.
MAX_QUANTIZATION_STEPS = 2
MAX_QUANT_SIZE_RATIO = 0.30
SIZE_CHECK_MIN_IMAGE_SIZE = 224

ParityReport = collections.namedtuple('ParityReport', [
    'kind',                 # the .tflite format: 'float', 'int8', 'uint8'
    'num_inputs',
    'top1_agreement',       # inputs whose top-1 agreed (end to end)
    'max_abs_difference',   # largest |tflite - frozen| probability, end to end
    'max_output_steps',     # quantized: the same in output steps; float: None
    'max_layer_steps',      # quantized: worst layer, in steps; float: None
    'layers_checked',       # quantized: TFLite operations compared
    'max_weight_steps',     # quantized: worst weight, in its steps
])


class CheckFailedError(errors.JobFailedError):
  """An exported model failed a check; the message names the check."""


def describe(report):
  """One line for logs and the info file."""
  if report.kind == 'float':
    return ('float: top-1 agreed on %d/%d inputs, probabilities within %.2g '
            '(limit %g)' % (report.top1_agreement, report.num_inputs,
                            report.max_abs_difference, PROBABILITY_TOLERANCE))
  return ('%s: %d operations checked layer by layer, worst %g '
          'quantization step(s) from the frozen graph (limit %d) on %d inputs, '
          'weights at most %.2g of their steps off, biases and ranges checked; '
          'end to end up to %.4g output steps apart, top-1 agreed on %d/%d' % (
              report.kind, report.layers_checked, report.max_layer_steps,
              MAX_QUANTIZATION_STEPS, report.num_inputs,
              report.max_weight_steps, report.max_output_steps,
              report.top1_agreement, report.num_inputs))


def frozen_session(graph_def):
  """A session on a frozen GraphDef (imported with no name prefix)."""
  graph = tf.Graph()
  with graph.as_default():
    tf.import_graph_def(graph_def, name='')
  return tf.Session(graph=graph, config=session.session_config(1))


def interpreter_for(model, preserve_all_tensors=False, reference_kernels=False):
  """litert.load with one thread; a model LiteRT refuses fails the check."""
  try:
    return litert.load(model, num_threads=1,
                       preserve_all_tensors=preserve_all_tensors,
                       reference_kernels=reference_kernels)
  except litert.LoadError as e:
    raise CheckFailedError('the .tflite does not load in LiteRT: %s' %
                           str(e)[:200]) from e


def single_io(interpreter, image_size, dtype, kind):
  """The model's (input, output) details; it must take [1, H, H, 3] `dtype`."""
  try:
    input_detail, output_detail = litert.single_io(interpreter)
  except litert.LoadError as e:
    raise CheckFailedError('the %s .tflite has %s' % (kind, e)) from e
  expected_shape = [1, image_size, image_size, 3]
  if list(input_detail['shape']) != expected_shape or (
      input_detail['dtype'] != dtype):
    raise CheckFailedError(
        'the %s .tflite takes %s %s, not %s %s' % (
            kind, np.dtype(input_detail['dtype']).name,
            list(input_detail['shape']), np.dtype(dtype).name,
            expected_shape))
  return input_detail, output_detail


def top1_agrees(expected, actual, tolerance):
  """Same argmax, or the frozen graph's best two are tied within tolerance."""
  top = int(np.argmax(expected))
  chosen = int(np.argmax(actual))
  return chosen == top or expected[chosen] >= expected[top] - tolerance


def check_size(quant_bytes, float_bytes, image_size, kind='quantized'):
  """The quantized/float size ratio; fails above 30 % at input size >= 224."""
  ratio = quant_bytes / float(float_bytes)
  if image_size >= SIZE_CHECK_MIN_IMAGE_SIZE and ratio > MAX_QUANT_SIZE_RATIO:
    raise CheckFailedError(
        'the %s .tflite is %.1f %% of the float one (%d of %d bytes; '
        'limit %d %%)' % (kind, 100 * ratio, quant_bytes, float_bytes,
                          round(100 * MAX_QUANT_SIZE_RATIO)))
  return ratio
