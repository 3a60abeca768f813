"""The public API as tf.contrib.quantize had it, MobileNet v1's quantizers and
their variables, what is refused and what is quietly left alone, and the
layer shapes of issue #13 spelled out (contrib_structure_test compares them
all with tf.contrib.quantize's recorded graphs).
"""

import inspect

from absl.testing import absltest
from absl.testing import parameterized
import numpy as np

from third_party import tf_slim_compat  # pylint: disable=unused-import

import tensorflow.compat.v1 as tf
import tf_slim as slim

from core import variants
from model import builder
import quantize
from quantize.python import common
from quantize.python import fold_batch_norms
from quantize.python import graph_matcher
from quantize.python import input_to_ops
from quantize.python import quant_ops
from quantize.python import quantize as quantize_lib
from quantize.python import quantize_graph
from quantize import test_util

_FAKE_QUANT = 'FakeQuantWithMinMaxVars'
_GLOBAL = tf.GraphKeys.GLOBAL_VARIABLES

# tf.contrib.quantize's signatures (TensorFlow 1.15), as inspect shows them.
_CONTRIB_SIGNATURES = [
    (quantize.create_training_graph, '(input_graph=None, quant_delay=0)'),
    (quantize.create_eval_graph, '(input_graph=None)'),
    (quantize.experimental_create_training_graph,
     '(input_graph=None, weight_bits=8, activation_bits=8, symmetric=False, '
     'quant_delay=0, freeze_bn_delay=None, scope=None)'),
    (quantize.experimental_create_eval_graph,
     '(input_graph=None, weight_bits=8, activation_bits=8, symmetric=False, '
     'quant_delay=None, scope=None)'),
    (quantize_lib.Quantize,
     "(graph, is_training, weight_bits=8, activation_bits=8, symmetric=False, "
     "ema_decay=0.999, quant_delay=None, vars_collection='variables', "
     "scope=None)"),
    (fold_batch_norms.FoldBatchNorms,
     '(graph, is_training, freeze_batch_norm_delay=None)'),
    (quant_ops.LastValueQuantize,
     "(inputs, per_channel=False, init_min=-6.0, init_max=6.0, "
     "vars_collection=None, name_prefix='LastValueQuant', reuse=None, "
     "is_training=True, num_bits=8, narrow_range=False, symmetric=False)"),
    (quant_ops.MovingAvgQuantize,
     "(inputs, per_channel=False, init_min=-6.0, init_max=6.0, "
     "ema_decay=0.999, vars_collection='moving_average_variables', "
     "name_prefix='MovingAvgQuantize', reuse=None, is_training=True, "
     "num_bits=8, narrow_range=False, symmetric=False)"),
    (quant_ops.FixedQuantize,
     '(inputs, init_min=-6.0, init_max=6.0, scope=None)'),
    (common.RerouteTensor, '(t0, t1, can_modify=None)'),
    (common.CreateOrGetQuantizationStep, '()'),
    (common.DropStringPrefix, '(s, prefix)'),
    (common.GetEndpointActivationOp, '(graph, prefix)'),
    (common.BatchNormGroups, '(graph)'),
    (graph_matcher.OpTypePattern,
     '(op_type, name=None, inputs=None, ordered_inputs=True)'),
    (graph_matcher.OneofPattern, '(sub_patterns)'),
    (graph_matcher.GraphMatcher, '(pattern)'),
    (input_to_ops.InputToOps, '(graph)'),
]
# Parameters this project adds after contrib's (see docs/QUANTIZATION.md).
_PROJECT_EXTENSIONS = {
    'create_training_graph': ['freeze_bn_delay', 'symmetric_weights',
                              'folded_batch_norm_gradient',
                              'single_conv_fold'],
    'create_eval_graph': ['symmetric_weights'],
    'experimental_create_training_graph': ['symmetric_weights',
                                           'folded_batch_norm_gradient',
                                           'single_conv_fold'],
    'experimental_create_eval_graph': ['symmetric_weights'],
    'Quantize': ['symmetric_weights'],
    'FoldBatchNorms': ['folded_batch_norm_gradient', 'single_conv_fold'],
}


