"""The public entry points: rewrite a built float graph for quantized training or eval.

As with tf.contrib.quantize, the model is built as usual and then rewritten
in place: batch norms are folded into the layers before them, then fake-quant
ops are inserted at the weights and outputs of every layer.

Training:
    logits, _ = build_classifier(images, ..., is_training=True)
    loss = ...
    quantize.create_training_graph(quant_delay=..., freeze_bn_delay=...)
    train_op = optimizer.minimize(loss)   # gradients see the rewrite

Eval / export:
    build_classifier(images, ..., is_training=False)
    quantize.create_eval_graph()
"""

import tensorflow.compat.v1 as tf

from quantize import common
from quantize import fold_batch_norms
from quantize import insert_fake_quant

_ACTIVATION_EMA_DECAY = 0.999


def _rewrite(input_graph, is_training, weight_bits, activation_bits,
             quant_delay, freeze_bn_delay, scope):
  graph = input_graph if input_graph is not None else tf.get_default_graph()
  common.check_delay('quant_delay', quant_delay)
  common.check_delay('freeze_bn_delay', freeze_bn_delay)
  common.check_bits('weight_bits', weight_bits)
  common.check_bits('activation_bits', activation_bits)
  common.check_not_rewritten(graph)
  if is_training:
    common.check_no_gradients(
        [op for op in graph.get_operations()
         if op.type in common.LAYER_OP_TYPES + common.BATCH_NORM_OP_TYPES],
        'create_training_graph')
  # The rewrites below do not validate their arguments again: this is the
  # one place that does (eval graphs come with both delays None).
  folded = fold_batch_norms.FoldBatchNorms(
      graph, is_training=is_training,
      freeze_batch_norm_delay=freeze_bn_delay, scope=scope)
  return insert_fake_quant.Quantize(
      graph, is_training=is_training, weight_bits=weight_bits,
      activation_bits=activation_bits, ema_decay=_ACTIVATION_EMA_DECAY,
      quant_delay=quant_delay, scope=scope,
      skip_ops=[original for original, _ in folded])


def create_training_graph(input_graph=None, quant_delay=0,
                          freeze_bn_delay=None):
  """Rewrites a float training graph for quantization-aware training, in place.

  Call it after building the model and loss and before the optimizer.

  Args:
    input_graph: the graph to rewrite; the default graph if None.
    quant_delay: the global step from which weights and activations are
      quantized (float before; the ranges are learned from the start).
    freeze_bn_delay: the global step from which the folded batch norms use
      their moving mean and variance instead of batch statistics; None never
      switches.

  Raises:
    ValueError: for a graph already rewritten, one with no layer to
      quantize, one whose gradients are already built, or bad arguments.
  """
  experimental_create_training_graph(
      input_graph=input_graph, quant_delay=quant_delay,
      freeze_bn_delay=freeze_bn_delay)


def create_eval_graph(input_graph=None):
  """Rewrites a float inference graph into its fake-quantized form, in place.

  The result, frozen with a checkpoint of a quantized training run, converts
  to a fully quantized TensorFlow Lite model.

  Args:
    input_graph: the graph to rewrite; the default graph if None.

  Raises:
    ValueError: for a graph already rewritten, one with no layer to
      quantize, or batch norms in training mode.
  """
  experimental_create_eval_graph(input_graph=input_graph)


def experimental_create_training_graph(input_graph=None, weight_bits=8,
                                       activation_bits=8, quant_delay=0,
                                       freeze_bn_delay=None, scope=None):
  """create_training_graph with bit widths and a scope to limit the rewrite.

  Returns:
    The variable scopes of the quantizers inserted.
  """
  return _rewrite(input_graph, True, weight_bits, activation_bits,
                  quant_delay, freeze_bn_delay, scope)


def experimental_create_eval_graph(input_graph=None, weight_bits=8,
                                   activation_bits=8, scope=None):
  """create_eval_graph with bit widths and a scope to limit the rewrite.

  Returns:
    The variable scopes of the quantizers inserted.
  """
  return _rewrite(input_graph, False, weight_bits, activation_bits, None,
                  None, scope)
