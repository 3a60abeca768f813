"""Small graphs of every layer shape tf.contrib.quantize handled.

Each case builds its graph in the default graph with the TensorFlow and
TF-Slim modules it is given, so the same code runs on TensorFlow 1.15 with
tf.contrib.slim (where testdata/record_contrib.py recorded what
tf.contrib.quantize made of it) and on today's TensorFlow with tf_slim (where
the tests rewrite it with this package). Additions are built as AddV2 ops on
both versions (TensorFlow 1.15's tf.add made Add ops), except where a case
is about Add itself.

RUNS lists the rewrites recorded: (case, 'train' or 'eval', quant_delay,
freeze_bn_delay).
"""

import json
import os

_RELU6 = 'relu6'
RECORDED_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                             'testdata', 'contrib_graphs.json')


def load_recorded():
  """What tf.contrib.quantize made of the cases (testdata/record_contrib.py)."""
  with open(RECORDED_PATH) as f:
    return json.load(f)


def _bn(is_training, **kwargs):
  params = {'is_training': is_training}
  params.update(kwargs)
  return params


def _add(tf, x, y, name):
  return tf.raw_ops.AddV2(x=x, y=y, name=name)


def _image(tf, channels=3):
  return tf.placeholder(tf.float32, [2, 8, 8, channels], name='input')


def _conv(tf, slim, net, t, scope, activation=_RELU6, **bn_kwargs):
  return slim.conv2d(
      net, 4, [3, 3], normalizer_fn=slim.batch_norm,
      normalizer_params=_bn(t, **bn_kwargs),
      activation_fn=tf.nn.relu6 if activation == _RELU6 else activation,
      scope=scope)


def conv_bn(tf, slim, t):
  """Conv2D -> fused batch norm -> ReLU6 (MobileNet's layer)."""
  return _conv(tf, slim, _image(tf), t, 'test')


def conv_bn_unfused(tf, slim, t):
  return _conv(tf, slim, _image(tf), t, 'test', fused=False)


def conv_bn_unfused_scale(tf, slim, t):
  return _conv(tf, slim, _image(tf), t, 'test', fused=False, scale=True)


def depthwise_bn_unfused(tf, slim, t):
  return slim.separable_conv2d(
      _image(tf), None, [3, 3], depth_multiplier=2,
      normalizer_fn=slim.batch_norm, normalizer_params=_bn(t, fused=False),
      activation_fn=tf.nn.relu6, scope='test')


def _fc_fused_bn(tf, slim, t, activation):
  """MatMul -> [N, 1, 1, C] -> fused batch norm -> [N, C], as tf-slim's
  fully_connected with a fused batch norm built it (tf_slim's own rank-2
  fused path fails on today's TensorFlow)."""
  x = tf.placeholder(tf.float32, [2, 12], name='input')
  with tf.variable_scope('test'):
    w = tf.get_variable('weights', [12, 4])
    y = tf.matmul(x, w, name='MatMul')
    y = tf.reshape(y, [-1, 1, 1, 4], name='Reshape')
    y = slim.batch_norm(y, is_training=t, scope='BatchNorm')
    y = tf.reshape(y, [-1, 4], name='Reshape_1')
    return activation(y, name='Relu6')


def fc_bn(tf, slim, t):
  return _fc_fused_bn(tf, slim, t, tf.nn.relu6)


def fc_bn_unfused(tf, slim, t):
  x = tf.placeholder(tf.float32, [2, 12], name='input')
  return slim.fully_connected(x, 4, normalizer_fn=slim.batch_norm,
                              normalizer_params=_bn(t, fused=False),
                              activation_fn=tf.nn.relu6, scope='test')


def conv_identity_bn(tf, slim, t):
  """An Identity between the convolution and its batch norm."""
  x = _image(tf)
  with tf.variable_scope('test'):
    w = tf.get_variable('weights', [3, 3, 3, 4])
    y = tf.nn.conv2d(x, w, [1, 1, 1, 1], 'SAME', name='Conv2D')
    y = tf.identity(y, name='Identity')
    y = slim.batch_norm(y, is_training=t, scope='BatchNorm')
    return tf.nn.relu6(y, name='Relu6')


def atrous_depthwise(tf, slim, t):
  """SpaceToBatchND -> DepthwiseConv2dNative -> BatchToSpaceND (rate 2)."""
  return slim.separable_conv2d(
      _image(tf), None, [3, 3], depth_multiplier=1, rate=2,
      normalizer_fn=slim.batch_norm, normalizer_params=_bn(t),
      activation_fn=tf.nn.relu6, scope='test')


