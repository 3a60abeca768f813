"""The public rewrites on MobileNet v1 and small graphs: where quantizers go,
what their variables are called, and what is refused.
"""

from absl.testing import absltest
from absl.testing import parameterized
import numpy as np
import tensorflow.compat.v1 as tf
import tf_slim as slim

from core import variants
from model import builder
import quantize
from quantize import test_util

_FAKE_QUANT = 'FakeQuantWithMinMaxVars'


def _layer_scopes():
  """Variable scopes of MobileNet v1's 28 weight layers."""
  scopes = ['MobilenetV1/Conv2d_0']
  for i in range(1, 14):
    scopes += ['MobilenetV1/Conv2d_%d_depthwise' % i,
               'MobilenetV1/Conv2d_%d_pointwise' % i]
  return scopes + ['MobilenetV1/Logits/Conv2d_1c_1x1']


def _range_variable_names(scopes, kinds=('weights_quant', 'act_quant')):
  return {'%s/%s/%s' % (scope, kind, end)
          for scope in scopes for kind in kinds for end in ('min', 'max')}


def _fake_quant_ops(graph):
  return [op for op in graph.get_operations() if op.type == _FAKE_QUANT]


def _training_graph(quant_delay=0, freeze_bn_delay=None,
                    depth_multiplier=test_util.DEPTH_MULTIPLIER):
  graph = tf.Graph()
  with graph.as_default():
    images = tf.placeholder(tf.float32, [2, 32, 32, 3])
    logits, _ = builder.build_classifier(images, test_util.NUM_CLASSES,
                                         depth_multiplier, is_training=True)
    test_util.add_loss(logits, tf.zeros([2], tf.int64))
    quantize.create_training_graph(quant_delay=quant_delay,
                                   freeze_bn_delay=freeze_bn_delay)
  return graph


def _eval_graph(depth_multiplier=test_util.DEPTH_MULTIPLIER, quant=True):
  return builder.build_inference_graph(depth_multiplier, test_util.IMAGE_SIZE,
                                       test_util.NUM_CLASSES, quant)


def _ops_reaching(tensor):
  """The ops a tensor depends on."""
  seen, stack = {}, [tensor.op]
  while stack:
    op = stack.pop()
    if op.name not in seen:
      seen[op.name] = op
      stack.extend(t.op for t in op.inputs)
  return list(seen.values())


def _variable_names(graph):
  with graph.as_default():
    return {v.op.name for v in tf.global_variables()}


