# Copyright 2026 The MobileNet v1 re-creation authors. All Rights Reserved.
# Licensed under the Apache License, Version 2.0.
"""MobileNet v1: depthwise separable convolutions for mobile vision.

Howard et al., "MobileNets: Efficient Convolutional Neural Networks for Mobile
Vision Applications", arXiv:1704.04861.

A drop-in for TF-Slim's `nets/mobilenet_v1` on tf.compat.v1 graphs: the same
functions, arguments, end points and variable names, so the published
checkpoints restore without any name mapping.

The body is a list of layer definitions (`MOBILENETV1_CONV_DEFS`): one full
convolution followed by 13 depthwise separable ones. Each separable layer is a
3x3 depthwise convolution (`Conv2d_N_depthwise`) followed by a 1x1 pointwise
convolution (`Conv2d_N_pointwise`), both with batch norm and ReLU6.

    with slim.arg_scope(mobilenet_v1.mobilenet_v1_arg_scope()):
      logits, end_points = mobilenet_v1.mobilenet_v1(images, num_classes=1001)

`depth_multiplier` (the paper's width multiplier, alpha) thins every layer;
`output_stride` trades the last strides for atrous convolution, for dense
prediction.
"""

import collections
import functools

from third_party import tf_slim_compat  # pylint: disable=unused-import

import tensorflow.compat.v1 as tf
import tf_slim as slim

# A full convolution: kernel [h, w], stride, output depth (before the
# depth multiplier).
Conv = collections.namedtuple('Conv', ['kernel', 'stride', 'depth'])
# A depthwise 3x3 convolution then a 1x1 pointwise one to `depth` channels.
DepthSepConv = collections.namedtuple('DepthSepConv',
                                      ['kernel', 'stride', 'depth'])

# MobileNet v1 as in Table 1 of the paper: Conv2d_0 .. Conv2d_13.
MOBILENETV1_CONV_DEFS = [
    Conv(kernel=[3, 3], stride=2, depth=32),
    DepthSepConv(kernel=[3, 3], stride=1, depth=64),
    DepthSepConv(kernel=[3, 3], stride=2, depth=128),
    DepthSepConv(kernel=[3, 3], stride=1, depth=128),
    DepthSepConv(kernel=[3, 3], stride=2, depth=256),
    DepthSepConv(kernel=[3, 3], stride=1, depth=256),
    DepthSepConv(kernel=[3, 3], stride=2, depth=512),
    DepthSepConv(kernel=[3, 3], stride=1, depth=512),
    DepthSepConv(kernel=[3, 3], stride=1, depth=512),
    DepthSepConv(kernel=[3, 3], stride=1, depth=512),
    DepthSepConv(kernel=[3, 3], stride=1, depth=512),
    DepthSepConv(kernel=[3, 3], stride=1, depth=512),
    DepthSepConv(kernel=[3, 3], stride=2, depth=1024),
    DepthSepConv(kernel=[3, 3], stride=1, depth=1024),
]
# The name older TF-Slim code used for the same list.
_CONV_DEFS = MOBILENETV1_CONV_DEFS

_ALLOWED_OUTPUT_STRIDES = (8, 16, 32)