def atrous_depthwise_unfused(tf, slim, t):
  return slim.separable_conv2d(
      _image(tf), None, [3, 3], depth_multiplier=1, rate=2,
      normalizer_fn=slim.batch_norm, normalizer_params=_bn(t, fused=False),
      activation_fn=tf.nn.relu6, scope='test')


def atrous_conv(tf, slim, t):
  """An atrous Conv2D (tf.contrib.quantize failed on this one)."""
  return slim.conv2d(_image(tf), 4, [3, 3], rate=2,
                     normalizer_fn=slim.batch_norm, normalizer_params=_bn(t),
                     activation_fn=tf.nn.relu6, scope='test')


def fc_identity(tf, slim, t):
  """Fully connected with tf.identity as its activation."""
  del t
  x = tf.placeholder(tf.float32, [2, 12], name='input')
  return slim.fully_connected(x, 4, activation_fn=tf.identity, scope='test')


def fc_bn_identity(tf, slim, t):
  return _fc_fused_bn(tf, slim, t, tf.identity)


def conv_identity(tf, slim, t):
  del t
  return slim.conv2d(_image(tf), 4, [3, 3], activation_fn=tf.identity,
                     scope='test')


def template_shared(tf, slim, t):
  """One layer's variables used twice through tf.make_template."""
  def layer(net):
    return slim.conv2d(net, 3, [3, 3], normalizer_fn=slim.batch_norm,
                       normalizer_params=_bn(t), activation_fn=tf.nn.relu6,
                       scope='conv')
  template = tf.make_template('shared', layer)
  return template(template(_image(tf)))


def shared_depthwise(tf, slim, t):
  """One depthwise weight variable used by two layers in one scope."""
  del slim, t
  x = _image(tf)
  with tf.variable_scope('test'):
    w = tf.get_variable('depthwise_weights', [3, 3, 3, 1])
    a = tf.nn.relu6(tf.nn.depthwise_conv2d(x, w, [1, 1, 1, 1], 'SAME',
                                           name='dw1'), name='act1')
    return tf.nn.relu6(tf.nn.depthwise_conv2d(a, w, [1, 1, 1, 1], 'SAME',
                                              name='dw2'), name='act2')


def separable(tf, slim, t):
  """slim.separable_conv2d with num_outputs: two layers in one scope."""
  return slim.separable_conv2d(
      _image(tf), 5, [3, 3], depth_multiplier=1,
      normalizer_fn=slim.batch_norm, normalizer_params=_bn(t),
      activation_fn=tf.nn.relu6, scope='test')


def separable_nobn(tf, slim, t):
  del t
  return slim.separable_conv2d(_image(tf), 5, [3, 3], depth_multiplier=1,
                               activation_fn=tf.nn.relu6, scope='test')


def post_act_bypass(tf, slim, t):
  """A residual addition after the activation, with an unquantized input."""
  x = _image(tf, 4)
  y = _conv(tf, slim, x, t, 'test')
  return _add(tf, y, x, 'bypass_add')


def pre_act_bypass(tf, slim, t):
  """A residual addition between the layer and its activation."""
  x = _image(tf, 4)
  y = _conv(tf, slim, x, t, 'test', activation=None)
  with tf.variable_scope('test'):
    return tf.nn.relu6(_add(tf, y, x, 'bypass_add'), name='Relu6')


def pre_act_bypass_conv(tf, slim, t):
  """ResNet v1 (add then ReLU) and MobileNet v2 (add, no ReLU) residuals."""
  x = _image(tf, 4)
  a = _conv(tf, slim, x, t, 'a', activation=tf.nn.relu)
  b = _conv(tf, slim, a, t, 'b', activation=None)
  c = tf.nn.relu(b + a, name='c')
  d = slim.conv2d(c, 4, [1, 1], normalizer_fn=slim.batch_norm,
                  normalizer_params=_bn(t), activation_fn=None, scope='d')
  return _add(tf, d, c, 'e')


def residual_in_scope(tf, slim, t):
  x = _image(tf, 4)
  with tf.variable_scope('block'):
    a = _conv(tf, slim, x, t, 'a', activation=tf.nn.relu)
    b = _conv(tf, slim, a, t, 'b', activation=None)
    return tf.nn.relu6(b + a)


def nested_post_bypass(tf, slim, t):
  x = _image(tf, 4)
  with tf.variable_scope('block'):
    with tf.variable_scope('inner'):
      y = _conv(tf, slim, x, t, 'conv')
      y = _add(tf, y, x, 'bypass_add')
    z = slim.conv2d(y, 4, [1, 1], normalizer_fn=slim.batch_norm,
                    normalizer_params=_bn(t), activation_fn=tf.nn.relu6,
                    scope='conv2')
    return tf.multiply(z, y, name='gate')


