"""Checks an int8 or uint8 .tflite against its frozen fake-quant graph.

Both formats are held to the same rules; int8 zero points are the uint8 ones
minus 128. Every quantized tensor must be within
checks.MAX_QUANTIZATION_STEPS of the graph. The check is made layer by
layer: each TFLite operation's output is compared with what the frozen
fake-quant graph computes for that operation from the TFLite model's own
input to it (the graph is fed the TFLite tensors), so the weights and input
statistics of every layer are checked, the softmax output included (in
steps of its output scale). Each output's scale and zero point are checked
against the learned range of the graph's fake-quant op, each int32 bias
against the graph's folded bias (within half of its input scale x weight
scale step; the graph then computes each operation with the TFLite bias),
and each weight tensor against the graph's fake-quantized weights (within
half of its own step, per channel if it has one scale per channel). The
QUANTIZE operations an int8 model has at its ends must change the zero
point only (same scale, same real values). The model must be fully
quantized in its format (tflite.unquantized_tensors). End to end, the
largest difference in output steps and the top-1 agreement are measured
and reported, not enforced: the integer model rounds and requantizes in
fixed point, which the float graph does not model (docs/EXPORT.md).
"""

import collections

import numpy as np

from core import variants
from export import check_inputs
from export import checks
from export import litert
from export import tflite
from quantize.python import common

Plan = collections.namedtuple('Plan', [
    'layers', 'feeds', 'biases', 'weights', 'requantized', 'details'])
# Operations that only move data: their output is their input, same scale.
_PASS_THROUGH_OPS = ('RESHAPE', 'SQUEEZE')
# Operations that only change the integer type (int8 models' ends).
_REQUANTIZE_OPS = ('QUANTIZE',)
# TensorFlow Lite operations with an int32 bias as their third input, and
# the graph ops that add a bias to a layer's output.
_OPS_WITH_BIAS = ('CONV_2D', 'DEPTHWISE_CONV_2D', 'FULLY_CONNECTED')
_BIAS_ADD_OPS = ('BiasAdd', 'Add', 'AddV2')
_LAYER_OPS = common.LAYER_OP_TYPES
_ACTIVATION_OPS = ('Relu', 'Relu6')
# Relative precision of a float32 value (its unit in the last place).
_FLOAT32_EPSILON = float(np.finfo(np.float32).eps)
# Relative difference allowed between a scale TFLite stores and the one the
# graph implies (float32 arithmetic on both sides).
_RANGE_TOLERANCE = 1e-5


def _graph_counterparts(graph, name):
  """The graph tensors standing for a TFLite tensor: (value, computed).

  TFLite names a tensor after the graph ops it was fused from
  ('a/Relu6;a/Conv2D_Fold;...'). The first part that is a graph op gives the
  tensor `computed` from the layer's inputs (before fake quantization); the
  fake-quant op after it, if any, gives the `value` later layers read (what
  is fed with the TFLite tensor). None when no part is a graph op.
  """
  for part in name.split(';'):
    try:
      op = graph.get_operation_by_name(part)
    except KeyError:
      continue
    computed = op.outputs[0]
    fake_quants = [c for c in computed.consumers()
                   if c.type.startswith('FakeQuantWithMinMax')]
    value = fake_quants[0].outputs[0] if fake_quants else computed
    return value, computed
  return None


def _graph_layer(computed):
  """(bias, weights) the graph adds and multiplies to give `computed`.

  `computed` is the bias add, or an activation of it; the weights are the
  layer op's second input (the fake-quantized weights). None for other
  graph structures.
  """
  op = computed.op
  if op.type in _ACTIVATION_OPS:
    op = op.inputs[0].op
  if op.type not in _BIAS_ADD_OPS or len(op.inputs) != 2:
    return None
  layer_output, bias = op.inputs
  if bias.op.type in _LAYER_OPS:
    layer_output, bias = bias, layer_output
  if layer_output.op.type not in _LAYER_OPS:
    return None
  return bias, layer_output.op.inputs[1]