def _fixed_padding(inputs, kernel_size, rate=1):
  """Pads height and width so a VALID convolution matches SAME's output size.

  Unlike SAME, the padding does not depend on the input size, which keeps the
  graph identical across resolutions (useful for some accelerators).
  """
  effective = [k + (k - 1) * (rate - 1) for k in kernel_size]
  pad_total = [k - 1 for k in effective]
  pad_beg = [p // 2 for p in pad_total]
  pad_end = [total - beg for total, beg in zip(pad_total, pad_beg)]
  return tf.pad(inputs, [[0, 0], [pad_beg[0], pad_end[0]],
                         [pad_beg[1], pad_end[1]], [0, 0]])


def mobilenet_v1_base(inputs,
                      final_endpoint='Conv2d_13_pointwise',
                      min_depth=8,
                      depth_multiplier=1.0,
                      conv_defs=None,
                      output_stride=None,
                      use_explicit_padding=False,
                      scope=None):
  """Builds MobileNet v1 from the input up to `final_endpoint`.

  Args:
    inputs: a tensor of shape [batch, height, width, channels].
    final_endpoint: the end point to stop at: 'Conv2d_0', 'Conv2d_N_depthwise'
      or 'Conv2d_N_pointwise' for N in 1..13.
    min_depth: no layer is thinner than this, whatever depth_multiplier is
      (applies when depth_multiplier < 1).
    depth_multiplier: multiplies the depth of every convolution; must be > 0.
    conv_defs: the layer list; defaults to MOBILENETV1_CONV_DEFS.
    output_stride: ratio of input to output size, one of 8, 16 or 32. Once
      reached, later strides become atrous rates, so the feature map stays
      this size. None means the normal stride of 32.
    use_explicit_padding: pad explicitly and convolve with VALID padding
      instead of SAME padding.
    scope: optional variable scope; defaults to 'MobilenetV1'.

  Returns:
    The tensor at `final_endpoint` and a dict of every end point built.

  Raises:
    ValueError: for an unknown final_endpoint, depth_multiplier <= 0 or an
      output_stride other than 8, 16 or 32.
  """
  if depth_multiplier <= 0:
    raise ValueError('depth_multiplier is not greater than zero: %r' %
                     (depth_multiplier,))
  if output_stride is not None and output_stride not in _ALLOWED_OUTPUT_STRIDES:
    raise ValueError('output_stride must be one of %s, got %r' %
                     (_ALLOWED_OUTPUT_STRIDES, output_stride))

  def depth(d):
    return max(int(d * depth_multiplier), min_depth)

  conv_defs = conv_defs or MOBILENETV1_CONV_DEFS
  padding = 'VALID' if use_explicit_padding else 'SAME'
  end_points = {}

  with tf.variable_scope(scope, 'MobilenetV1', [inputs]):
    with slim.arg_scope([slim.conv2d, slim.separable_conv2d], padding=padding):
      # The stride reached so far, and the atrous rate of the next layer once
      # output_stride is reached.
      current_stride = 1
      rate = 1
      net = inputs
      for i, conv_def in enumerate(conv_defs):
        if output_stride is not None and current_stride == output_stride:
          layer_stride, layer_rate = 1, rate
          rate *= conv_def.stride
        else:
          layer_stride, layer_rate = conv_def.stride, 1
          current_stride *= conv_def.stride

        name = 'Conv2d_%d' % i
        if isinstance(conv_def, Conv):
          if use_explicit_padding:
            net = _fixed_padding(net, conv_def.kernel)
          net = slim.conv2d(net, depth(conv_def.depth), conv_def.kernel,
                            stride=layer_stride, scope=name)
          end_points[name] = net
          if name == final_endpoint:
            return net, end_points

        elif isinstance(conv_def, DepthSepConv):
          if use_explicit_padding:
            net = _fixed_padding(net, conv_def.kernel, layer_rate)
          # num_outputs=None: depthwise only, no pointwise part.
          net = slim.separable_conv2d(net, None, conv_def.kernel,
                                      depth_multiplier=1, stride=layer_stride,
                                      rate=layer_rate,
                                      scope=name + '_depthwise')
          end_points[name + '_depthwise'] = net
          if name + '_depthwise' == final_endpoint:
            return net, end_points

          net = slim.conv2d(net, depth(conv_def.depth), [1, 1], stride=1,
                            scope=name + '_pointwise')
          end_points[name + '_pointwise'] = net
          if name + '_pointwise' == final_endpoint:
            return net, end_points

        else:
          raise ValueError('Unknown layer type %s for layer %d' %
                           (type(conv_def).__name__, i))
  raise ValueError('Unknown final endpoint %s' % final_endpoint)


def mobilenet_v1(inputs,
                 num_classes=1000,
                 dropout_keep_prob=0.999,
                 is_training=True,
                 min_depth=8,
                 depth_multiplier=1.0,
                 conv_defs=None,
                 prediction_fn=slim.softmax,
                 spatial_squeeze=True,
                 reuse=None,
                 scope='MobilenetV1',
                 global_pool=False):
  """The MobileNet v1 classifier.

  Args:
    inputs: a tensor of shape [batch, height, width, channels]; batch, height
      and width may be unknown.
    num_classes: number of predicted classes (1001 for the published ImageNet
      models, class 0 being background). 0 or None returns the pre-logits
      features, the output of the average pool.
    dropout_keep_prob: fraction of activations kept by dropout.
    is_training: whether batch norm and dropout are in training mode.
    min_depth: see mobilenet_v1_base.
    depth_multiplier: see mobilenet_v1_base.
    conv_defs: see mobilenet_v1_base.
    prediction_fn: turns logits into predictions (softmax).
    spatial_squeeze: squeeze the 1x1 spatial dimensions of the logits.
    reuse: whether to reuse the variables of an earlier call with this scope.
    scope: variable scope.
    global_pool: average over the whole feature map whatever its size, instead
      of a fixed 7x7 (or smaller) window.

  Returns:
    The logits ([batch, num_classes]) or, when num_classes is 0 or None, the
    pooled features, and a dict of end points.

  Raises:
    ValueError: if the input is not of rank 4.
  """
  input_shape = inputs.get_shape().as_list()
  if len(input_shape) != 4:
    raise ValueError('Invalid input tensor rank, expected 4, was: %d' %
                     len(input_shape))

  with tf.variable_scope(
      scope, 'MobilenetV1', [inputs], reuse=reuse) as scope:
    with slim.arg_scope([slim.batch_norm, slim.dropout],
                        is_training=is_training):
      net, end_points = mobilenet_v1_base(inputs, scope=scope,
                                          min_depth=min_depth,
                                          depth_multiplier=depth_multiplier,
                                          conv_defs=conv_defs)
      with tf.variable_scope('Logits'):
        if global_pool:
          net = tf.reduce_mean(net, [1, 2], keepdims=True, name='global_pool')
          end_points['global_pool'] = net
        else:
          kernel_size = _reduced_kernel_size_for_small_input(net, [7, 7])
          net = slim.avg_pool2d(net, kernel_size, padding='VALID',
                                scope='AvgPool_1a')
          end_points['AvgPool_1a'] = net
        if not num_classes:
          return net, end_points
        net = slim.dropout(net, keep_prob=dropout_keep_prob, scope='Dropout_1b')
        logits = slim.conv2d(net, num_classes, [1, 1], activation_fn=None,
                             normalizer_fn=None, scope='Conv2d_1c_1x1')
        if spatial_squeeze:
          logits = tf.squeeze(logits, [1, 2], name='SpatialSqueeze')
    end_points['Logits'] = logits
    if prediction_fn:
      end_points['Predictions'] = prediction_fn(logits, scope='Predictions')
  return logits, end_points


mobilenet_v1.default_image_size = 224


def wrapped_partial(func, *args, **kwargs):
  """functools.partial that keeps the wrapped function's name and attributes."""
  partial = functools.partial(func, *args, **kwargs)
  functools.update_wrapper(partial, func)
  return partial


mobilenet_v1_075 = wrapped_partial(mobilenet_v1, depth_multiplier=0.75)
mobilenet_v1_050 = wrapped_partial(mobilenet_v1, depth_multiplier=0.50)
mobilenet_v1_025 = wrapped_partial(mobilenet_v1, depth_multiplier=0.25)


def _reduced_kernel_size_for_small_input(input_tensor, kernel_size):
  """Shrinks the pooling window to the feature map when that is smaller.

  With unknown spatial dimensions the window is left as it is; use
  global_pool for inputs of any size.
  """
  shape = input_tensor.get_shape().as_list()
  if shape[1] is None or shape[2] is None:
    return kernel_size
  return [min(shape[1], kernel_size[0]), min(shape[2], kernel_size[1])]


def mobilenet_v1_arg_scope(
    is_training=True,
    weight_decay=0.00004,
    stddev=0.09,
    regularize_depthwise=False,
    batch_norm_decay=0.9997,
    batch_norm_epsilon=0.001,
    batch_norm_updates_collections=tf.GraphKeys.UPDATE_OPS,
    normalizer_fn=slim.batch_norm):
  """The default layer arguments of MobileNet v1.

  Args:
    is_training: batch norm mode; None leaves it out of the scope so that an
      enclosing scope (or mobilenet_v1's own is_training) decides.
    weight_decay: L2 weight decay of the convolution weights.
    stddev: standard deviation of the truncated normal weight initializer.
    regularize_depthwise: also apply weight decay to depthwise weights.
    batch_norm_decay: decay of the batch-norm moving averages.
    batch_norm_epsilon: added to the variance to avoid dividing by zero.
    batch_norm_updates_collections: collection of the moving-average updates.
    normalizer_fn: normalisation after each convolution.

  Returns:
    An arg_scope for mobilenet_v1.
  """
  # A beta and no gamma per channel, as in the published checkpoints (this
  # is what gives the table's 4.24 M parameters for depth multiplier 1.0).
  batch_norm_params = {
      'center': True,
      'scale': False,
      'decay': batch_norm_decay,
      'epsilon': batch_norm_epsilon,
      'updates_collections': batch_norm_updates_collections,
  }
  if is_training is not None:
    batch_norm_params['is_training'] = is_training

  weights_init = tf.truncated_normal_initializer(stddev=stddev)
  regularizer = slim.l2_regularizer(weight_decay)
  depthwise_regularizer = regularizer if regularize_depthwise else None

  with slim.arg_scope([slim.conv2d, slim.separable_conv2d],
                      weights_initializer=weights_init,
                      activation_fn=tf.nn.relu6,
                      normalizer_fn=normalizer_fn):
    with slim.arg_scope([slim.batch_norm], **batch_norm_params):
      with slim.arg_scope([slim.conv2d], weights_regularizer=regularizer):
        with slim.arg_scope([slim.separable_conv2d],
                            weights_regularizer=depthwise_regularizer) as sc:
          return sc
