"""Converts frozen GraphDefs to TensorFlow Lite flatbuffers: float, int8, uint8.

The one conversion module, and the one place that names the formats
(FORMATS): the exporter, the info file, the release manifest, the benchmark
keys, label_image and the reports all use these names.

  float  Float models convert as they are (v1 converter).
  int8   The bundle's default for _quant: a fake-quantized eval graph
         (quantize.create_eval_graph) with its own learned ranges, int8
         inside (int32 biases), uint8 input and output with the published
         interface (real = (q - 128) / 128 at the input). Made by
         TensorFlow Lite's current converter (TFLiteConverterV2 on a
         concrete function wrapping the frozen graph, optimizations=DEFAULT,
         no representative data: the ranges are the fake-quant ops'); it
         adds a QUANTIZE op at each end. XNNPACK runs int8 far faster than
         uint8 (docs/PERFORMANCE.md).
  uint8  The TOCO-era file of the published _quant models: uint8 throughout
         (v1 converter, inference_type=uint8), same input and output.

In int8 every uint8 zero point moves by -128 and nothing else changes, so
both quantized formats compute the same integers, shifted. No default ranges
are used: the frozen graph's input has no fake-quant op of its own, so the
int8 conversion pins its range to what (mean, std) say, [-1, 127/128] for
the published 128 / 128. The converters do not fail on a tensor without a
learned range: they leave that part of the model in float. So every result
is checked (check_fully_quantized) and a partly float model is refused,
naming its float tensors.
"""

import collections

import numpy as np
import tensorflow as tf2
import tensorflow.compat.v1 as tf

from core import variants
from export import litert

# uint8 input q means (q - 128) / 128: [-1, 0.992], MobileNet's input range.
INPUT_MEAN = 128.0
INPUT_STD = 128.0

FLOAT = 'float'
INT8 = 'int8'
UINT8 = 'uint8'
# The quantized formats, the bundle's default first.
QUANTIZED_FORMATS = (INT8, UINT8)
DEFAULT_QUANTIZED_FORMAT = INT8

Format = collections.namedtuple('Format', ['name', 'description'])
FORMATS = {
    FLOAT: Format(FLOAT, 'float32'),
    INT8: Format(INT8, 'int8 inside (int32 biases) from the learned ranges, '
                 'uint8 input and output'),
    UINT8: Format(UINT8, 'uint8 throughout (int32 biases), as TOCO made the '
                  'published _quant models'),
}
# The signature every converted model gets (the v2 converter makes it for
# int8, _with_signature adds it to the v1 converter's float and uint8
# models): its keys are the frozen graph's tensor names.
SIGNATURE_KEY = 'serving_default'


def resolve_format(quantize, tflite_format=None):
  """The format of a bundle: float, or the quantized format asked for.

  Raises:
    ValueError: an unknown format, or a quantized one for a float model.
  """
  if tflite_format is None:
    return DEFAULT_QUANTIZED_FORMAT if quantize else FLOAT
  if tflite_format not in FORMATS:
    raise ValueError('unknown TensorFlow Lite format %r (one of %s)' % (
        tflite_format, ', '.join(FORMATS)))
  if quantize != (tflite_format in QUANTIZED_FORMATS):
    raise ValueError('a %s model cannot be converted to %s TensorFlow Lite '
                     '(%s)' % ('quantized' if quantize else 'float',
                               tflite_format,
                               'int8 or uint8' if quantize else 'float'))
  return tflite_format


def _op_name(name):
  return name.split(':')[0]


def _imported(graph_def):
  graph = tf.Graph()
  with graph.as_default():
    tf.import_graph_def(graph_def, name='')
  return graph


def _tensors(graph, names):
  try:
    return [graph.get_tensor_by_name(_op_name(n) + ':0') for n in names]
  except KeyError as e:
    raise ValueError('tensor not in the frozen graph: %s' % e) from e


def _converter(graph_def, input_names, output_names):
  """A v1 converter on the imported graph (no file round trip)."""
  graph = _imported(graph_def)
  return tf.lite.TFLiteConverter(graph_def, _tensors(graph, input_names),
                                 _tensors(graph, output_names))