def _layer_plan(interpreter, graph, kind):
  """The operations to compare, and the tensors to feed.

  Returns:
    Plan: `layers` [(op type, tflite tensor detail, graph tensor value,
    graph tensor computed)]; `feeds` {tflite tensor index: graph tensor fed
    with its value}; `biases` {tflite bias tensor index: (the graph's bias
    tensor for it, the operation's input and weights tensor indices)};
    `weights` [(op type, tflite weights index, graph weights tensor)];
    `requantized` [(input index, output index)] of QUANTIZE operations;
    `details` {tflite tensor index: its detail}.

  Raises:
    CheckFailedError: an operation that computes something, or its bias,
      has no counterpart in the graph (so it could not be checked).
  """
  details = {d['index']: d for d in interpreter.get_tensor_details()}
  input_index = interpreter.get_input_details()[0]['index']
  plan = Plan([], {}, {}, [], [], details)
  plan.feeds[input_index] = graph.get_tensor_by_name(variants.INPUT_NODE +
                                                     ':0')
  for op in interpreter._get_ops_details():  # pylint: disable=protected-access
    if op['op_name'] in _REQUANTIZE_OPS:
      plan.requantized.append((op['inputs'][0], op['outputs'][0]))
      continue
    for index in op['outputs']:
      detail = details[index]
      found = _graph_counterparts(graph, detail['name'])
      if found is None:
        if op['op_name'] in _PASS_THROUGH_OPS:
          continue
        raise checks.CheckFailedError(
            'cannot check the %s .tflite: its %s output %r has no '
            'counterpart in the frozen graph' % (kind, op['op_name'],
                                                 detail['name'][:120]))
      value, computed = found
      plan.layers.append((op['op_name'], detail, value, computed))
      plan.feeds[index] = value
      if (op['op_name'] in _OPS_WITH_BIAS and len(op['inputs']) > 2 and
          op['inputs'][2] >= 0):
        layer = _graph_layer(computed)
        if layer is None:
          raise checks.CheckFailedError(
              'cannot check the %s .tflite: the bias of its %s %r has no '
              'counterpart in the frozen graph' % (kind, op['op_name'],
                                                    detail['name'][:120]))
        bias, weights = layer
        plan.biases[op['inputs'][2]] = (bias, op['inputs'][0], op['inputs'][1])
        plan.weights.append((op['op_name'], op['inputs'][1], weights))
  return plan


def _scales(detail):
  """A quantized tensor's scales (one, or one per channel), as float64."""
  return np.asarray(detail['quantization_parameters']['scales'], np.float64)


def _zero_point_offset(detail):
  """What a tensor's zero point adds to uint8's: -128 for int8, else 0."""
  return -128 if detail['dtype'] == np.int8 else 0


def _check_range(sess, detail, value, kind):
  """Checks a TFLite output's quantization against the graph's range.

  `value` is the graph tensor later layers read: when it is a fake-quant
  op's output, TFLite's scale and zero point must be those of that op's
  learned [min, max] (as the op nudges it: zero exactly representable), the
  zero point moved by -128 in an int8 tensor. The layer comparison works in
  TFLite's own steps, so it would not see a range the converter changed.

  Raises:
    CheckFailedError: another scale or zero point.
  """
  op = value.op
  if not op.type.startswith('FakeQuantWithMinMax'):
    return
  if op.type == 'FakeQuantWithMinMaxArgs':
    range_min, range_max = op.get_attr('min'), op.get_attr('max')
  else:
    range_min, range_max = (float(v) for v in sess.run(op.inputs[1:3]))
  quant_min = 1 if op.get_attr('narrow_range') else 0
  quant_max = 2 ** op.get_attr('num_bits') - 1
  expected_scale = (range_max - range_min) / (quant_max - quant_min)
  expected_zero = min(max(round(quant_min - range_min / expected_scale),
                          quant_min), quant_max) + _zero_point_offset(detail)
  scale, zero_point = detail['quantization']
  if (abs(scale - expected_scale) > _RANGE_TOLERANCE * expected_scale or
      abs(zero_point - expected_zero) > 1):
    raise checks.CheckFailedError(
        'the %s .tflite tensor %r is quantized as real = (q - %d) * %.6g, '
        'the frozen graph\'s %s range [%.6g, %.6g] gives (q - %d) * %.6g' % (
            kind, detail['name'][:120], zero_point, scale, op.name, range_min,
            range_max, expected_zero, expected_scale))