def _contrib_part(function):
  """The signature without the project's trailing extensions."""
  signature = inspect.signature(function)
  extensions = _PROJECT_EXTENSIONS.get(function.__name__, [])
  kept = [p for p in signature.parameters.values() if p.name not in extensions]
  return str(signature.replace(parameters=kept))


def _layer_scopes():
  """Op scopes of MobileNet v1's 28 layers: its quantizers' scopes."""
  scopes = ['MobilenetV1/MobilenetV1/Conv2d_0']
  for i in range(1, 14):
    scopes += ['MobilenetV1/MobilenetV1/Conv2d_%d_depthwise' % i,
               'MobilenetV1/MobilenetV1/Conv2d_%d_pointwise' % i]
  return scopes + ['MobilenetV1/Logits/Conv2d_1c_1x1']


def _range_variable_names(scopes=None):
  return {'%s/%s/%s' % (scope, kind, end)
          for scope in (scopes or _layer_scopes())
          for kind in ('weights_quant', 'act_quant') for end in ('min', 'max')}


def _fake_quant_ops(graph):
  return [op for op in graph.get_operations() if op.type == _FAKE_QUANT]


def _fake_quant_names(graph):
  return sorted(op.name.rpartition('/')[0] for op in _fake_quant_ops(graph))


def _variable_names(graph):
  return {v.op.name for v in graph.get_collection(_GLOBAL)}


def _training_graph(quant_delay=0, freeze_bn_delay=None,
                    depth_multiplier=test_util.DEPTH_MULTIPLIER):
  graph = tf.Graph()
  with graph.as_default():
    images = tf.placeholder(tf.float32, [2, 32, 32, 3])
    logits, _ = builder.build_classifier(
        images, test_util.NUM_CLASSES, depth_multiplier, is_training=True)
    test_util.add_loss(logits, tf.zeros([2], tf.int64))
    quantize.create_training_graph(quant_delay=quant_delay,
                                   freeze_bn_delay=freeze_bn_delay)
  return graph


def _eval_graph(depth_multiplier=test_util.DEPTH_MULTIPLIER, quant=True):
  return builder.build_inference_graph(
      depth_multiplier, test_util.IMAGE_SIZE, test_util.NUM_CLASSES, quant)


def _small_graph(build, rewrite=quantize.create_eval_graph):
  graph = tf.Graph()
  with graph.as_default():
    build()
    rewrite()
  return graph


def _conv(net, scope, activation_fn=tf.nn.relu6, normalizer=True, **kwargs):
  if normalizer:
    kwargs.setdefault('normalizer_fn', slim.batch_norm)
    kwargs.setdefault('normalizer_params', {'is_training': False})
  return slim.conv2d(net, 4, [3, 3], activation_fn=activation_fn,
                     scope=scope, **kwargs)


def _input(channels=4, shape=(1, 8, 8, None)):
  if shape is not None:
    shape = [channels if d is None else d for d in shape]
  return tf.placeholder(tf.float32, shape, name='input')