def to_float_tflite(graph_def, input_names=(variants.INPUT_NODE,),
                    output_names=(variants.OUTPUT_NODE,)):
  """A float32 TensorFlow Lite model (bytes) of a frozen float graph."""
  return _with_signature(
      _converter(graph_def, input_names, output_names).convert())


def to_uint8_tflite(graph_def, input_names=(variants.INPUT_NODE,),
                    output_names=(variants.OUTPUT_NODE,),
                    mean=INPUT_MEAN, std=INPUT_STD):
  """A fully quantized uint8 TensorFlow Lite model (bytes), TOCO's format.

  Args:
    graph_def: a frozen fake-quantized eval graph.
    input_names: input tensors; each gets the same (mean, std).
    output_names: output tensors.
    mean: uint8 value that means 0.0.
    std: uint8 steps per 1.0.

  Raises:
    ValueError: for names not in the graph, or a partly float result.
    tf.lite conversion errors.
  """
  converter = _converter(graph_def, input_names, output_names)
  converter.inference_type = tf.uint8
  converter.inference_input_type = tf.uint8
  converter.inference_output_type = tf.uint8
  converter.quantized_input_stats = {
      _op_name(name): (mean, std) for name in input_names}
  converter.default_ranges_stats = None
  model = _with_signature(converter.convert())
  check_fully_quantized(model, UINT8)
  return model


def input_range(mean=INPUT_MEAN, std=INPUT_STD):
  """The real range [min, max] of uint8 inputs q meaning (q - mean) / std."""
  return -mean / std, (255.0 - mean) / std


def to_int8_tflite(graph_def, input_names=(variants.INPUT_NODE,),
                   output_names=(variants.OUTPUT_NODE,),
                   mean=INPUT_MEAN, std=INPUT_STD):
  """An int8 TensorFlow Lite model (bytes) with uint8 input and output.

  The frozen fake-quant graph is wrapped in a concrete function whose float
  inputs first pass a fake-quant op of the range (mean, std) stand for
  (input_range), so the converter quantizes them exactly as the uint8 model
  does; every other range is the graph's own. The converter names the output
  tensor after the function ('Identity'); the ends are renamed to the
  graph's names, and the signature SIGNATURE_KEY (keys: those names) is
  added, as for the other formats.

  Args: as to_uint8_tflite.

  Raises:
    ValueError: for names not in the graph, or a partly float result.
    tf.lite conversion errors.
  """
  graph = _imported(graph_def)
  inputs = _tensors(graph, input_names)
  _tensors(graph, output_names)
  low, high = input_range(mean, std)
  input_keys = [_op_name(n) for n in input_names]
  output_keys = [_op_name(n) for n in output_names]
  specs = [tf2.TensorSpec(t.shape, t.dtype, name=key)
           for t, key in zip(inputs, input_keys)]

  def model_fn(*values):
    quantized = [tf.quantization.fake_quant_with_min_max_args(
        value, low, high, num_bits=8) for value in values]
    return tf.import_graph_def(
        graph_def, input_map={key + ':0': q for key, q in zip(input_keys,
                                                              quantized)},
        return_elements=[key + ':0' for key in output_keys], name='')

  # No autograph (no Python control flow: autograph would write generated
  # modules into $TMPDIR) and no trackable object (the converter would save
  # a SavedModel first, with autograph-traced signature wrappers).
  function = tf2.function(model_fn, input_signature=specs, autograph=False)
  converter = tf2.lite.TFLiteConverter.from_concrete_functions(
      [function.get_concrete_function()])
  converter.optimizations = [tf2.lite.Optimize.DEFAULT]
  converter.inference_input_type = tf2.uint8
  converter.inference_output_type = tf2.uint8
  model = _with_signature(_renamed_io(converter.convert(), input_keys,
                                      output_keys))
  check_fully_quantized(model, INT8)
  return model


def _edited(model, edit):
  """The model (bytes) after edit(the flatbuffer's object tree)."""
  from tensorflow.lite.tools import flatbuffer_utils  # pylint: disable=g-import-not-at-top
  parsed = flatbuffer_utils.read_model_from_bytearray(bytearray(model))
  edit(parsed)
  return bytes(flatbuffer_utils.convert_object_to_bytearray(parsed))