def _dequantized_constant(interpreter, detail):
  """A constant tensor's real values, per channel if it has several scales."""
  values = interpreter.get_tensor(detail['index']).astype(np.float64)
  params = detail['quantization_parameters']
  scales = _scales(detail)
  zero_points = np.asarray(params['zero_points'], np.float64)
  if scales.size > 1:
    shape = [1] * values.ndim
    shape[params['quantized_dimension']] = scales.size
    scales = scales.reshape(shape)
    zero_points = zero_points.reshape(shape)
  return (values - zero_points) * scales, np.broadcast_to(scales,
                                                         values.shape)


def _graph_weights_as_tflite(op_name, graph_weights, shape):
  """The graph's weights in TFLite's layout for operation `op_name`.

  Conv2D [H, W, I, O] -> CONV_2D [O, H, W, I]; depthwise [H, W, C, M] ->
  [1, H, W, C*M]; MatMul [I, O] -> FULLY_CONNECTED [O, I].
  """
  if op_name == 'DEPTHWISE_CONV_2D':
    return graph_weights.reshape(shape)
  if op_name == 'CONV_2D' and graph_weights.ndim == 4:
    return graph_weights.transpose(3, 0, 1, 2).reshape(shape)
  return graph_weights.T.reshape(shape)


def _check_weights(interpreter, sess, plan, kind):
  """Checks each layer's weights against the graph's fake-quantized ones.

  The TFLite weights (real values, per channel where they have a scale per
  channel) must be within half of their own step of the weights the graph
  multiplies with: what rounding to TFLite's grid allows, and nothing when
  the converter kept the learned range. Returns the worst, in steps.

  Raises:
    CheckFailedError: weights further off, or not quantized.
  """
  worst = 0.0
  for op_name, index, tensor in plan.weights:
    detail = plan.details[index]
    if not _scales(detail).size or not np.all(_scales(detail) > 0):
      raise checks.CheckFailedError('the %s .tflite weights %r are not '
                                    'quantized' % (kind, detail['name'][:120]))
    actual, steps = _dequantized_constant(interpreter, detail)
    expected = sess.run(tensor).astype(np.float64)
    if expected.size != actual.size:
      raise checks.CheckFailedError(
          'the %s .tflite weights %r have %d values, the frozen graph\'s %s '
          '%d' % (kind, detail['name'][:120], actual.size, tensor.op.name,
                  expected.size))
    expected = _graph_weights_as_tflite(op_name, expected, actual.shape)
    error = np.abs(actual - expected)
    allowed = 0.5 * steps + _FLOAT32_EPSILON * np.abs(expected)
    worst = max(worst, float(np.max(error / steps)))
    if np.any(error > allowed):
      raise checks.CheckFailedError(
          'the %s .tflite weights of %s are %.3g steps from the frozen '
          'graph\'s %s (limit 0.5: rounding)' % (
              kind, op_name, float(np.max(error / steps)), tensor.op.name))
  return worst


def _check_requantized(plan, values, kind, image_index):
  """A QUANTIZE operation changes the zero point only.

  Same scale, and the same real values within rounding: the int8 model's
  QUANTIZE ops turn the uint8 input into int8 and the int8 softmax into the
  uint8 output, so both compute the uint8 model's integers, shifted.
  """
  for source, target in plan.requantized:
    source_detail, target_detail = plan.details[source], plan.details[target]
    source_scale = source_detail['quantization'][0]
    target_scale = target_detail['quantization'][0]
    if not target_scale or abs(source_scale - target_scale) > (
        _RANGE_TOLERANCE * target_scale):
      raise checks.CheckFailedError(
          'the %s .tflite QUANTIZE to %r changes the scale from %.6g to %.6g'
          % (kind, target_detail['name'][:120], source_scale, target_scale))
    steps = float(np.max(np.abs(
        litert.dequantize(values[target], target_detail) -
        litert.dequantize(values[source], source_detail)))) / target_scale
    if steps > 0.5 + 1e-3:
      raise checks.CheckFailedError(
          '%s .tflite QUANTIZE to %r changes values by %g steps on check '
          'input %d (limit 0.5: rounding)' % (
              kind, target_detail['name'][:120], steps, image_index))