class PublicApiTest(absltest.TestCase):

  def test_signatures_are_contribs(self):
    for function, contrib in _CONTRIB_SIGNATURES:
      self.assertEqual(_contrib_part(function), contrib, function.__name__)

  def test_extensions_come_after_contribs_arguments_with_contribs_default(
      self):
    for function in (quantize.create_training_graph,
                     quantize.create_eval_graph,
                     quantize.experimental_create_training_graph,
                     quantize.experimental_create_eval_graph,
                     quantize_lib.Quantize, fold_batch_norms.FoldBatchNorms):
      parameters = inspect.signature(function).parameters
      for name in _PROJECT_EXTENSIONS[function.__name__]:
        if name == 'freeze_bn_delay':
          self.assertIsNone(parameters[name].default)
          continue
        self.assertEqual(parameters[name].kind,
                         inspect.Parameter.KEYWORD_ONLY, function.__name__)
        self.assertIs(parameters[name].default, False)

  def test_package_exports_contribs_functions(self):
    self.assertEqual(
        sorted(n for n in dir(quantize) if not n.startswith('_') and
               callable(getattr(quantize, n))),
        ['create_eval_graph', 'create_training_graph',
         'experimental_create_eval_graph',
         'experimental_create_training_graph'])
    self.assertIs(quantize.create_training_graph,
                  quantize_graph.create_training_graph)

  def test_rewrites_return_none(self):
    for rewrite in (quantize.experimental_create_eval_graph,
                    quantize.create_eval_graph):
      graph = tf.Graph()
      with graph.as_default():
        _conv(_input(), 'a')
        self.assertIsNone(rewrite())
    graph = tf.Graph()
    with graph.as_default():
      slim.conv2d(_input(), 4, [3, 3], scope='a')
      self.assertIsNone(quantize.experimental_create_training_graph())
      self.assertIsNone(quantize.create_training_graph())

  def test_positional_arguments_land_where_contribs_did(self):
    graph = tf.Graph()
    with graph.as_default():
      slim.conv2d(_input(), 4, [3, 3], scope='a')
      # input_graph, weight_bits, activation_bits, symmetric, quant_delay,
      # freeze_bn_delay, scope.
      quantize.experimental_create_training_graph(graph, 4, 8, True, 5, None,
                                                  'a')
    fake_quants = {op.name: op for op in _fake_quant_ops(graph)}
    self.assertEqual(fake_quants['a/weights_quant/' + _FAKE_QUANT].get_attr(
        'num_bits'), 4)
    self.assertEqual(fake_quants['a/act_quant/' + _FAKE_QUANT].get_attr(
        'num_bits'), 8)
    self.assertTrue(graph.get_operation_by_name(
        'a/weights_quant/activate_quant').outputs[0].consumers())


