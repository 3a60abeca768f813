"""Runs .tflite models with the LiteRT interpreter, the one way they are run.

The export checks, export/tflite_eval.py, tools/label_image and the
latency benchmark load models, read their single input and output, quantize
inputs and dequantize outputs through this module. A quantized tensor holds
q for the real value (q - zero_point) * scale (TensorFlow Lite's rule).
"""

import os

from ai_edge_litert import interpreter as _interpreter
import numpy as np

from core import errors


class LoadError(ValueError):
  """LiteRT cannot load the model, or its inputs and outputs do not fit."""


def load(model, num_threads=1, preserve_all_tensors=False,
         reference_kernels=False, allocate=True):
  """An interpreter for `model`, its tensors allocated.

  Args:
    model: the .tflite bytes, or the path of a .tflite file.
    num_threads: interpreter threads; None leaves LiteRT's default.
    preserve_all_tensors: keep every intermediate tensor readable after
      invoke() (layer-by-layer checks).
    reference_kernels: TensorFlow Lite's own kernels, without the default
      XNNPACK delegate.
    allocate: allocate the tensors (False: only to read the model's
      tensor details).

  Raises:
    LoadError: the model does not load (one line).
  """
  options = dict(
      num_threads=num_threads,
      experimental_op_resolver_type=(
          _interpreter.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES
          if reference_kernels else _interpreter.OpResolverType.AUTO),
      experimental_preserve_all_tensors=preserve_all_tensors)
  try:
    if isinstance(model, (str, os.PathLike)):
      interpreter = _interpreter.Interpreter(model_path=os.fspath(model),
                                             **options)
    else:
      interpreter = _interpreter.Interpreter(model_content=bytes(model),
                                             **options)
    if allocate:
      interpreter.allocate_tensors()
  except (ValueError, RuntimeError) as e:
    raise LoadError(errors.one_line(e)) from e
  return interpreter


def single_io(interpreter):
  """(input detail, output detail) of a model with one input and one output.

  Raises:
    LoadError: the model has more or fewer.
  """
  inputs = interpreter.get_input_details()
  outputs = interpreter.get_output_details()
  if len(inputs) != 1 or len(outputs) != 1:
    raise LoadError('%d inputs and %d outputs, not one each' % (
        len(inputs), len(outputs)))
  return inputs[0], outputs[0]


def is_quantized(detail):
  return not np.issubdtype(np.dtype(detail['dtype']), np.floating)


def quantize_input(values, detail):
  """Real values as the tensor's type: q = round(x / scale + zero_point).

  Clipped to the integer type's range; float tensors get float32.
  """
  if not is_quantized(detail):
    return np.asarray(values, np.float32)
  scale, zero_point = detail['quantization']
  limits = np.iinfo(detail['dtype'])
  quantized = np.round(np.asarray(values) / scale + zero_point)
  return np.clip(quantized, limits.min, limits.max).astype(detail['dtype'])


def dequantize(values, detail):
  """The real values of a tensor's contents (float tensors as they are)."""
  if not is_quantized(detail):
    return values
  scale, zero_point = detail['quantization']
  return (values.astype(np.float32) - zero_point) * scale


def run(interpreter, input_detail, output_detail, value):
  """One invoke with `value` (already the input's type); the raw output."""
  interpreter.set_tensor(input_detail['index'], value)
  interpreter.invoke()
  return interpreter.get_tensor(output_detail['index'])


class Classifier(object):
  """An image classifier .tflite: float input or quantized, probabilities out.

  Attributes: image_size, num_classes, input_detail, output_detail,
  interpreter.
  """

  def __init__(self, model, num_threads=1):
    """Raises LoadError: not loadable, not one [1, H, H, 3] image input and
    one [1, classes] output, or an integer one without a scale."""
    self.interpreter = load(model, num_threads)
    self.input_detail, self.output_detail = single_io(self.interpreter)
    shape = [int(d) for d in self.input_detail['shape']]
    if len(shape) != 4 or shape[0] != 1 or shape[1] != shape[2] or (
        shape[3] != 3):
      raise LoadError('takes %s, not [1, H, H, 3] images' % shape)
    output_shape = [int(d) for d in self.output_detail['shape']]
    if len(output_shape) != 2 or output_shape[0] != 1:
      raise LoadError('gives %s, not [1, classes] scores' % output_shape)
    for kind, detail in (('input', self.input_detail),
                         ('output', self.output_detail)):
      if is_quantized(detail) and not detail['quantization'][0]:
        raise LoadError('its %s %s tensor has no quantization scale' % (
            np.dtype(detail['dtype']).name, kind))
    self.image_size = shape[1]
    self.num_classes = output_shape[1]

  def predict(self, image):
    """image: float [H, W, 3] in [-1, 1] -> float32 [num_classes]."""
    value = quantize_input(np.asarray(image)[None], self.input_detail)
    output = run(self.interpreter, self.input_detail, self.output_detail,
                 value)
    return dequantize(output[0], self.output_detail)