class MobilenetQuantizersTest(parameterized.TestCase):

  def _check_every_layer_quantized(self, graph):
    names = [op.name for op in _fake_quant_ops(graph)]
    self.assertLen(names, 2 * 28)
    for scope in _layer_scopes():
      layer = scope.rpartition('/')[2]
      for kind in ('weights_quant', 'act_quant'):
        found = [n for n in names if '/%s/%s/' % (layer, kind) in n]
        self.assertLen(found, 1, '%s/%s: %s' % (layer, kind, found))
    self.assertEmpty(_range_variable_names(_layer_scopes()) -
                     _variable_names(graph))

  def test_eval_graph_quantizes_every_layer(self):
    graph = _eval_graph()
    self._check_every_layer_quantized(graph)
    # The weights each layer multiplies by are fake-quantized: the folded
    # ones for the 27 batch-norm layers, the variable for the logits.
    layer_ops = [op for op in _ops_reaching(
        graph.get_tensor_by_name(variants.OUTPUT_NODE + ':0'))
                 if op.type in ('Conv2D', 'DepthwiseConv2dNative')]
    self.assertLen(layer_ops, 28)
    for op in layer_ops:
      self.assertEqual(op.inputs[1].op.type, _FAKE_QUANT, op.name)
      source = op.inputs[1].op.inputs[0].op
      if 'Logits' in op.name:
        self.assertEqual(source.type, 'ReadVariableOp')
      else:
        self.assertEqual(source.name.rpartition('/')[2], 'mul_fold')
    # Eval graphs read the learned ranges and never update them.
    self.assertEmpty([op.name for op in graph.get_operations()
                      if 'AssignM' in op.name and 'quant' in op.name])
    # Activation quantizers sit on the Relu6 outputs and on the logits.
    act_inputs = {op.inputs[0].op.type for op in _fake_quant_ops(graph)
                  if '/act_quant/' in op.name}
    self.assertEqual(act_inputs, {'Relu6', 'BiasAdd'})

  @parameterized.parameters((0, None), (100, None), (100, 200))
  def test_training_graph_quantizes_every_layer(self, quant_delay,
                                                freeze_bn_delay):
    graph = _training_graph(quant_delay, freeze_bn_delay)
    self._check_every_layer_quantized(graph)
    weight_sources = {
        op.inputs[0].op.name.rpartition('/')[2]
        for op in _fake_quant_ops(graph) if '/weights_quant/' in op.name
        and 'Logits' not in op.name}
    self.assertEqual(weight_sources, {'correction_mult'} if freeze_bn_delay
                     else {'mul_fold'})
    delayed = {op.name.partition('/delayed_quant')[0]
               for op in graph.get_operations()
               if '/delayed_quant' in op.name}
    self.assertLen(delayed, 56 if quant_delay else 0)
    # Training graphs learn the ranges.
    self.assertNotEmpty([op.name for op in graph.get_operations()
                         if 'AssignMaxEma' in op.name])

  def test_range_variable_names_are_contrib_names(self):
    names = _variable_names(_eval_graph())
    for name in ['MobilenetV1/Conv2d_0/weights_quant/min',
                 'MobilenetV1/Conv2d_0/weights_quant/max',
                 'MobilenetV1/Conv2d_1_depthwise/weights_quant/min',
                 'MobilenetV1/Conv2d_1_depthwise/weights_quant/max',
                 'MobilenetV1/Conv2d_0/act_quant/min',
                 'MobilenetV1/Conv2d_0/act_quant/max',
                 'MobilenetV1/Logits/Conv2d_1c_1x1/weights_quant/min',
                 'MobilenetV1/Logits/Conv2d_1c_1x1/weights_quant/max',
                 'MobilenetV1/Logits/Conv2d_1c_1x1/act_quant/min',
                 'MobilenetV1/Logits/Conv2d_1c_1x1/act_quant/max']:
      self.assertIn(name, names)

  def test_initial_ranges(self):
    # ReLU6 outputs start at [0, 6]; weights and the logits at [-6, 6].
    graph = _eval_graph()
    with graph.as_default():
      ranges = {v.op.name: v for v in tf.global_variables()
                if '_quant/' in v.op.name}
      with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        values = sess.run(ranges)
    for name, value in values.items():
      if '/act_quant/' in name and '/Logits/' not in name:
        self.assertEqual(value, 0.0 if name.endswith('/min') else 6.0, name)
      else:
        self.assertEqual(value, -6.0 if name.endswith('/min') else 6.0, name)

  def test_checkpoints_restore_across_float_training_and_eval(self):
    float_names = _variable_names(_eval_graph(quant=False))
    eval_names = _variable_names(_eval_graph())
    training_names = _variable_names(_training_graph(quant_delay=10,
                                                     freeze_bn_delay=20))
    ranges = _range_variable_names(_layer_scopes())
    # A float checkpoint lacks exactly the range variables.
    self.assertEqual(eval_names - float_names, ranges)
    self.assertEqual(float_names - eval_names, set())
    # A quantized training checkpoint has every eval variable.
    self.assertEqual(eval_names - training_names, set())
    self.assertEqual(training_names - eval_names, {'global_step'})

  def test_float_checkpoint_restores_into_quantized_graph(self):
    checkpoint = test_util.float_checkpoint(
        absltest.get_default_test_tmpdir(), steps=1)
    graph = _eval_graph()
    with graph.as_default(), test_util.session(graph) as sess:
      missing = test_util.restore_available(sess, checkpoint)
      self.assertEqual(set(missing), _range_variable_names(_layer_scopes()))
      output = sess.run(graph.get_tensor_by_name(variants.OUTPUT_NODE + ':0'),
                        {graph.get_tensor_by_name('input:0'):
                         test_util.random_images(0, batch_size=1)})
      self.assertTrue(np.all(np.isfinite(output)))

  def test_every_depth_multiplier_rewrites(self):
    for depth_multiplier in variants.DEPTH_MULTIPLIERS:
      for quant in (False, True):
        graph = builder.build_inference_graph(depth_multiplier, 128,
                                              variants.IMAGENET_NUM_CLASSES,
                                              quant)
        self.assertLen(_fake_quant_ops(graph), 56 if quant else 0)
      self._check_every_layer_quantized(
          _training_graph(quant_delay=10, freeze_bn_delay=20,
                          depth_multiplier=depth_multiplier))