class MobilenetQuantizersTest(parameterized.TestCase):

  def _check_every_layer_quantized(self, graph):
    self.assertEqual(
        _fake_quant_names(graph),
        sorted('%s/%s' % (scope, kind) for scope in _layer_scopes()
               for kind in ('weights_quant', 'act_quant')))
    self.assertEmpty(_range_variable_names() - _variable_names(graph))

  def test_eval_graph_quantizes_every_layer(self):
    graph = _eval_graph()
    self._check_every_layer_quantized(graph)
    for op in _fake_quant_ops(graph):
      source = op.inputs[0].op
      if '/weights_quant/' in op.name:
        # Folded weights for the 27 batch-norm layers, the logits' own.
        self.assertEqual(source.type if 'Logits' in op.name else
                         source.name.rpartition('/')[2],
                         'ReadVariableOp' if 'Logits' in op.name else
                         'mul_fold', op.name)
      else:
        self.assertIn(source.type, ('Relu6', 'BiasAdd'), op.name)
      # Eval graphs read the stored ranges.
      self.assertEqual(op.inputs[1].op.type, 'ReadVariableOp')

  @parameterized.parameters((0, None), (100, None), (100, 200))
  def test_training_graph_quantizes_every_layer(self, quant_delay,
                                                freeze_bn_delay):
    graph = _training_graph(quant_delay, freeze_bn_delay)
    self._check_every_layer_quantized(graph)
    delayed = {op.name.partition('/delayed_quant')[0]
               for op in graph.get_operations()
               if op.name.endswith('/delayed_quant')}
    self.assertLen(delayed, 56 if quant_delay else 0)
    frozen = [op for op in graph.get_operations()
              if op.name.endswith('/use_moving_average')]
    self.assertLen(frozen, 27 if freeze_bn_delay else 0)
    # Training graphs always have the quantization step (checkpoints resume
    # whatever the delays); only delays read it.
    self.assertIn('fake_quantization_step', _variable_names(graph))
    readers = graph.get_operation_by_name(
        'fake_quantization_step/Identity').outputs[0].consumers()
    self.assertEqual(bool(readers), bool(quant_delay or freeze_bn_delay))
    self.assertNotIn('global_step', _variable_names(graph))

  def test_checkpoints_restore_across_float_training_and_eval(self):
    float_names = _variable_names(_eval_graph(quant=False))
    eval_names = _variable_names(_eval_graph())
    training_names = _variable_names(_training_graph(quant_delay=10,
                                                     freeze_bn_delay=20))
    # A float checkpoint lacks exactly the 112 ranges.
    self.assertEqual(eval_names - float_names, _range_variable_names())
    self.assertEmpty(float_names - eval_names)
    # A quantized training checkpoint has every eval variable, and the
    # quantization step and the moving averages' zero-debiasing state.
    self.assertEmpty(eval_names - training_names)
    act_scopes = ['%s/act_quant' % s for s in _layer_scopes()]
    debiasing = {'%s/%s/%s/%s' % (scope, scope, end, kind)
                 for scope in act_scopes for end in ('min', 'max')
                 for kind in ('biased', 'local_step')}
    self.assertEqual(training_names - eval_names,
                     debiasing | {'fake_quantization_step'})

  def test_float_checkpoint_restores_into_quantized_graph(self):
    checkpoint = test_util.float_checkpoint(
        absltest.get_default_test_tmpdir(), steps=1)
    graph = _eval_graph()
    with graph.as_default(), test_util.session(graph) as sess:
      missing = test_util.restore_available(sess, checkpoint)
      self.assertEqual(set(missing), _range_variable_names())
      output = sess.run(graph.get_tensor_by_name(variants.OUTPUT_NODE + ':0'),
                        {graph.get_tensor_by_name('input:0'):
                         test_util.random_images(0, batch_size=1)})
      self.assertTrue(np.all(np.isfinite(output)))

  def test_initial_ranges_are_contribs(self):
    # Activations [0, 6] (even the logits'), everything else [-6, 6].
    graph = _eval_graph()
    with graph.as_default(), test_util.session(graph) as sess:
      sess.run(tf.global_variables_initializer())
      ranges = {v.op.name: v for v in tf.global_variables()
                if '_quant/' in v.op.name}
      for name, value in sess.run(ranges).items():
        if name.endswith('/min'):
          self.assertEqual(value, 0.0 if '/act_quant/' in name else -6.0,
                           name)
        else:
          self.assertEqual(value, 6.0, name)

  def test_every_depth_multiplier_rewrites(self):
    for depth_multiplier in variants.DEPTH_MULTIPLIERS:
      for quant in (False, True):
        graph = builder.build_inference_graph(
            depth_multiplier, 128, variants.IMAGENET_NUM_CLASSES, quant)
        self.assertLen(_fake_quant_ops(graph), 56 if quant else 0)
      self._check_every_layer_quantized(
          _training_graph(quant_delay=10, freeze_bn_delay=20,
                          depth_multiplier=depth_multiplier))

  def test_symmetric_weights_extension(self):
    """The project's trainer: symmetric weights, asymmetric activations."""
    ranges = {}
    for symmetric_weights in (False, True):
      graph = tf.Graph()
      with graph.as_default():
        images = tf.constant(test_util.random_images(0))
        logits, _ = builder.build_classifier(
            images, test_util.NUM_CLASSES, test_util.DEPTH_MULTIPLIER,
            is_training=True)
        quantize.create_training_graph(symmetric_weights=symmetric_weights)
        with test_util.session(graph) as sess:
          sess.run(tf.global_variables_initializer())
          sess.run(logits)
          ranges[symmetric_weights] = sess.run(
              {v.op.name: v for v in tf.global_variables()
               if v.op.name.endswith(('_quant/min', '_quant/max'))})
    for symmetric_weights, values in ranges.items():
      for scope in _layer_scopes():
        weight_min = values[scope + '/weights_quant/min']
        weight_max = values[scope + '/weights_quant/max']
        self.assertEqual(weight_min == -weight_max, symmetric_weights, scope)
        if 'Logits' not in scope:
          self.assertEqual(values[scope + '/act_quant/min'], 0.0)