def nested_pre_bypass(tf, slim, t):
  x = _image(tf, 4)
  with tf.variable_scope('block'):
    with tf.variable_scope('inner'):
      y = _conv(tf, slim, x, t, 'conv', activation=None)
    with tf.name_scope('other'):
      return tf.nn.relu(_add(tf, y, x, 'bypass_add'), name='relu')


def act_mul(tf, slim, t):
  x = _image(tf, 4)
  return tf.multiply(_conv(tf, slim, x, t, 'test'), x, name='mul')


def act_mul_const(tf, slim, t):
  return tf.multiply(_conv(tf, slim, _image(tf), t, 'test'), 0.5, name='mul')


def act_add_const(tf, slim, t):
  return _add(tf, _conv(tf, slim, _image(tf), t, 'test'), 1.0, 'add')


def act_mul_add(tf, slim, t):
  y = tf.multiply(_conv(tf, slim, _image(tf), t, 'test'), 0.5, name='mul')
  return _add(tf, y, 1.0, 'add')


def act_mul_add_v1(tf, slim, t):
  """As act_mul_add with an Add op (TensorFlow 1's tf.add)."""
  y = tf.multiply(_conv(tf, slim, _image(tf), t, 'test'), 0.5, name='mul')
  return tf.raw_ops.Add(x=y, y=1.0, name='add')


def reshape_after(tf, slim, t):
  """A Reshape between a quantized activation and the next layer."""
  y = _conv(tf, slim, _image(tf), t, 'test')
  y = tf.reshape(y, [2, -1], name='reshape')
  return slim.fully_connected(y, 3, activation_fn=None, scope='fc')


def partitioned(tf, slim, t):
  """Fully connected weights split into two partitions."""
  del t
  x = tf.placeholder(tf.float32, [2, 12], name='input')
  with tf.variable_scope('test', partitioner=tf.fixed_size_partitioner(2)):
    return slim.fully_connected(x, 4, activation_fn=tf.nn.relu6, scope='fc')


def partitioned_conv(tf, slim, t):
  """Convolution weights in two partitions, batch norm unpartitioned."""
  def partitioner(shape, dtype):
    del dtype
    return [2, 1, 1, 1] if len(shape) == 4 else [1] * len(shape)
  with tf.variable_scope('test', partitioner=partitioner):
    return _conv(tf, slim, _image(tf), t, 'conv')


def unknown_rank(tf, slim, t):
  """A convolution whose input has no static shape."""
  del slim, t
  x = tf.placeholder(tf.float32, None, name='input')
  with tf.variable_scope('test'):
    w = tf.get_variable('weights', [3, 3, 3, 4])
    return tf.nn.relu6(tf.nn.conv2d(x, w, [1, 1, 1, 1], 'SAME'))


def no_layer(tf, slim, t):
  del slim, t
  x = tf.placeholder(tf.float32, [1, 8, 8, 3], name='input')
  return tf.nn.relu6(tf.nn.avg_pool(x, [1, 2, 2, 1], [1, 2, 2, 1], 'VALID'))


def _mobilenet_base(tf, slim, t, output_stride):
  import mobilenet_v1  # pylint: disable=g-import-not-at-top
  x = tf.placeholder(tf.float32, [2, 64, 64, 3], name='input')
  with slim.arg_scope(mobilenet_v1.mobilenet_v1_arg_scope(is_training=t)):
    net, _ = mobilenet_v1.mobilenet_v1_base(
        x, output_stride=output_stride, depth_multiplier=0.25)
  return net


def mobilenet_os8(tf, slim, t):
  """The DeepLab backbone: MobileNet with atrous layers, output stride 8."""
  return _mobilenet_base(tf, slim, t, 8)


def mobilenet_os16(tf, slim, t):
  return _mobilenet_base(tf, slim, t, 16)


def mobilenet(tf, slim, t):
  """The classifier, 0.25, 64 px, 10 classes (two-level op scopes)."""
  import mobilenet_v1  # pylint: disable=g-import-not-at-top
  x = tf.placeholder(tf.float32, [2, 64, 64, 3], name='input')
  with slim.arg_scope(mobilenet_v1.mobilenet_v1_arg_scope(is_training=t)):
    logits, _ = mobilenet_v1.mobilenet_v1(
        x, num_classes=10, is_training=t, depth_multiplier=0.25)
  return logits


