"""Converts frozen GraphDefs to TensorFlow Lite flatbuffers.

Float models convert as they are. Fake-quantized eval graphs
(quantize.create_eval_graph) convert to fully quantized uint8 models, as
TOCO made the published _quant .tflite files: uint8 input with
real = (q - mean) / std (mean 128 and std 128 give [-1, 1), MobileNet's
input range) and uint8 output. No default ranges are used. The converter
does not fail on a tensor without a learned range: it leaves that part of
the model in float. So the result is checked, and a model with any float
tensor is refused, naming the tensors that lack a range.
"""

import numpy as np
import tensorflow.compat.v1 as tf

from core import variants
from export import litert

# uint8 input q means (q - 128) / 128: [-1, 0.992], MobileNet's input range.
INPUT_MEAN = 128.0
INPUT_STD = 128.0


def _converter(graph_def, input_names, output_names):
  """A v1 converter on the imported graph (no file round trip)."""
  graph = tf.Graph()
  with graph.as_default():
    tf.import_graph_def(graph_def, name='')
  try:
    inputs = [graph.get_tensor_by_name(n.split(':')[0] + ':0')
              for n in input_names]
    outputs = [graph.get_tensor_by_name(n.split(':')[0] + ':0')
               for n in output_names]
  except KeyError as e:
    raise ValueError('tensor not in the frozen graph: %s' % e) from e
  return tf.lite.TFLiteConverter(graph_def, inputs, outputs)


def to_float_tflite(graph_def, input_names=(variants.INPUT_NODE,),
                    output_names=(variants.OUTPUT_NODE,)):
  """A float32 TensorFlow Lite model (bytes) of a frozen float graph."""
  return _converter(graph_def, input_names, output_names).convert()


def to_uint8_tflite(graph_def, input_names=(variants.INPUT_NODE,),
                    output_names=(variants.OUTPUT_NODE,),
                    mean=INPUT_MEAN, std=INPUT_STD):
  """A fully quantized uint8 TensorFlow Lite model (bytes).

  Args:
    graph_def: a frozen fake-quantized eval graph.
    input_names: input tensors; each gets the same (mean, std).
    output_names: output tensors.
    mean: uint8 value that means 0.0.
    std: uint8 steps per 1.0.

  Raises:
    ValueError: for names not in the graph.
    tf.lite conversion errors: e.g. for a tensor without a learned range.
  """
  converter = _converter(graph_def, input_names, output_names)
  converter.inference_type = tf.uint8
  converter.inference_input_type = tf.uint8
  converter.inference_output_type = tf.uint8
  converter.quantized_input_stats = {
      name.split(':')[0]: (mean, std) for name in input_names}
  converter.default_ranges_stats = None
  model = converter.convert()
  unquantized = float_tensors(model)
  if unquantized:
    raise ValueError(
        'not fully quantized: %d tensor(s) have no learned range and stayed '
        'float, e.g. %s' % (len(unquantized), ', '.join(unquantized[:5])))
  return model


def float_tensors(model):
  """Names of the float32 tensors of a TensorFlow Lite model (bytes)."""
  interpreter = litert.load(model, reference_kernels=True, allocate=False)
  return [detail['name'] for detail in interpreter.get_tensor_details()
          if detail['dtype'] == np.float32]