class LeftAloneTest(absltest.TestCase):
  """Where tf.contrib.quantize had nothing to do, nothing happens."""

  def test_second_rewrite_changes_nothing(self):
    graph = _eval_graph()
    ops = [op.name for op in graph.get_operations()]
    quantize.create_eval_graph(graph)
    self.assertEqual([op.name for op in graph.get_operations()], ops)
    graph = _training_graph(quant_delay=10, freeze_bn_delay=20)
    ops = [op.name for op in graph.get_operations()]
    with graph.as_default():
      quantize.create_training_graph(quant_delay=10, freeze_bn_delay=20)
      quantize.create_eval_graph()
    self.assertEqual([op.name for op in graph.get_operations()], ops)

  def test_graph_or_scope_without_layers(self):
    graph = tf.Graph()
    with graph.as_default():
      tf.nn.relu6(tf.nn.avg_pool2d(_input(3), 2, 2, 'VALID'))
    ops = len(graph.get_operations())
    quantize.create_eval_graph(graph)
    quantize.create_training_graph(graph)
    self.assertLen(graph.get_operations(), ops)
    graph = _eval_graph(quant=False)
    quantize.experimental_create_eval_graph(graph, scope='NoSuchScope')
    self.assertEmpty(_fake_quant_ops(graph))

  def test_negative_delays_quantize_from_the_start(self):
    graph = _training_graph(quant_delay=-1)
    self.assertEmpty([op for op in graph.get_operations()
                      if 'delayed_quant' in op.name])
    self.assertLen(_fake_quant_ops(graph), 56)


class RefusedTest(absltest.TestCase):
  """One-line errors where a rewrite cannot be what the user meant."""

  def test_rewrite_after_the_optimizer(self):
    graph = tf.Graph()
    with graph.as_default():
      loss = tf.reduce_sum(_conv(_input(), 'a', normalizer=False))
      tf.train.GradientDescentOptimizer(0.1).minimize(loss)
      with self.assertRaisesRegex(ValueError, 'Training op found in graph'):
        quantize.create_training_graph()

  def test_rewrite_after_gradients(self):
    graph = tf.Graph()
    with graph.as_default():
      loss = tf.reduce_sum(_conv(_input(), 'a', normalizer=False))
      tf.gradients(loss, tf.trainable_variables())
      with self.assertRaisesRegex(ValueError, 'before creating the optimizer'):
        quantize.create_training_graph()

  def test_eval_rewrite_of_training_model(self):
    graph = tf.Graph()
    with graph.as_default():
      images = tf.placeholder(tf.float32, [2, 32, 32, 3])
      builder.build_classifier(images, 10, 0.25, is_training=True)
      with self.assertRaisesRegex(ValueError, 'is_training=False'):
        quantize.create_eval_graph()

  def test_bad_arguments(self):
    for kwargs in [dict(quant_delay='10'), dict(quant_delay=1.5),
                   dict(freeze_bn_delay=1.5), dict(quant_delay=True)]:
      with tf.Graph().as_default():
        with self.assertRaisesRegex(ValueError, 'delay'):
          quantize.experimental_create_training_graph(**kwargs)
    for kwargs in [dict(weight_bits=1), dict(activation_bits=17),
                   dict(weight_bits=8.0)]:
      with tf.Graph().as_default():
        with self.assertRaisesRegex(ValueError, '_bits'):
          quantize.experimental_create_eval_graph(**kwargs)


