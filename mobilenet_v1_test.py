"""Tests for mobilenet_v1: API, end points, shapes and checkpoint names."""

from third_party import tf_slim_compat  # pylint: disable=unused-import

import numpy as np
import tensorflow.compat.v1 as tf
import tf_slim as slim

import mobilenet_v1

# Output depth of every layer for depth multiplier 1.0, from Table 1 of the
# paper (written out here rather than read from MOBILENETV1_CONV_DEFS, so a
# wrong definition list fails the test).
_DEPTHS = [32, 64, 128, 128, 256, 256, 512, 512, 512, 512, 512, 512, 1024,
           1024]
_STRIDES = [2, 1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1]


def _all_end_point_names():
  names = ['Conv2d_0']
  for i in range(1, 14):
    names += ['Conv2d_%d_depthwise' % i, 'Conv2d_%d_pointwise' % i]
  return names


class MobilenetV1Test(tf.test.TestCase):

  def setUp(self):
    super().setUp()
    tf.reset_default_graph()

  def _inputs(self, batch=2, height=224, width=224):
    return tf.random_uniform((batch, height, width, 3))

  def test_public_api(self):
    self.assertEqual(mobilenet_v1.Conv._fields, ('kernel', 'stride', 'depth'))
    self.assertEqual(mobilenet_v1.DepthSepConv._fields,
                     ('kernel', 'stride', 'depth'))
    defs = mobilenet_v1.MOBILENETV1_CONV_DEFS
    self.assertIsInstance(defs[0], mobilenet_v1.Conv)
    self.assertTrue(all(isinstance(d, mobilenet_v1.DepthSepConv)
                        for d in defs[1:]))
    self.assertEqual([d.depth for d in defs], _DEPTHS)
    self.assertEqual([d.stride for d in defs], _STRIDES)
    self.assertEqual(mobilenet_v1.mobilenet_v1.default_image_size, 224)
    for fn, multiplier in [(mobilenet_v1.mobilenet_v1_075, 0.75),
                           (mobilenet_v1.mobilenet_v1_050, 0.5),
                           (mobilenet_v1.mobilenet_v1_025, 0.25)]:
      self.assertEqual(fn.keywords['depth_multiplier'], multiplier)
      self.assertEqual(fn.default_image_size, 224)
      self.assertEqual(fn.__name__, 'mobilenet_v1')

  def test_classifier_logits_and_predictions(self):
    logits, end_points = mobilenet_v1.mobilenet_v1(self._inputs(),
                                                   num_classes=1000)
    self.assertTrue(logits.op.name.startswith('MobilenetV1/Logits'))
    self.assertEqual(logits.shape.as_list(), [2, 1000])
    self.assertEqual(end_points['Predictions'].shape.as_list(), [2, 1000])
    self.assertEqual(end_points['Predictions'].op.name,
                     'MobilenetV1/Predictions/Reshape_1')

  def test_base_end_points_and_shapes(self):
    net, end_points = mobilenet_v1.mobilenet_v1_base(self._inputs())
    self.assertTrue(net.op.name.startswith('MobilenetV1/Conv2d_13'))
    self.assertEqual(net.shape.as_list(), [2, 7, 7, 1024])
    self.assertCountEqual(end_points.keys(), _all_end_point_names())
    size = 224
    for i, (depth, stride) in enumerate(zip(_DEPTHS, _STRIDES)):
      size = -(-size // stride)
      if i == 0:
        self.assertEqual(end_points['Conv2d_0'].shape.as_list(),
                         [2, size, size, depth])
        continue
      previous = _DEPTHS[i - 1]
      self.assertEqual(end_points['Conv2d_%d_depthwise' % i].shape.as_list(),
                       [2, size, size, previous])
      self.assertEqual(end_points['Conv2d_%d_pointwise' % i].shape.as_list(),
                       [2, size, size, depth])

  def test_each_final_endpoint_stops_there(self):
    names = _all_end_point_names()
    for index, name in enumerate(names):
      with tf.Graph().as_default():
        net, end_points = mobilenet_v1.mobilenet_v1_base(
            self._inputs(batch=1, height=64, width=64), final_endpoint=name,
            depth_multiplier=0.25)
        self.assertIs(net, end_points[name])
        self.assertCountEqual(end_points.keys(), names[:index + 1])

  def test_unknown_final_endpoint(self):
    with self.assertRaisesRegex(ValueError, 'Unknown final endpoint'):
      mobilenet_v1.mobilenet_v1_base(self._inputs(), final_endpoint='Nope')

  def test_depth_multiplier_thins_layers_with_min_depth(self):
    _, end_points = mobilenet_v1.mobilenet_v1_base(
        self._inputs(), depth_multiplier=0.1, min_depth=8)
    for i, depth in enumerate(_DEPTHS):
      name = 'Conv2d_0' if i == 0 else 'Conv2d_%d_pointwise' % i
      self.assertEqual(end_points[name].shape[-1], max(int(depth * 0.1), 8))

  def test_min_depth_is_respected(self):
    net, _ = mobilenet_v1.mobilenet_v1_base(
        self._inputs(), depth_multiplier=0.01, min_depth=16)
    self.assertEqual(net.shape[-1], 16)

  def test_non_positive_depth_multiplier_raises(self):
    for multiplier in (0.0, -0.5):
      with self.assertRaisesRegex(ValueError, 'depth_multiplier'):
        mobilenet_v1.mobilenet_v1_base(self._inputs(),
                                       depth_multiplier=multiplier)
      with self.assertRaisesRegex(ValueError, 'depth_multiplier'):
        mobilenet_v1.mobilenet_v1(self._inputs(), depth_multiplier=multiplier)

  def test_output_stride(self):
    for output_stride, size in [(8, 28), (16, 14), (32, 7)]:
      with tf.Graph().as_default():
        net, end_points = mobilenet_v1.mobilenet_v1_base(
            self._inputs(), output_stride=output_stride)
        self.assertEqual(net.shape.as_list(), [2, size, size, 1024])
        self.assertEqual(end_points['Conv2d_13_depthwise'].shape[1], size)
    with self.assertRaisesRegex(ValueError, 'output_stride'):
      mobilenet_v1.mobilenet_v1_base(self._inputs(), output_stride=4)

  def test_output_stride_uses_atrous_convolution(self):
    _, end_points = mobilenet_v1.mobilenet_v1_base(self._inputs(),
                                                   output_stride=8)
    graph = tf.get_default_graph()
    # After Conv2d_5 (stride 8) the stride-2 layers 6 and 12 turn into rates
    # 2 and 4 for the layers that follow them.
    rates = {}
    for i in (6, 7, 12, 13):
      scope = 'MobilenetV1/Conv2d_%d_depthwise/' % i
      depthwise = [op for op in graph.get_operations()
                   if op.name.startswith(scope) and
                   op.type == 'DepthwiseConv2dNative']
      self.assertLen(depthwise, 1)
      rates[i] = depthwise[0].get_attr('dilations')[1]
      # slim expresses atrous depthwise convolution either as a dilation or
      # as SpaceToBatchND around a dense one; accept both.
      if rates[i] == 1:
        rates[i] = 'space_to_batch' if any(
            op.name.startswith(scope) and op.type == 'SpaceToBatchND'
            for op in graph.get_operations()) else 1
    self.assertEqual(rates[6], 1)
    self.assertNotEqual(rates[7], 1)
    self.assertNotEqual(rates[13], 1)
    self.assertEqual(end_points['Conv2d_13_pointwise'].shape.as_list(),
                     [2, 28, 28, 1024])

  def test_explicit_padding(self):
    for output_stride in (None, 8, 16):
      with tf.Graph().as_default():
        inputs = self._inputs()
        padded, _ = mobilenet_v1.mobilenet_v1_base(
            inputs, output_stride=output_stride, use_explicit_padding=True)
        same, _ = mobilenet_v1.mobilenet_v1_base(
            inputs, output_stride=output_stride, scope='Same')
        self.assertEqual(padded.shape.as_list(), same.shape.as_list())
        graph = tf.get_default_graph()
        convs = [op for op in graph.get_operations()
                 if op.name.startswith('MobilenetV1/') and
                 op.type in ('Conv2D', 'DepthwiseConv2dNative')]
        self.assertTrue(convs)
        self.assertTrue(all(op.get_attr('padding') == b'VALID'
                            for op in convs))
        self.assertTrue(any(op.type in ('Pad', 'PadV2')
                            for op in graph.get_operations()
                            if op.name.startswith('MobilenetV1/')))

  def test_explicit_padding_matches_same_padding_numerically(self):
    images = np.random.RandomState(0).uniform(
        -1, 1, (1, 33, 33, 3)).astype(np.float32)
    inputs = tf.constant(images)
    with slim.arg_scope(mobilenet_v1.mobilenet_v1_arg_scope(
        is_training=False)):
      padded, _ = mobilenet_v1.mobilenet_v1_base(
          inputs, final_endpoint='Conv2d_2_pointwise', depth_multiplier=0.25,
          use_explicit_padding=True, scope='Net')
      same, _ = mobilenet_v1.mobilenet_v1_base(
          inputs, final_endpoint='Conv2d_2_pointwise', depth_multiplier=0.25,
          scope='Net2')
    net_vars = slim.get_variables('Net/')
    copies = [tf.assign(slim.get_variables('Net2/' + v.op.name[4:])[0], v)
              for v in net_vars]
    with self.cached_session() as sess:
      sess.run(tf.global_variables_initializer())
      sess.run(copies)
      out_padded, out_same = sess.run([padded, same])
    # With odd sizes at every stride-2 layer (33 -> 17 -> 9), SAME pads one
    # pixel on each side, exactly as explicit padding does, so the outputs
    # are equal; with even sizes they would not be.
    self.assertEqual(out_padded.shape, (1, 9, 9, 32))
    self.assertGreater(np.abs(out_same).max(), 0.0)
    self.assertAllClose(out_padded, out_same, atol=1e-5)

  def test_global_pool_any_input_size(self):
    inputs = tf.placeholder(tf.float32, (1, None, None, 3))
    logits, end_points = mobilenet_v1.mobilenet_v1(
        inputs, num_classes=10, depth_multiplier=0.25, global_pool=True)
    self.assertEqual(end_points['global_pool'].shape.as_list(),
                     [1, 1, 1, 256])
    self.assertEqual(logits.shape.as_list(), [1, 10])
    with self.cached_session() as sess:
      sess.run(tf.global_variables_initializer())
      for height, width in [(64, 64), (100, 37), (300, 200)]:
        out = sess.run(logits, {inputs: np.zeros((1, height, width, 3))})
        self.assertEqual(out.shape, (1, 10))

  def test_unknown_batch_and_spatial_size(self):
    inputs = tf.placeholder(tf.float32, (None, None, None, 3))
    logits, end_points = mobilenet_v1.mobilenet_v1(
        inputs, num_classes=10, depth_multiplier=0.25, global_pool=True)
    self.assertEqual(logits.shape.as_list(), [None, 10])
    self.assertEqual(end_points['Conv2d_13_pointwise'].shape.as_list(),
                     [None, None, None, 256])
    with self.cached_session() as sess:
      sess.run(tf.global_variables_initializer())
      out = sess.run(logits, {inputs: np.zeros((3, 64, 48, 3))})
    self.assertEqual(out.shape, (3, 10))

  def test_unknown_batch_size(self):
    inputs = tf.placeholder(tf.float32, (None, 224, 224, 3))
    logits, _ = mobilenet_v1.mobilenet_v1(inputs, num_classes=1000)
    self.assertEqual(logits.shape.as_list(), [None, 1000])

  def test_num_classes_none_returns_pre_logits(self):
    for num_classes in (None, 0):
      with tf.Graph().as_default():
        net, end_points = mobilenet_v1.mobilenet_v1(
            self._inputs(), num_classes=num_classes)
        self.assertEqual(net.shape.as_list(), [2, 1, 1, 1024])
        self.assertNotIn('Logits', end_points)
        self.assertNotIn('Predictions', end_points)
        self.assertFalse(slim.get_variables('MobilenetV1/Logits'))

  def test_spatial_squeeze_off(self):
    logits, _ = mobilenet_v1.mobilenet_v1(self._inputs(), num_classes=10,
                                          spatial_squeeze=False)
    self.assertEqual(logits.shape.as_list(), [2, 1, 1, 10])

  def test_reduced_pooling_kernel_for_small_input(self):
    _, end_points = mobilenet_v1.mobilenet_v1(
        self._inputs(height=112, width=128), num_classes=10)
    pool = end_points['AvgPool_1a']
    self.assertEqual(pool.shape.as_list(), [2, 1, 1, 1024])
    self.assertEqual(pool.op.get_attr('ksize'), [1, 4, 4, 1])
    with tf.Graph().as_default():
      _, end_points = mobilenet_v1.mobilenet_v1(self._inputs(), num_classes=10)
      self.assertEqual(end_points['AvgPool_1a'].op.get_attr('ksize'),
                       [1, 7, 7, 1])

  def test_reuse_shares_variables(self):
    mobilenet_v1.mobilenet_v1(self._inputs(), num_classes=10)
    count = len(tf.global_variables())
    mobilenet_v1.mobilenet_v1(self._inputs(), num_classes=10, reuse=True)
    self.assertEqual(len(tf.global_variables()), count)
    with self.assertRaises(ValueError):
      mobilenet_v1.mobilenet_v1(self._inputs(), num_classes=10, reuse=False)

  def test_invalid_input_rank(self):
    with self.assertRaisesRegex(ValueError, 'rank'):
      mobilenet_v1.mobilenet_v1(tf.zeros((224, 224, 3)))

  def test_checkpoint_variable_names_and_shapes_1_0_224(self):
    inputs = tf.placeholder(tf.float32, (1, 224, 224, 3), name='input')
    with slim.arg_scope(mobilenet_v1.mobilenet_v1_arg_scope()):
      mobilenet_v1.mobilenet_v1(inputs, num_classes=1001)
    actual = {v.op.name: v.shape.as_list() for v in tf.global_variables()}

    expected = {}

    def add_conv(scope, weights_name, shape, channels):
      expected['MobilenetV1/%s/%s' % (scope, weights_name)] = shape
      for stat in ('beta', 'moving_mean', 'moving_variance'):
        expected['MobilenetV1/%s/BatchNorm/%s' % (scope, stat)] = [channels]

    add_conv('Conv2d_0', 'weights', [3, 3, 3, 32], 32)
    for i in range(1, 14):
      inputs_depth, depth = _DEPTHS[i - 1], _DEPTHS[i]
      add_conv('Conv2d_%d_depthwise' % i, 'depthwise_weights',
               [3, 3, inputs_depth, 1], inputs_depth)
      add_conv('Conv2d_%d_pointwise' % i, 'weights',
               [1, 1, inputs_depth, depth], depth)
    expected['MobilenetV1/Logits/Conv2d_1c_1x1/weights'] = [1, 1, 1024, 1001]
    expected['MobilenetV1/Logits/Conv2d_1c_1x1/biases'] = [1001]

    self.assertDictEqual(actual, expected)
    self.assertEqual(sum(np.prod(s) for s in actual.values()), 4243945)
    self.assertEqual(tf.get_default_graph().get_tensor_by_name(
        'MobilenetV1/Predictions/Reshape_1:0').shape.as_list(), [1, 1001])

  def test_arg_scope_defaults(self):
    scope = mobilenet_v1.mobilenet_v1_arg_scope()
    batch_norm = scope[slim.arg_scope_func_key(slim.batch_norm)]
    self.assertEqual(batch_norm['decay'], 0.9997)
    self.assertEqual(batch_norm['epsilon'], 0.001)
    self.assertTrue(batch_norm['is_training'])
    self.assertEqual(batch_norm['updates_collections'],
                     tf.GraphKeys.UPDATE_OPS)
    conv = scope[slim.arg_scope_func_key(slim.conv2d)]
    self.assertIs(conv['activation_fn'], tf.nn.relu6)
    self.assertIs(conv['normalizer_fn'], slim.batch_norm)
    self.assertIsNotNone(conv['weights_regularizer'])
    separable = scope[slim.arg_scope_func_key(slim.separable_conv2d)]
    self.assertIsNone(separable['weights_regularizer'])
    regularized = mobilenet_v1.mobilenet_v1_arg_scope(
        regularize_depthwise=True)
    self.assertIsNotNone(regularized[slim.arg_scope_func_key(
        slim.separable_conv2d)]['weights_regularizer'])

  def test_arg_scope_is_training_none_leaves_it_out(self):
    scope = mobilenet_v1.mobilenet_v1_arg_scope(is_training=None)
    batch_norm = scope[slim.arg_scope_func_key(slim.batch_norm)]
    self.assertNotIn('is_training', batch_norm)
    # The network's own is_training then decides the batch-norm mode.
    with slim.arg_scope(scope):
      mobilenet_v1.mobilenet_v1(self._inputs(batch=1, height=64, width=64),
                                num_classes=10, is_training=False,
                                depth_multiplier=0.25)
    types = {op.type for op in tf.get_default_graph().get_operations()}
    self.assertNotIn('AssignMovingAvg', ' '.join(
        op.name for op in tf.get_default_graph().get_operations()))
    self.assertTrue(types & {'FusedBatchNormV3', 'FusedBatchNorm'})

  def test_weight_decay_losses(self):
    with slim.arg_scope(mobilenet_v1.mobilenet_v1_arg_scope(
        weight_decay=0.01)):
      mobilenet_v1.mobilenet_v1(self._inputs(batch=1, height=64, width=64),
                                num_classes=10, depth_multiplier=0.25)
    losses = tf.losses.get_regularization_losses()
    # Conv2d_0, 13 pointwise and the logits; depthwise is not regularized.
    self.assertLen(losses, 15)

  def test_training_updates_moving_statistics(self):
    with slim.arg_scope(mobilenet_v1.mobilenet_v1_arg_scope(
        is_training=True)):
      logits, _ = mobilenet_v1.mobilenet_v1(
          self._inputs(batch=4, height=32, width=32), num_classes=10,
          depth_multiplier=0.25)
    updates = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
    # One mean and one variance update per batch-norm layer (27 of them).
    self.assertLen(updates, 2 * 27)
    mean = slim.get_variables_by_name('Conv2d_0/BatchNorm/moving_mean')[0]
    with self.cached_session() as sess:
      sess.run(tf.global_variables_initializer())
      before = sess.run(mean)
      sess.run([logits] + updates)
      after = sess.run(mean)
    self.assertFalse(np.allclose(before, after))

  def test_eval_mode_is_deterministic(self):
    inputs = tf.constant(np.random.RandomState(1).uniform(
        -1, 1, (2, 48, 48, 3)).astype(np.float32))
    with slim.arg_scope(mobilenet_v1.mobilenet_v1_arg_scope(
        is_training=False)):
      _, end_points = mobilenet_v1.mobilenet_v1(
          inputs, num_classes=5, depth_multiplier=0.25, is_training=False)
    predictions = end_points['Predictions']
    with self.cached_session() as sess:
      sess.run(tf.global_variables_initializer())
      first, second = sess.run(predictions), sess.run(predictions)
    self.assertAllClose(first, second)
    self.assertAllClose(first.sum(axis=1), [1.0, 1.0], atol=1e-5)


if __name__ == '__main__':
  tf.disable_eager_execution()
  tf.test.main()
