"""The one builder of MobileNet v1 graphs for training, evaluation and export.

Training, evaluation, export and benchmarks all build the classifier here, so
the arg scope, the batch-norm mode and the quantization rewrite are the same
everywhere. Quantization follows the original scripts: the float model is
built first, then rewritten in place (`quantize.create_training_graph` after
the loss and before the optimizer, `quantize.create_eval_graph` for eval).
"""

import collections

from third_party import tf_slim_compat  # pylint: disable=unused-import

import tensorflow.compat.v1 as tf
import tf_slim as slim

from core import variants
import mobilenet_v1


def build_classifier(images, num_classes, depth_multiplier, is_training,
                     dropout_keep_prob=0.999, batch_norm_decay=None):
  """MobileNet v1 logits and end points under the default arg scope.

  batch_norm_decay: None keeps the arg scope's (the original's 0.9997); short
  runs need a faster one for usable moving statistics.
  """
  scope_kwargs = {}
  if batch_norm_decay is not None:
    scope_kwargs['batch_norm_decay'] = batch_norm_decay
  with slim.arg_scope(mobilenet_v1.mobilenet_v1_arg_scope(
      is_training=is_training, **scope_kwargs)):
    return mobilenet_v1.mobilenet_v1(
        images, num_classes=num_classes, is_training=is_training,
        depth_multiplier=depth_multiplier,
        dropout_keep_prob=dropout_keep_prob,
        global_pool=needs_global_pool(images.shape[1]))


def needs_global_pool(image_size):
  """Whether the classifier must average its whole last feature map.

  The original's 7x7 average pool (stride 2, VALID) leaves a 1x1 map for
  inputs up to 256 px (last feature maps up to 8x8), the published graphs'
  sizes; above that it would leave 2x2 and more, so larger inputs average
  the whole map instead (TF-Slim's global_pool), as any size must work.
  """
  if image_size is None:
    return False
  return -(-int(image_size) // _OUTPUT_STRIDE) > _LARGEST_POOLED_MAP


# MobileNet's stride, and the largest last feature map the fixed pool covers.
_OUTPUT_STRIDE = 32
_LARGEST_POOLED_MAP = 8

TrainingModel = collections.namedtuple(
    'TrainingModel', ['logits', 'end_points', 'total_loss', 'quant_variables'])


def build_training_model(images, labels, num_classes, depth_multiplier,
                         quantize=False, quant_delay=0, freeze_bn_delay=None,
                         batch_norm_decay=None):
  """The training model and its loss in the current default graph.

  As the original mobilenet_v1_train: softmax cross-entropy on one-hot
  labels, then (when quantizing) the fake-quant rewrite after the loss and
  before any optimizer, then the total loss with weight decay.

  Args:
    images: float [B, H, W, 3] in [-1, 1].
    labels: int class ids in [0, num_classes).
    num_classes: logits of the classifier.
    depth_multiplier: MobileNet width multiplier.
    quantize: add fake quantization (quantize.create_training_graph).
    quant_delay: steps of float training before quantization starts.
    freeze_bn_delay: steps after which batch-norm statistics are frozen
      (None: never), passed to the rewrite.
    batch_norm_decay: see build_classifier.

  Returns:
    TrainingModel: logits, end points, the total loss, and the variables the
    quantization rewrite created (its ranges; empty for float).
  """
  logits, end_points = build_classifier(
      images, num_classes, depth_multiplier, is_training=True,
      batch_norm_decay=batch_norm_decay)
  tf.losses.softmax_cross_entropy(tf.one_hot(labels, num_classes), logits)
  before = set(tf.global_variables())
  if quantize:
    import quantize as quantize_lib  # pylint: disable=g-import-not-at-top
    # One convolution per layer (docs/PERFORMANCE.md, the fold's gradient);
    # the variables and the eval graph are contrib's fold's.
    quantize_lib.create_training_graph(quant_delay=quant_delay,
                                       freeze_bn_delay=freeze_bn_delay,
                                       symmetric_weights=True,
                                       single_conv_fold=True)
  global_step = tf.train.get_global_step()
  quant_variables = [v for v in tf.global_variables()
                     if v not in before and v is not global_step]
  total_loss = tf.losses.get_total_loss(name='total_loss')
  return TrainingModel(logits, end_points, total_loss, quant_variables)


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
    quantize_lib.create_eval_graph(symmetric_weights=True)
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
