"""The public entry points: rewrite a float graph for quantized training, eval.

As with tf.contrib.quantize, the model is built as usual and then rewritten
in place: batch norms are folded into the layers before them
(fold_batch_norms), then fake-quant ops are inserted at the weights and
outputs of every layer (quantize).

Training:
    logits, _ = build_classifier(images, ..., is_training=True)
    loss = ...
    quantize.create_training_graph(quant_delay=...)
    train_op = optimizer.minimize(loss)   # gradients see the rewrite

Eval / export:
    build_classifier(images, ..., is_training=False)
    quantize.create_eval_graph()

The signatures and defaults are tf.contrib.quantize's. Project extensions,
after contrib's arguments (docs/QUANTIZATION.md): create_training_graph's
freeze_bn_delay; symmetric_weights (weights quantized to a range centred on
0, for int8 engines, while activations keep asymmetric ranges; contrib's
`symmetric` centres both); for training graphs folded_batch_norm_gradient
(the batch norm's gradient taken on the folded layer, so that the original
layer runs forwards only) and single_conv_fold (one convolution per layer:
the folded one, followed by the model's own batch norm).
"""

from absl import logging
import tensorflow.compat.v1 as tf

from quantize.python import common
from quantize.python import fold_batch_norms
from quantize.python import quantize


def create_training_graph(input_graph=None, quant_delay=0,
                          freeze_bn_delay=None, *, symmetric_weights=False,
                          folded_batch_norm_gradient=False,
                          single_conv_fold=False):
  """Rewrites a float training graph for quantization-aware training, in place.

  Call it after building the model and loss and before the optimizer.

  Args:
    input_graph: the graph to rewrite; the default graph if None.
    quant_delay: the quantization step (a counter the rewrite creates and
      every training step increments) from which weights and activations
      are quantized; the ranges learn from the start.
    freeze_bn_delay: project extension: the quantization step from which the
      folded batch norms use their moving averages and stop updating them;
      None (tf.contrib.quantize's behaviour here) never.
    symmetric_weights: project extension: weight ranges centred on 0.
    folded_batch_norm_gradient: project extension: fused batch norms take
      their gradient on the folded layer; the original layer runs forwards
      only (cheaper; the same gradients until quantization starts, then
      they differ by the weights' quantization error).
    single_conv_fold: project extension: fused training-mode batch norms
      are folded with one convolution per layer (single_conv_fold.py): the
      layer runs on the folded, fake-quantized weights, its output divided
      by gamma / sigma_moving feeds the model's own batch norm; from
      freeze_bn_delay on, the eval fold. Overrides
      folded_batch_norm_gradient for those batch norms. The variables, and
      the eval graph, are the default fold's.

  Raises:
    ValueError: for bad arguments, or a graph whose optimizer or gradients
      are already built.
  """
  _create_graph(input_graph=input_graph, is_training=True,
                quant_delay=quant_delay, freeze_bn_delay=freeze_bn_delay,
                symmetric_weights=symmetric_weights,
                folded_batch_norm_gradient=folded_batch_norm_gradient,
                single_conv_fold=single_conv_fold)


def create_eval_graph(input_graph=None, *, symmetric_weights=False):
  """Rewrites a float inference graph into its fake-quantized form, in place.

  The result, with a checkpoint of a quantized training run, converts to a
  fully quantized TensorFlow Lite model.

  Args:
    input_graph: the graph to rewrite; the default graph if None.
    symmetric_weights: project extension, accepted for symmetry with
      create_training_graph: eval graphs read the learned ranges, so it
      changes nothing.

  Raises:
    ValueError: for a batch norm in training mode.
  """
  _create_graph(input_graph=input_graph, is_training=False,
                symmetric_weights=symmetric_weights)


