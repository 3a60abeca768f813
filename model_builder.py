"""The one builder of MobileNet v1 graphs for training, evaluation and export.

Training, evaluation, export and benchmarks all build the classifier here, so
the arg scope, the batch-norm mode and the quantization rewrite are the same
everywhere. Quantization follows the original scripts: the float model is
built first, then rewritten in place (`quantize.create_training_graph` after
the loss and before the optimizer, `quantize.create_eval_graph` for eval).
"""

from third_party import tf_slim_compat  # pylint: disable=unused-import

import tensorflow.compat.v1 as tf
import tf_slim as slim

import mobilenet_v1
import variants


def build_classifier(images, num_classes, depth_multiplier, is_training,
                     dropout_keep_prob=0.999):
  """MobileNet v1 logits and end points under the default arg scope."""
  with slim.arg_scope(mobilenet_v1.mobilenet_v1_arg_scope(
      is_training=is_training)):
    return mobilenet_v1.mobilenet_v1(
        images, num_classes=num_classes, is_training=is_training,
        depth_multiplier=depth_multiplier,
        dropout_keep_prob=dropout_keep_prob)


def build_eval_model(images, num_classes, depth_multiplier, quantize):
  """The inference graph in the current default graph: float or fake-quant.

  Returns the logits and end points; end_points['Predictions'] is named
  variants.OUTPUT_NODE when `images` is the graph's first input.
  """
  logits, end_points = build_classifier(images, num_classes, depth_multiplier,
                                        is_training=False)
  if quantize:
    # Imported here so float-only users do not pay for the rewrite modules.
    import quantize as quantize_lib  # pylint: disable=g-import-not-at-top
    quantize_lib.create_eval_graph()
  return logits, end_points


def build_inference_graph(depth_multiplier, image_size, num_classes, quantize):
  """A new graph with a float `input` [1, H, W, 3] placeholder and the model.

  This is the graph that export freezes and converts: input and output names
  are those of the published frozen graphs (variants.INPUT_NODE,
  variants.OUTPUT_NODE).
  """
  graph = tf.Graph()
  with graph.as_default():
    images = tf.placeholder(tf.float32, [1, image_size, image_size, 3],
                            name=variants.INPUT_NODE)
    build_eval_model(images, num_classes, depth_multiplier, quantize)
  return graph
