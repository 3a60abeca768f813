"""Checks a float .tflite against its frozen graph, end to end.

As a user runs it (default CPU path, XNNPACK): the same top-1 class and every
probability within checks.PROBABILITY_TOLERANCE. A top-1 that differs only
where the frozen graph's two best probabilities are within that tolerance of
each other (a tie) is not a disagreement.
"""

import numpy as np

from core import variants
from export import check_inputs
from export import checks
from export import litert


def check_float_parity(model, frozen_graph_def, image_size,
                       num_inputs=check_inputs.NUM_INPUTS):
  """Checks a float .tflite against its frozen graph; a ParityReport."""
  interpreter = checks.interpreter_for(model)
  input_detail, output_detail = checks.single_io(interpreter, image_size,
                                           np.float32, 'float')
  images = check_inputs.check_images(image_size, num_inputs)
  worst = 0.0
  agreed = 0
  with checks.frozen_session(frozen_graph_def) as sess:
    for index, image in enumerate(images):
      float_image = check_inputs.to_float_input(image)
      expected = sess.run(variants.OUTPUT_NODE + ':0',
                          {variants.INPUT_NODE + ':0': float_image})[0]
      actual = litert.run(interpreter, input_detail, output_detail,
                          float_image)[0]
      if actual.shape != expected.shape:
        raise checks.CheckFailedError('the float .tflite gives %s outputs, the frozen '
                               'graph %s' % (list(actual.shape),
                                             list(expected.shape)))
      difference = float(np.max(np.abs(actual - expected)))
      if not np.isfinite(difference):
        difference = float('inf')
      worst = max(worst, difference)
      if not checks.top1_agrees(expected, actual, checks.PROBABILITY_TOLERANCE):
        raise checks.CheckFailedError(
            'float .tflite disagrees with the frozen graph on check input %d: '
            'top-1 class %d (p=%.4f) instead of %d (p=%.4f)' % (
                index, int(np.argmax(actual)), float(np.max(actual)),
                int(np.argmax(expected)), float(np.max(expected))))
      agreed += 1
      if difference > checks.PROBABILITY_TOLERANCE:
        raise checks.CheckFailedError(
            'float .tflite disagrees with the frozen graph on check input %d: '
            'probabilities up to %.3g apart (limit %g)' % (
                index, difference, checks.PROBABILITY_TOLERANCE))
  return checks.ParityReport('float', len(images), agreed, worst, None, None,
                             None, None)