def _renamed_io(model, input_names, output_names):
  """The model with its input and output tensors named, in order."""

  def rename(parsed):
    graph = parsed.subgraphs[0]
    for indices, names in ((graph.inputs, input_names),
                           (graph.outputs, output_names)):
      if len(indices) != len(names):
        raise ValueError('the converted model has %d tensors where %d are '
                         'named' % (len(indices), len(names)))
      for index, name in zip(indices, names):
        graph.tensors[index].name = name

  return _edited(model, rename)


def _with_signature(model):
  """The model with signature SIGNATURE_KEY (keys: its tensors' names) if it
  has none (the v1 converter makes none)."""
  from tensorflow.lite.python import schema_py_generated as schema  # pylint: disable=g-import-not-at-top

  def add(parsed):
    if parsed.signatureDefs:
      return
    graph = parsed.subgraphs[0]

    def entries(indices):
      result = []
      for index in indices:
        entry = schema.TensorMapT()
        entry.name = graph.tensors[index].name
        entry.tensorIndex = int(index)
        result.append(entry)
      return result

    signature = schema.SignatureDefT()
    signature.signatureKey = SIGNATURE_KEY
    signature.subgraphIndex = 0
    signature.inputs = entries(graph.inputs)
    signature.outputs = entries(graph.outputs)
    parsed.signatureDefs = [signature]

  return _edited(model, add)


def convert(graph_def, tflite_format):
  """The .tflite bytes of a frozen graph in one of FORMATS."""
  converters = {FLOAT: to_float_tflite, INT8: to_int8_tflite,
                UINT8: to_uint8_tflite}
  if tflite_format not in converters:
    raise ValueError('unknown TensorFlow Lite format %r' % (tflite_format,))
  return converters[tflite_format](graph_def)


def _inside_types(tflite_format):
  """The tensor types a fully quantized model may hold between its ends."""
  return {INT8: (np.int8, np.int32), UINT8: (np.uint8, np.int32)}[
      tflite_format]


def unquantized_tensors(model, tflite_format):
  """Names of the tensors of `model` (bytes) not of `tflite_format`'s types.

  Inside: int8 and int32 (biases, shapes) for int8, uint8 and int32 for
  uint8; the input and output must be uint8 in both.
  """
  interpreter = litert.load(model, reference_kernels=True, allocate=False)
  ends = {d['index'] for d in interpreter.get_input_details() +
          interpreter.get_output_details()}
  allowed = _inside_types(tflite_format)
  wrong = []
  for detail in interpreter.get_tensor_details():
    dtype = detail['dtype']
    ok = dtype == np.uint8 if detail['index'] in ends else dtype in allowed
    if not ok:
      wrong.append('%s (%s)' % (
          (detail['name'] or '#%d' % detail['index'])[:80],
          np.dtype(dtype).name))
  return wrong


def check_fully_quantized(model, tflite_format):
  """Raises ValueError (one line, naming tensors) for a partly float model."""
  wrong = unquantized_tensors(model, tflite_format)
  if wrong:
    raise ValueError(
        'not fully quantized %s: %d tensor(s) of another type (no learned '
        'range?): %s' % (tflite_format, len(wrong),
                                         ', '.join(wrong[:5])))


def float_tensors(model):
  """Names of the float32 tensors of a TensorFlow Lite model (bytes)."""
  interpreter = litert.load(model, reference_kernels=True, allocate=False)
  return [detail['name'] for detail in interpreter.get_tensor_details()
          if detail['dtype'] == np.float32]


def model_format(model):
  """The format (FORMATS key) of a .tflite, read from its tensor types.

  float: a float input; int8: uint8 ends with int8 inside; uint8: uint8
  throughout. Raises ValueError for anything else.
  """
  interpreter = litert.load(model, reference_kernels=True, allocate=False)
  inputs = interpreter.get_input_details()
  if inputs and np.issubdtype(np.dtype(inputs[0]['dtype']), np.floating):
    return FLOAT
  for tflite_format in QUANTIZED_FORMATS:
    if not unquantized_tensors(model, tflite_format):
      return tflite_format
  raise ValueError('neither float nor a fully quantized int8 or uint8 model')