def _tflite_biases(interpreter, sess, biases, details, kind):
  """{graph bias tensor: the TFLite bias it became, as real values}.

  Checks each int32 bias against the graph's: TensorFlow Lite stores it in
  steps of (input scale x weight scale), the step its kernels use whatever
  the stored scale says, so the stored scale must be that product and the
  value within half a step of the graph's (and float32 rounding of it).

  Raises:
    CheckFailedError: a bias further off, with another scale, or not
      quantized.
  """
  real = {}
  for index, (tensor, input_index, weights_index) in biases.items():
    detail = details[index]
    scale = _scales(detail)
    step = _scales(details[input_index]) * _scales(details[weights_index])
    if not scale.size or not np.all(scale > 0):
      raise checks.CheckFailedError('the %s .tflite bias %r is not quantized'
                                    % (kind, detail['name'][:120]))
    if scale.size not in (1, step.size) or np.any(
        np.abs(scale / step - 1) > _RANGE_TOLERANCE):
      raise checks.CheckFailedError(
          'the %s .tflite bias %r has scale %.6g, not input scale x '
          'weight scale %.6g' % (kind, detail['name'][:120],
                                 float(scale.flat[0]), float(step.flat[0])))
    expected = sess.run(tensor).astype(np.float64).reshape(-1)
    # int32 biases have zero point 0; float64 keeps every int32 exact.
    actual = interpreter.get_tensor(index).astype(np.float64).reshape(-1) * step
    if actual.shape != expected.shape:
      raise checks.CheckFailedError(
          'the %s .tflite bias %r has %d values, the frozen graph\'s %s %d' % (
              kind, detail['name'][:120], actual.size, tensor.op.name,
              expected.size))
    error = np.abs(actual - expected)
    allowed = 0.5 * step + _FLOAT32_EPSILON * np.abs(expected)
    if np.any(error > allowed):
      raise checks.CheckFailedError(
          'the %s .tflite bias %s is %.3g bias steps from the frozen '
          'graph\'s (limit 0.5: rounding)' % (
              kind, tensor.op.name, float(np.max(error / step))))
    real[tensor] = actual.astype(np.float32).reshape(
        tensor.shape.as_list() if tensor.shape.is_fully_defined()
        else actual.shape)
  return real