# (case, mode, quant_delay, freeze_bn_delay) as recorded. Cases missing here
# (atrous_conv) made tf.contrib.quantize fail.
RUNS = (
    [(case, mode, 0, None)
     for case in ('conv_bn', 'conv_bn_unfused', 'conv_bn_unfused_scale',
                  'depthwise_bn_unfused', 'fc_bn', 'fc_bn_unfused',
                  'conv_identity_bn', 'atrous_depthwise',
                  'atrous_depthwise_unfused', 'fc_identity',
                  'fc_bn_identity', 'conv_identity', 'template_shared',
                  'shared_depthwise', 'separable', 'separable_nobn',
                  'post_act_bypass', 'pre_act_bypass', 'pre_act_bypass_conv',
                  'residual_in_scope', 'nested_post_bypass',
                  'nested_pre_bypass', 'act_mul', 'act_mul_const',
                  'act_add_const', 'act_mul_add', 'act_mul_add_v1',
                  'reshape_after', 'partitioned', 'partitioned_conv',
                  'unknown_rank', 'no_layer', 'mobilenet_os8',
                  'mobilenet_os16', 'mobilenet')
     for mode in ('train', 'eval')] +
    [(case, 'train', 5, 10)
     for case in ('conv_bn', 'conv_bn_unfused', 'fc_bn', 'atrous_depthwise',
                  'depthwise_bn_unfused', 'mobilenet')] +
    [('conv_bn', 'train', 5, None), ('conv_bn', 'train', 0, 10),
     ('conv_bn', 'eval', 5, None)])


def run_key(case, mode, quant_delay, freeze_bn_delay):
  return '%s.%s.%s.%s' % (case, mode, quant_delay, freeze_bn_delay)


# ---------------------------------------------------------------------------
# A few training steps whose numbers tf.contrib.quantize recorded.

NUMERIC_STEPS = 6
NUMERIC_QUANT_DELAY = 2
NUMERIC_FREEZE_BN_DELAY = 4
_NUMERIC_BATCH = 4


def numeric_net(tf, slim, t):
  """Conv + fused BN, depthwise + unfused BN, a residual add, logits."""
  x = tf.placeholder(tf.float32, [_NUMERIC_BATCH, 8, 8, 3], name='input')
  a = slim.conv2d(x, 4, [3, 3], normalizer_fn=slim.batch_norm,
                  normalizer_params=_bn(t, decay=0.5, scale=True),
                  activation_fn=tf.nn.relu6, scope='conv')
  b = slim.separable_conv2d(
      a, None, [3, 3], depth_multiplier=1, normalizer_fn=slim.batch_norm,
      normalizer_params=_bn(t, decay=0.5, fused=False),
      activation_fn=tf.nn.relu6, scope='depthwise')
  c = _add(tf, b, a, 'residual')
  pooled = tf.reduce_mean(c, [1, 2], name='pool')
  return slim.fully_connected(pooled, 3, activation_fn=None, scope='logits')


def _initial_value(name, shape):
  """A value for each variable, the same on every TensorFlow version."""
  seed = sum(ord(ch) * (i + 1) for i, ch in enumerate(name)) % (2 ** 31)
  rng = __import__('numpy').random.RandomState(seed)
  if name.endswith('moving_variance') or name.endswith('gamma'):
    return rng.uniform(0.5, 1.5, shape)
  return rng.uniform(-0.5, 0.5, shape)


def train_numeric_net(tf, slim, quantize):
  """NUMERIC_STEPS steps of SGD on numeric_net rewritten by `quantize`.

  Returns {'loss': [per step], <variable name>: final value as a list}.
  """
  import numpy as np  # pylint: disable=g-import-not-at-top
  graph = tf.Graph()
  with graph.as_default():
    logits = numeric_net(tf, slim, True)
    labels = tf.constant([0, 1, 2, 1])
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=labels, logits=logits))
    quantize.experimental_create_training_graph(
        quant_delay=NUMERIC_QUANT_DELAY,
        freeze_bn_delay=NUMERIC_FREEZE_BN_DELAY)
    optimizer = tf.train.GradientDescentOptimizer(0.5)
    with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
      train_op = optimizer.minimize(loss)
    variables = tf.global_variables()
    images = np.random.RandomState(7).uniform(
        -1, 1, [_NUMERIC_BATCH, 8, 8, 3]).astype(np.float32)
    with tf.Session(graph=graph) as sess:
      sess.run(tf.global_variables_initializer())
      for variable in variables:
        name = variable.op.name
        if '_quant' not in name and 'quantization_step' not in name:
          variable.load(_initial_value(name, variable.shape.as_list()),
                        sess)
      losses = []
      for _ in range(NUMERIC_STEPS):
        value, _ = sess.run([loss, train_op],
                            {graph.get_tensor_by_name('input:0'): images})
        losses.append(float(value))
      result = {'loss': losses}
      for variable, value in zip(variables, sess.run(variables)):
        result[variable.op.name] = np.asarray(value, np.float64).tolist()
  return result