class LayerShapesTest(absltest.TestCase):
  """The layer shapes of issue #13, items 5 to 8, spelled out."""

  def test_scope_limits_the_quantizers_not_the_fold(self):
    graph = _eval_graph(quant=False)
    quantize.experimental_create_eval_graph(graph, scope='MobilenetV1/Logits')
    self.assertEqual(_fake_quant_names(graph),
                     ['MobilenetV1/Logits/Conv2d_1c_1x1/act_quant',
                      'MobilenetV1/Logits/Conv2d_1c_1x1/weights_quant'])
    self.assertLen([op for op in graph.get_operations()
                    if op.name.endswith('/mul_fold')], 27)

  def test_fully_connected_with_identity_activation(self):
    def build():
      x = _input(shape=[2, 12])
      net = slim.fully_connected(x, 8, scope='fc1')
      slim.fully_connected(net, 4, activation_fn=tf.identity, scope='fc2')
    graph = _small_graph(build)
    self.assertEqual(_fake_quant_names(graph),
                     ['fc1/act_quant', 'fc1/weights_quant', 'fc2/act_quant',
                      'fc2/weights_quant'])
    act = graph.get_operation_by_name('fc2/act_quant/' + _FAKE_QUANT)
    self.assertEqual(act.inputs[0].op.name, 'fc2/Identity')

  def test_unfused_batch_norm_and_identity_before_it_fold(self):
    def build():
      x = _input()
      _conv(x, 'unfused', normalizer_params={'is_training': False,
                                             'fused': False})
      with tf.variable_scope('identity'):
        w = tf.get_variable('weights', [3, 3, 4, 4])
        y = tf.identity(tf.nn.conv2d(x, w, 1, 'SAME'), name='Identity')
        tf.nn.relu6(slim.batch_norm(y, is_training=False), name='Relu6')
    graph = _small_graph(build)
    for scope in ('unfused', 'identity'):
      weights = graph.get_operation_by_name(
          scope + '/weights_quant/' + _FAKE_QUANT)
      self.assertEqual(weights.inputs[0].op.name, scope + '/mul_fold')
      act = graph.get_operation_by_name(scope + '/act_quant/' + _FAKE_QUANT)
      self.assertEqual(act.inputs[0].op.name, scope + '/Relu6')

  def test_atrous_layers_fold(self):
    """Conv2D and depthwise with rate 2: SpaceToBatchND, BatchToSpaceND."""
    def build():
      x = _input()
      _conv(x, 'conv', rate=2)
      slim.separable_conv2d(x, None, [3, 3], depth_multiplier=1, rate=2,
                            activation_fn=tf.nn.relu6,
                            normalizer_fn=slim.batch_norm,
                            normalizer_params={'is_training': False},
                            scope='depthwise')
    graph = _small_graph(build)
    for scope, layer in (('conv', 'Conv2D'), ('depthwise', 'depthwise')):
      folded = graph.get_operation_by_name('%s/%s_Fold' % (scope, layer))
      self.assertEqual(folded.inputs[0].op.type, 'SpaceToBatchND')
      self.assertEqual(folded.inputs[1].op.name,
                       scope + '/weights_quant/' + _FAKE_QUANT)
      to_space = graph.get_operation_by_name(scope + '/BatchToSpaceND_Fold')
      self.assertIs(to_space.inputs[0].op, folded)
      self.assertEqual(
          graph.get_operation_by_name(scope + '/act_quant/' + _FAKE_QUANT)
          .inputs[0].op.name, scope + '/Relu6')

  def test_shared_weights(self):
    """make_template and one depthwise variable read by two layers."""
    def build():
      x = _input(3)
      template = tf.make_template('shared', lambda net: _conv(net, 'conv'))
      template(template(_conv(x, 'first')))
      with tf.variable_scope('test'):
        w = tf.get_variable('depthwise_weights', [3, 3, 4, 1])
        a = tf.nn.relu6(tf.nn.depthwise_conv2d(x[..., :1] * tf.ones(4),
                                               w, [1] * 4, 'SAME'))
        tf.nn.relu6(tf.nn.depthwise_conv2d(a, w, [1] * 4, 'SAME'))
    graph = _small_graph(build)
    names = _fake_quant_names(graph)
    for scope in ('shared/conv', 'shared_1/conv'):
      self.assertIn(scope + '/weights_quant', names)
    # One quantizer for the shared depthwise variable, as contrib had.
    self.assertEqual([n for n in names if n.startswith('test/')],
                     ['test/act_quant', 'test/act_quant_1',
                      'test/weights_quant'])
    shared = graph.get_operation_by_name('test/weights_quant/' + _FAKE_QUANT)
    self.assertLen([c for c in shared.outputs[0].consumers()
                    if c.type == 'DepthwiseConv2dNative'], 2)

  def test_separable_conv_with_num_outputs(self):
    graph = _small_graph(lambda: slim.separable_conv2d(
        _input(), 5, [3, 3], depth_multiplier=1, scope='sep'))
    self.assertEqual(_fake_quant_names(graph),
                     ['sep/act_quant', 'sep/separable_conv2d/act_quant',
                      'sep/separable_conv2d/weights_quant',
                      'sep/weights_quant'])

  def test_residual_and_activation_additions(self):
    def build():
      x = _input()
      with tf.variable_scope('block'):
        a = _conv(x, 'a')
        b = _conv(a, 'b', activation_fn=None)
        c = tf.nn.relu6(b + x, name='relu')  # Residual before the ReLU.
      d = _conv(c, 'd')
      e = tf.math.add(d, x, name='e')  # After the ReLU, x unquantized.
      m = tf.math.multiply(e, 0.5, name='m')
      tf.math.add(m, 1.0, name='plus_one')
    graph = _small_graph(build)
    self.assertEqual(_fake_quant_names(graph), [
        'block/a/act_quant', 'block/a/weights_quant', 'block/act_quant',
        'block/b/conv_quant', 'block/b/weights_quant', 'd/act_quant',
        'd/weights_quant', 'm/activation_Mul_quant',
        'plus_one/activation_AddV2_quant', 'post_activation_bypass_quant'])

    def input_of(name):
      return graph.get_operation_by_name(name + '/' + _FAKE_QUANT).inputs[0]
    self.assertEqual(input_of('block/act_quant').op.name, 'block/relu')
    self.assertEqual(input_of('block/b/conv_quant').op.name, 'block/b/add_fold')
    self.assertEqual(input_of('post_activation_bypass_quant').op.name, 'e')

  def test_no_quantizer_before_a_reshape_of_a_quantized_tensor(self):
    def build():
      y = tf.reshape(_conv(_input(), 'conv'), [1, -1], name='reshape')
      slim.fully_connected(y, 3, activation_fn=None, scope='fc')
    graph = _small_graph(build)
    self.assertEqual(_fake_quant_names(graph),
                     ['conv/act_quant', 'conv/weights_quant', 'fc/act_quant',
                      'fc/weights_quant'])
    reshape = graph.get_operation_by_name('reshape')
    self.assertEqual(reshape.inputs[0].op.name,
                     'conv/act_quant/' + _FAKE_QUANT)

  def test_partitioned_weights(self):
    def build():
      with tf.variable_scope('test', partitioner=tf.fixed_size_partitioner(2)):
        slim.fully_connected(_input(shape=[2, 12]), 4, scope='fc')
    graph = _small_graph(build)
    weights = graph.get_operation_by_name('test/fc/weights_quant/' +
                                          _FAKE_QUANT)
    self.assertEqual(weights.inputs[0].op.name, 'test/fc/weights')

  def test_input_of_unknown_rank(self):
    def build():
      x = _input(shape=None)
      with tf.variable_scope('test'):
        w = tf.get_variable('weights', [3, 3, 3, 4])
        tf.nn.relu6(tf.nn.conv2d(x, w, 1, 'SAME'), name='out')
    for rewrite in (quantize.create_eval_graph,
                    quantize.create_training_graph):
      graph = _small_graph(build, rewrite)
      self.assertEqual(_fake_quant_names(graph),
                       ['test/act_quant', 'test/weights_quant'])
      with graph.as_default(), test_util.session(graph) as sess:
        sess.run(tf.global_variables_initializer())
        out = sess.run('test/out:0', {'input:0': np.ones([1, 5, 5, 3])})
        self.assertEqual(out.shape, (1, 5, 5, 4))

  def test_reference_variables(self):
    """Graphs built with TF1 reference variables (VariableV2 + Identity)."""
    graph = tf.Graph()
    with graph.as_default():
      with tf.variable_scope('net', use_resource=False):
        x = _input(3)
        w = tf.get_variable('weights', [3, 3, 3, 4])
        y = tf.nn.relu6(tf.nn.conv2d(x, w, [1, 1, 1, 1], 'SAME'))
      self.assertEqual(w.op.type, 'VariableV2')
      quantize.create_training_graph()
      self.assertEqual(_fake_quant_names(graph),
                       ['net/act_quant', 'net/weights_quant'])
      with test_util.session(graph) as sess:
        sess.run(tf.global_variables_initializer())
        self.assertEqual(sess.run(y, {x: np.ones([1, 8, 8, 3])}).shape,
                         (1, 8, 8, 4))