def check_quant_parity(model, frozen_graph_def, image_size, kind,
                       num_inputs=check_inputs.NUM_INPUTS):
  """Checks an int8 or uint8 .tflite against its frozen fake-quant graph.

  Args:
    model: the .tflite bytes.
    frozen_graph_def: its frozen fake-quant eval graph.
    image_size: the input resolution.
    kind: tflite.INT8 or tflite.UINT8, the format the model must have.

  Returns a ParityReport; raises CheckFailedError (see the module doc).
  """
  if kind not in tflite.QUANTIZED_FORMATS:
    raise ValueError('not a quantized format: %r' % (kind,))
  images = check_inputs.check_images(image_size, num_inputs)
  # End to end, as a user runs it.
  interpreter = checks.interpreter_for(model)
  input_detail, output_detail = checks.single_io(interpreter, image_size,
                                                 np.uint8, kind)
  if output_detail['dtype'] != np.uint8:
    raise checks.CheckFailedError('the %s .tflite has a %s output' % (
        kind, np.dtype(output_detail['dtype']).name))
  wrong = tflite.unquantized_tensors(model, kind)
  if wrong:
    raise checks.CheckFailedError(
        'the %s .tflite is not fully quantized: %d tensor(s) of another type: '
        '%s' % (kind, len(wrong), ', '.join(wrong[:5])))
  scale, zero_point = input_detail['quantization']
  if (abs(scale - 1 / tflite.INPUT_STD) > 1e-9 or
      zero_point != tflite.INPUT_MEAN):
    raise checks.CheckFailedError(
        'the %s .tflite input is real = (q - %g) * %g, not (q - 128) / 128' %
        (kind, zero_point, scale))
  output_scale = output_detail['quantization'][0]
  with checks.frozen_session(frozen_graph_def) as sess:
    worst_output = 0.0
    worst_abs = 0.0
    agreed = 0
    for image in images:
      expected = sess.run(variants.OUTPUT_NODE + ':0', {
          variants.INPUT_NODE + ':0': check_inputs.to_float_input(image)})
      actual = litert.dequantize(litert.run(interpreter, input_detail,
                                            output_detail, image),
                                 output_detail)
      if actual.shape != expected.shape:
        raise checks.CheckFailedError(
            'the %s .tflite gives %s outputs, the frozen graph %s' % (
                kind, list(actual.shape), list(expected.shape)))
      difference = float(np.max(np.abs(actual - expected)))
      worst_abs = max(worst_abs, difference)
      worst_output = max(worst_output, difference / output_scale)
      agreed += int(checks.top1_agrees(expected[0], actual[0], output_scale))

    # Layer by layer, with TFLite's own kernels and every tensor kept.
    layered = checks.interpreter_for(model, preserve_all_tensors=True,
                                     reference_kernels=True)
    layer_input = layered.get_input_details()[0]
    plan = _layer_plan(layered, sess.graph, kind)
    details = plan.details
    bias_values = _tflite_biases(layered, sess, plan.biases, details, kind)
    worst_layer = 0.0
    watched = set(plan.feeds) | {i for pair in plan.requantized for i in pair}
    for image_index, image in enumerate(images):
      layered.set_tensor(layer_input['index'], image)
      layered.invoke()
      values = {index: layered.get_tensor(index) for index in watched}
      _check_requantized(plan, values, kind, image_index)
      feed_values = dict(bias_values)
      for index, tensor in plan.feeds.items():
        if index == layer_input['index']:
          feed_values[tensor] = check_inputs.to_float_input(values[index])
        else:
          feed_values[tensor] = litert.dequantize(values[index],
                                                  details[index])
      for op_name, detail, value, computed in plan.layers:
        if image_index == 0:
          _check_range(sess, detail, value, kind)
        # Everything but this operation's own output comes from TFLite,
        # its bias included.
        own = (value.name, computed.name)
        feed = {t: v for t, v in feed_values.items() if t.name not in own}
        reference = sess.run(computed, feed)
        scale, zero_point = detail['quantization']
        if not scale:
          raise checks.CheckFailedError('the %s .tflite tensor %r is not '
                                        'quantized' % (kind,
                                                       detail['name'][:120]))
        limits = np.iinfo(detail['dtype'])
        expected_q = np.clip(np.round(reference / scale) + zero_point,
                             limits.min, limits.max)
        actual_q = values[detail['index']].astype(np.float32)
        if expected_q.shape != actual_q.shape:
          expected_q = expected_q.reshape(actual_q.shape)
        steps = float(np.max(np.abs(expected_q - actual_q)))
        worst_layer = max(worst_layer, steps)
        if steps > checks.MAX_QUANTIZATION_STEPS:
          raise checks.CheckFailedError(
              '%s .tflite disagrees with the frozen graph on check input '
              '%d: %s %s is %g quantization steps off (limit %d)' % (
                  kind, image_index, op_name, computed.op.name, steps,
                  checks.MAX_QUANTIZATION_STEPS))
    # After the layers, whose disagreement says more about a broken model;
    # this catches weights off by less than that.
    worst_weights = _check_weights(layered, sess, plan, kind)
  return checks.ParityReport(
      kind, len(images), agreed, worst_abs, worst_output, worst_layer,
      len(plan.layers) + len(plan.requantized), worst_weights)