class BadUsageTest(absltest.TestCase):

  def test_second_rewrite_is_refused(self):
    graph = _eval_graph()
    with self.assertRaisesRegex(ValueError, 'already has fake-quant ops'):
      quantize.create_eval_graph(graph)
    with graph.as_default():
      with self.assertRaisesRegex(ValueError, 'already has fake-quant ops'):
        quantize.create_training_graph()

  def test_graph_without_layers_is_refused(self):
    graph = tf.Graph()
    with graph.as_default():
      x = tf.placeholder(tf.float32, [1, 8, 8, 3])
      tf.nn.relu6(tf.nn.avg_pool2d(x, 2, 2, 'VALID'))
    with self.assertRaisesRegex(ValueError, 'no layer to quantize'):
      quantize.create_eval_graph(graph)
    with self.assertRaisesRegex(ValueError, 'no layer to quantize'):
      quantize.create_training_graph(graph)

  def test_rewrite_after_gradients_is_refused(self):
    graph = tf.Graph()
    with graph.as_default():
      images = tf.placeholder(tf.float32, [2, 32, 32, 3])
      logits, _ = builder.build_classifier(images, test_util.NUM_CLASSES,
                                           test_util.DEPTH_MULTIPLIER,
                                           is_training=True)
      loss = test_util.add_loss(logits, tf.zeros([2], tf.int64))
      tf.gradients(loss, tf.trainable_variables())
      with self.assertRaisesRegex(ValueError, 'before creating the optimizer'):
        quantize.create_training_graph()

  def test_eval_rewrite_of_training_model_is_refused(self):
    graph = tf.Graph()
    with graph.as_default():
      images = tf.placeholder(tf.float32, [2, 32, 32, 3])
      builder.build_classifier(images, 10, 0.25, is_training=True)
      with self.assertRaisesRegex(ValueError, 'is_training=False'):
        quantize.create_eval_graph()

  def test_bad_arguments_are_refused(self):
    for kwargs in [dict(quant_delay=-1), dict(quant_delay='10'),
                   dict(freeze_bn_delay=1.5)]:
      with tf.Graph().as_default():
        with self.assertRaisesRegex(ValueError, 'delay'):
          quantize.create_training_graph(**kwargs)
    with tf.Graph().as_default():
      with self.assertRaisesRegex(ValueError, 'weight_bits'):
        quantize.experimental_create_eval_graph(weight_bits=1)


class OtherGraphsTest(absltest.TestCase):

  def test_scope_limits_the_rewrite(self):
    graph = _eval_graph(quant=False)
    names = quantize.experimental_create_eval_graph(
        graph, scope='MobilenetV1/Logits')
    self.assertEqual(names, ['MobilenetV1/Logits/Conv2d_1c_1x1/weights_quant',
                             'MobilenetV1/Logits/Conv2d_1c_1x1/act_quant'])
    self.assertLen(_fake_quant_ops(graph), 2)

  def test_fully_connected_layers(self):
    graph = tf.Graph()
    with graph.as_default():
      x = tf.placeholder(tf.float32, [2, 12])
      net = slim.fully_connected(x, 8, scope='fc1')
      slim.fully_connected(net, 4, activation_fn=None, scope='fc2')
      names = quantize.experimental_create_eval_graph()
    self.assertEqual(names, ['fc1/weights_quant', 'fc1/act_quant',
                             'fc2/weights_quant', 'fc2/act_quant'])
    act_inputs = [op.inputs[0].op.type for op in _fake_quant_ops(graph)
                  if '/act_quant/' in op.name]
    self.assertEqual(act_inputs, ['Relu', 'BiasAdd'])

  def test_residual_additions(self):
    """Pre-activation bypass: conv_quant; addition of quantized: add_quant."""
    graph = tf.Graph()
    with graph.as_default():
      x = tf.placeholder(tf.float32, [1, 8, 8, 4])
      with slim.arg_scope([slim.conv2d], normalizer_fn=slim.batch_norm,
                          normalizer_params={'is_training': False}):
        a = slim.conv2d(x, 4, [3, 3], scope='a')
        b = slim.conv2d(a, 4, [3, 3], activation_fn=None, scope='b')
        c = tf.nn.relu(b + a, name='c')  # ResNet v1 style
        d = slim.conv2d(c, 4, [1, 1], activation_fn=None, scope='d')
        tf.add(d, c, name='e')  # MobileNet v2 style
      names = quantize.experimental_create_eval_graph()
    self.assertEqual(names, ['a/weights_quant', 'a/act_quant',
                             'b/weights_quant', 'b/conv_quant', 'b/act_quant',
                             'd/weights_quant', 'd/act_quant', 'add_quant'])
    consumers = graph.get_operation_by_name('e').outputs[0].consumers()
    self.assertEqual([op.name for op in consumers],
                     ['add_quant/FakeQuantWithMinMaxVars'])

  def test_reference_variables(self):
    """Graphs built with TF1 reference variables (VariableV2 + Identity)."""
    graph = tf.Graph()
    with graph.as_default():
      with tf.variable_scope('net', use_resource=False):
        x = tf.placeholder(tf.float32, [1, 8, 8, 3])
        w = tf.get_variable('weights', [3, 3, 3, 4])
        y = tf.nn.relu6(tf.nn.conv2d(x, w, [1, 1, 1, 1], 'SAME'))
      self.assertEqual(w.op.type, 'VariableV2')
      names = quantize.experimental_create_eval_graph()
      self.assertEqual(names, ['net/weights_quant', 'net/act_quant'])
      with test_util.session(graph) as sess:
        sess.run(tf.global_variables_initializer())
        self.assertEqual(sess.run(y, {x: np.ones([1, 8, 8, 3])}).shape,
                         (1, 8, 8, 4))


if __name__ == '__main__':
  absltest.main()