class HelpersTest(absltest.TestCase):
  """contrib's helpers that ported code calls, with contrib's results."""

  def test_quantization_step_counts_runs(self):
    with tf.Graph().as_default():
      step = common.CreateOrGetQuantizationStep()
      self.assertIs(common.CreateOrGetQuantizationStep(), step)
      self.assertEqual(step.name, 'fake_quantization_step/Identity:0')
      self.assertEqual(step.dtype, tf.int64)
      with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        self.assertEqual([sess.run(step) for _ in range(3)], [1, 2, 3])

  def test_reroute_and_consumers(self):
    with tf.Graph().as_default() as graph:
      a = tf.placeholder(tf.float32, [2], name='a')
      b = tf.placeholder(tf.float32, [2], name='b')
      c1 = tf.identity(a, name='c1')
      c2 = tf.add(a, a, name='c2')
      self.assertEqual(common.RerouteTensor(b, a, can_modify=[c2.op]), 2)
      self.assertEqual([t.name for t in c1.op.inputs], ['a:0'])
      self.assertEqual([t.name for t in c2.op.inputs], ['b:0', 'b:0'])
      self.assertEqual(common.RerouteTensor(b, a), 1)
      consumers = input_to_ops.InputToOps(graph).ConsumerOperations(b.op)
      self.assertEqual({op.name for op in consumers}, {'c1', 'c2'})

  def test_name_helpers(self):
    graph = tf.Graph()
    with graph.as_default():
      x = _input()
      _conv(x, 'fused')
      _conv(x, 'unfused', normalizer_params={'is_training': False,
                                             'fused': False})
    self.assertEqual(common.BatchNormGroups(graph), ['unfused/'])
    self.assertEqual(common.GetEndpointActivationOp(graph, 'fused/').name,
                     'fused/Relu6')
    self.assertIsNone(common.GetEndpointActivationOp(graph, 'fused'))
    self.assertEqual(common.DropStringPrefix('a/b', 'a/'), 'b')
    self.assertEqual(common.DropStringPrefix('a/b', 'c/'), 'a/b')

  def test_quant_ops_ranges(self):
    """Ranges after two steps, decay 0.5, as tf.contrib.quantize had them."""
    with tf.Graph().as_default() as graph:
      x = tf.placeholder(tf.float32, [4])
      moving = quant_ops.MovingAvgQuantize(x, ema_decay=0.5)
      last = quant_ops.LastValueQuantize(x)
      symmetric = quant_ops.MovingAvgQuantize(x, ema_decay=0.5,
                                              symmetric=True,
                                              name_prefix='sym')
      fixed = quant_ops.FixedQuantize(x)
      self.assertEqual(fixed.op.name, 'FixedQuantize/FakeQuantWithMinMaxArgs')
      self.assertEqual(
          {v.op.name for v in graph.get_collection(
              tf.GraphKeys.MOVING_AVERAGE_VARIABLES)},
          {'MovingAvgQuantize/min', 'MovingAvgQuantize/max', 'sym/min',
           'sym/max'})
      with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        variables = {v.op.name: v for v in tf.global_variables()}

        def ranges(scope):
          return sess.run([variables[scope + '/min'],
                           variables[scope + '/max']])
        sess.run([moving, last, symmetric], {x: [1, 2, 3, 4]})
        np.testing.assert_allclose(ranges('MovingAvgQuantize'), [0, 4])
        np.testing.assert_allclose(ranges('sym'), [-4.031496, 4], rtol=1e-6)
        sess.run([moving, last, symmetric], {x: [-1, 0, 5, 8]})
        np.testing.assert_allclose(ranges('MovingAvgQuantize'),
                                   [-0.6666667, 6.6666665], rtol=1e-6)
        np.testing.assert_allclose(ranges('LastValueQuant'), [-1, 8])
        np.testing.assert_allclose(ranges('sym'), [-6.71916, 6.6666665],
                                   rtol=1e-6)
        np.testing.assert_allclose(
            sess.run(fixed, {x: [-7, -1, 1, 7]}),
            [-6.0235295, -0.98823547, 0.98823547, 5.9764705], rtol=1e-6)

  def test_graph_matcher_finds_by_name(self):
    graph = tf.Graph()
    with graph.as_default():
      _conv(_input(), 'a', normalizer=False)
    layer = graph_matcher.OpTypePattern(
        'Conv2D', name='layer', inputs=['*', graph_matcher.OpTypePattern(
            'ReadVariableOp', name='weights')])
    [match] = list(graph_matcher.GraphMatcher(layer).match_graph(graph))
    self.assertEqual(match.get_op('layer').name, 'a/Conv2D')
    self.assertEqual(match.get_tensor('weights').op.type, 'ReadVariableOp')


if __name__ == '__main__':
  absltest.main()