def experimental_create_training_graph(input_graph=None, weight_bits=8,
                                       activation_bits=8, symmetric=False,
                                       quant_delay=0, freeze_bn_delay=None,
                                       scope=None, *,
                                       symmetric_weights=False,
                                       folded_batch_norm_gradient=False,
                                       single_conv_fold=False):
  """create_training_graph with bit widths, symmetric ranges and a scope.

  Args:
    input_graph: the graph to rewrite; the default graph if None.
    weight_bits: bits of the weight quantizers (2 to 16).
    activation_bits: bits of the activation quantizers (2 to 16).
    symmetric: ranges centred on 0, for weights and activations.
    quant_delay: as create_training_graph's.
    freeze_bn_delay: the quantization step from which the folded batch norms
      use their moving averages and stop updating them; None never.
    scope: only quantize ops whose names start with this (batch norms are
      folded everywhere).
    symmetric_weights: project extension: weight ranges centred on 0.
    folded_batch_norm_gradient: project extension, as create_training_graph's.
    single_conv_fold: project extension, as create_training_graph's.
  """
  _create_graph(input_graph=input_graph, is_training=True,
                weight_bits=weight_bits, activation_bits=activation_bits,
                symmetric=symmetric, quant_delay=quant_delay,
                freeze_bn_delay=freeze_bn_delay, scope=scope,
                symmetric_weights=symmetric_weights,
                folded_batch_norm_gradient=folded_batch_norm_gradient,
                single_conv_fold=single_conv_fold)


def experimental_create_eval_graph(input_graph=None, weight_bits=8,
                                   activation_bits=8, symmetric=False,
                                   quant_delay=None, scope=None, *,
                                   symmetric_weights=False):
  """create_eval_graph with bit widths, symmetric ranges and a scope.

  quant_delay, as in tf.contrib.quantize, makes the eval graph pass values
  through unquantized for its first quant_delay runs.
  """
  _create_graph(input_graph=input_graph, is_training=False,
                weight_bits=weight_bits, activation_bits=activation_bits,
                symmetric=symmetric, quant_delay=quant_delay, scope=scope,
                symmetric_weights=symmetric_weights)


def _check_delay(name, value):
  if value is not None and (isinstance(value, bool) or
                            not isinstance(value, int)):
    raise ValueError('%s must be None or an integer, got %r' % (name, value))


def _check_bits(name, value):
  if isinstance(value, bool) or not isinstance(value, int) or not (
      2 <= value <= 16):
    raise ValueError('%s must be an integer from 2 to 16, got %r' %
                     (name, value))


def _check_for_training_ops(graph):
  """Refuses a graph whose optimizer or gradients already exist.

  The rewrite must come after the loss and before the optimizer, so that
  the gradients go through the folded and fake-quantized layers.
  """
  training_ops = common.training_ops(graph)
  if training_ops:
    raise ValueError('Training op found in graph, exiting %s: call '
                     'create_training_graph before creating the optimizer' %
                     set(training_ops))
  gradient = common.first_gradient_consumer(
      [op for op in graph.get_operations()
       if op.type in common.LAYER_OP_TYPES +
       common.FUSED_BATCH_NORM_OP_TYPES])
  if gradient is not None:
    raise ValueError('create_training_graph: the graph already has gradients '
                     '(%s); call it after building the loss and before '
                     'creating the optimizer' % gradient.name)


def _create_graph(input_graph=None, is_training=True, weight_bits=8,
                  activation_bits=8, symmetric=False, quant_delay=None,
                  freeze_bn_delay=None, scope=None, symmetric_weights=False,
                  folded_batch_norm_gradient=False, single_conv_fold=False):
  graph = input_graph if input_graph is not None else tf.get_default_graph()
  _check_delay('quant_delay', quant_delay)
  _check_delay('freeze_bn_delay', freeze_bn_delay)
  _check_bits('weight_bits', weight_bits)
  _check_bits('activation_bits', activation_bits)
  if is_training:
    _check_for_training_ops(graph)
  fold_batch_norms.FoldBatchNorms(
      graph, is_training=is_training,
      freeze_batch_norm_delay=freeze_bn_delay,
      folded_batch_norm_gradient=folded_batch_norm_gradient,
      single_conv_fold=single_conv_fold)
  quantize.Quantize(
      graph, is_training, weight_bits=weight_bits,
      activation_bits=activation_bits, symmetric=symmetric,
      quant_delay=quant_delay, scope=scope,
      symmetric_weights=symmetric_weights)
  if is_training and any(op.type in common.FAKE_QUANT_OP_TYPES
                         for op in graph.get_operations()):
    # In every quantized training graph (tf.contrib.quantize made it only
    # for a delay), so that a checkpoint resumes whatever delays the next
    # run has; it counts the runs of a graph that reads it: one with delays.
    with graph.as_default():
      common.CreateOrGetQuantizationStep()
  logging.info('Rewrote %s graph for quantization',
               'the training' if is_training else 'the eval')
