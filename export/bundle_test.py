"""Bundles from tiny trained checkpoints: names, contents, restore, failures."""

import glob
import json
import os
import signal
import subprocess
import tarfile
import tempfile
import time

from absl.testing import absltest
from ai_edge_litert.interpreter import Interpreter
import numpy as np
import tensorflow.compat.v1 as tf
from google.protobuf import text_format

from core import errors
from core import scripts
from core import variants
from export import bundle
from export import check_inputs
from export import checks
from export import exporter
from export import info
from export import source
from export import test_checkpoints
from export import tflite
from model import builder
from model import checkpoints
from model import graph_stats
from quantize import quant_ops

DEPTH = test_checkpoints.DEPTH_MULTIPLIER
CLASSES = test_checkpoints.NUM_CLASSES


def _predict(graph, sess, image):
  return sess.run(graph.get_tensor_by_name(variants.OUTPUT_NODE + ':0'),
                  {graph.get_tensor_by_name(variants.INPUT_NODE + ':0'):
                   image})


def _reference(checkpoint, image_size, quantize, image):
  """The model of a training checkpoint, built and restored afresh."""
  graph = builder.build_inference_graph(DEPTH, image_size, CLASSES, quantize)
  with graph.as_default():
    saver = tf.train.Saver()
  with tf.Session(graph=graph) as sess:
    saver.restore(sess, checkpoint)
    return _predict(graph, sess, image)


def _extract(archive):
  directory = tempfile.mkdtemp(dir=absltest.get_default_test_tmpdir())
  with tarfile.open(archive) as tar:
    names = tar.getnames()
    tar.extractall(directory)
  return directory, names


def _new_dir(prefix):
  return tempfile.mkdtemp(prefix=prefix, dir=absltest.get_default_test_tmpdir())


def _run(script, *args):
  cache = os.path.join(absltest.get_default_test_tmpdir(), 'data_cache')
  return scripts.run_script(script, args, 600,
                            {'MOBILENET_V1_DATA_CACHE': cache})


class BundleTest(absltest.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.float_checkpoint, cls.quant_checkpoint = (
        test_checkpoints.float_and_quant(_new_dir('checkpoints.')))
    # The float model exported at 64 px (weights do not depend on the size).
    cls.float_out = _new_dir('float_out.')
    cls.float_result = exporter.export_bundle(
        os.path.dirname(cls.float_checkpoint), cls.float_out,
        depth_multiplier=DEPTH, image_size=64, num_threads=1)
    cls.quant_out = _new_dir('quant_out.')
    cls.quant_result = exporter.export_bundle(cls.quant_checkpoint,
                                              cls.quant_out,
                                              depth_multiplier=DEPTH,
                                              image_size=32, quantize=True,
                                              num_threads=1)
    # The TOCO-era uint8 file, through the binary's flag.
    cls.uint8_out = _new_dir('uint8_out.')
    result_json = os.path.join(cls.uint8_out, 'result.json')
    process = _run('tools/export_bundle.py',
                   '--checkpoint=' + cls.quant_checkpoint, '--quantize',
                   '--tflite_format=uint8', '--depth_multiplier=0.25',
                   '--image_size=32', '--output_dir=' + cls.uint8_out,
                   '--num_threads=1', '--result_json=' + result_json)
    if process.returncode:
      raise AssertionError(process.stderr[-2000:])
    with open(result_json) as f:
      cls.uint8_result = exporter.BundleResult(**json.load(f))
    os.remove(result_json)

  def _check_layout(self, result, out, name, image_size, quantized,
                    tflite_format):
    self.assertEqual(result.name, name)
    self.assertEqual(os.listdir(out), [name + '.tgz'])
    self.assertEqual(result.archive, os.path.join(out, name + '.tgz'))
    self.assertEqual(result.sha256, bundle.sha256_of(result.archive))
    directory, names = _extract(result.archive)
    self.assertCountEqual(names, [
        name + '.ckpt.data-00000-of-00001', name + '.ckpt.index',
        name + '.ckpt.meta', name + '_eval.pbtxt', name + '_frozen.pb',
        name + '_info.txt', name + '.tflite'])
    self.assertCountEqual(names, bundle.members(name))
    with open(os.path.join(directory, name + '_info.txt')) as f:
      text = f.read()
    facts = info.read_info(text)
    self.assertEqual(facts, info.Info(name, DEPTH, image_size, CLASSES,
                                      quantized, tflite_format))
    self.assertEqual(result.tflite_format, tflite_format)
    values = info.parse_info(text)
    self.assertTrue(values[info.TFLITE_FORMAT].startswith(tflite_format + ' '))
    with open(os.path.join(directory, name + '.tflite'), 'rb') as f:
      self.assertEqual(tflite.model_format(f.read()), tflite_format)
    graph = builder.build_inference_graph(DEPTH, image_size, CLASSES,
                                          quantize=False)
    self.assertEqual(int(values[info.MACS]), graph_stats.graph_macs(graph))
    self.assertEqual(int(values[info.PARAMETERS]),
                     graph_stats.graph_params(graph))
    self.assertEqual(int(values[info.MACS]), result.macs)
    self.assertIn('[1, %d, %d, 3]' % (image_size, image_size),
                  values[info.INPUT])
    self.assertIn(variants.OUTPUT_NODE, values[info.OUTPUT])
    self.assertEqual(values[info.TFLITE_SIGNATURE], 'serving_default: input '
                     '-> ' + variants.OUTPUT_NODE)
    self.assertIn('[-1, 1]', values[info.NORMALIZATION])
    return directory

  def _frozen(self, directory, name):
    graph_def = tf.GraphDef()
    with open(os.path.join(directory, name + '_frozen.pb'), 'rb') as f:
      graph_def.ParseFromString(f.read())
    return graph_def

  def _check_restores(self, directory, name, image_size, quantize,
                      checkpoint):
    """The bundle's checkpoint: by its meta graph, and into a fresh graph."""
    image = check_inputs.to_float_input(
        check_inputs.check_images(image_size, 1)[0])
    expected = _reference(checkpoint, image_size, quantize, image)
    prefix = os.path.join(directory, name + '.ckpt')
    graph = tf.Graph()
    with graph.as_default():
      saver = tf.train.import_meta_graph(prefix + '.meta')
      with tf.Session(graph=graph) as sess:
        saver.restore(sess, prefix)
        np.testing.assert_allclose(_predict(graph, sess, image), expected,
                                   atol=1e-6)
    np.testing.assert_allclose(
        _reference(prefix, image_size, quantize, image), expected, atol=1e-6)
    # The eval graph text is the graph the checkpoint belongs to.
    with open(os.path.join(directory, name + '_eval.pbtxt')) as f:
      eval_graph = text_format.Parse(f.read(), tf.GraphDef())
    ops = {node.name: node for node in eval_graph.node}
    self.assertEqual(ops[variants.INPUT_NODE].op, 'Placeholder')
    self.assertIn(variants.OUTPUT_NODE, ops)
    return expected

  def test_float_bundle(self):
    name = 'mobilenet_v1_0.25_64'
    directory = self._check_layout(self.float_result, self.float_out, name, 64,
                                   False, tflite.FLOAT)
    expected = self._check_restores(directory, name, 64, False,
                                    self.float_checkpoint)
    frozen = self._frozen(directory, name)
    self.assertEmpty([n.name for n in frozen.node
                      if n.op in ('VarHandleOp', 'VariableV2')])
    [placeholder] = [n for n in frozen.node if n.op == 'Placeholder']
    self.assertEqual(placeholder.name, variants.INPUT_NODE)
    self.assertEqual([d.size for d in placeholder.attr['shape'].shape.dim],
                     [1, 64, 64, 3])
    interpreter = Interpreter(model_path=os.path.join(directory,
                                                      name + '.tflite'))
    interpreter.allocate_tensors()
    [detail] = interpreter.get_input_details()
    self.assertEqual(detail['dtype'], np.float32)
    self.assertEqual(list(detail['shape']), [1, 64, 64, 3])
    image = check_inputs.to_float_input(check_inputs.check_images(64, 1)[0])
    interpreter.set_tensor(detail['index'], image)
    interpreter.invoke()
    np.testing.assert_allclose(
        interpreter.get_tensor(interpreter.get_output_details()[0]['index']),
        expected, atol=1e-4)
    self.assertEqual(self.float_result.global_step, 3)
    self.assertIsNone(self.float_result.quant_size_ratio)

  def test_quant_bundle(self):
    name = 'mobilenet_v1_0.25_32_quant'
    directory = self._check_layout(self.quant_result, self.quant_out, name, 32,
                                   True, tflite.INT8)
    self._check_restores(directory, name, 32, True, self.quant_checkpoint)
    values = info.parse_info(bundle.read_member(self.quant_result.archive,
                                                'info').decode())
    self.assertEqual(values[info.TFLITE_SIGNATURE], 'serving_default: input '
                     '-> ' + variants.OUTPUT_NODE)
    self.assertIn('int8: 32 operations checked layer by layer',
                  values[info.PARITY])
    frozen = self._frozen(directory, name)
    self.assertGreater(len([n for n in frozen.node
                            if n.op == 'FakeQuantWithMinMaxVars']), 50)
    interpreter = Interpreter(model_path=os.path.join(directory,
                                                      name + '.tflite'))
    interpreter.allocate_tensors()
    [detail] = interpreter.get_input_details()
    [output] = interpreter.get_output_details()
    # The published interface: names, uint8 at both ends; int8 inside.
    self.assertEqual(detail['name'], variants.INPUT_NODE)
    self.assertEqual(output['name'], variants.OUTPUT_NODE)
    self.assertEqual(detail['dtype'], np.uint8)
    self.assertEqual(detail['quantization'], (1 / 128, 128))
    self.assertEqual(output['dtype'], np.uint8)
    self.assertIn(np.int8,
                  {d['dtype'] for d in interpreter.get_tensor_details()})
    # The learned ranges travel with the bundle's checkpoint.
    trained = tf.train.load_checkpoint(self.quant_checkpoint)
    shipped = tf.train.load_checkpoint(os.path.join(directory,
                                                    name + '.ckpt'))
    ranges = [
        n for n, _ in tf.train.list_variables(self.quant_checkpoint)
        if checkpoints.is_quant_range(n)
    ]
    self.assertLen(ranges, 4 * 28)
    for range_name in ranges:
      self.assertEqual(shipped.get_tensor(range_name),
                       trained.get_tensor(range_name))
    # Every range was learned: none is still where it started.
    scopes = sorted({n.rpartition('/')[0] for n in ranges})
    self.assertLen(scopes, 2 * 28)
    for scope in scopes:
      self.assertFalse(quant_ops.is_initial_range(
          trained.get_tensor(scope + '/min'), trained.get_tensor(scope + '/max')),
                       scope)
    self.assertFalse(
        source.inspect_checkpoint(self.quant_checkpoint, True).untrained_ranges)
    self.assertLessEqual(self.quant_result.max_layer_steps,
                         checks.MAX_QUANTIZATION_STEPS)
    self.assertLess(self.quant_result.quant_size_ratio, 0.35)

  def test_uint8_bundle_computes_what_the_int8_one_does(self):
    name = 'mobilenet_v1_0.25_32_quant'
    self._check_layout(self.uint8_result, self.uint8_out, name, 32, True,
                       tflite.UINT8)
    self.assertIn('uint8: 30 operations checked layer by layer',
                  self.uint8_result.parity)
    images = check_inputs.check_images(32)
    outputs = []
    for result in (self.quant_result, self.uint8_result):
      interpreter = Interpreter(model_content=bundle.read_member(
          result.archive, 'tflite'))
      interpreter.allocate_tensors()
      [detail] = interpreter.get_input_details()
      self.assertEqual(detail['name'], variants.INPUT_NODE)
      self.assertEqual(detail['quantization'], (1 / 128, 128))
      [output] = interpreter.get_output_details()
      self.assertEqual(output['quantization'], (1 / 256, 0))
      values = []
      for image in images:
        interpreter.set_tensor(detail['index'], image)
        interpreter.invoke()
        values.append(interpreter.get_tensor(output['index']).astype(int))
      outputs.append(np.array(values))
    # The same integers, up to the kernels' rounding (XNNPACK's int8 and
    # uint8 kernels requantize differently).
    self.assertLessEqual(np.max(np.abs(outputs[0] - outputs[1])), 2)
    with self.assertRaisesRegex(errors.BadInputError,
                                '--tflite_format: a float model cannot be '
                                'converted to uint8'):
      exporter.export_bundle(self.float_checkpoint, _new_dir('refused.'),
                             depth_multiplier=DEPTH, image_size=32,
                             tflite_format='uint8')

  def test_eval_scores_a_bundles_tflite(self):
    for result, kind in ((self.quant_result, 'int8'),
                         (self.uint8_result, 'uint8')):
      eval_dir = _new_dir('eval.')
      directory, _ = _extract(result.archive)
      # A bundle (.tgz) and a bare .tflite (format read from the model).
      for model in (result.archive,
                    os.path.join(directory, result.name + '.tflite')):
        process = _run('mobilenet_v1_eval.py', '--tflite=' + model,
                       '--num_examples=40', '--eval_dir=' + eval_dir)
        self.assertEqual(process.returncode, 0, process.stderr[-2000:])
        self.assertIn('(40 examples, %s .tflite %s)' % (kind, model),
                      process.stdout)
        with open(os.path.join(eval_dir, 'metrics.json')) as f:
          record = json.load(f)
        self.assertEqual(record['tflite'], model)
        self.assertEqual(record['tflite_format'], kind)
        self.assertEqual(record['num_examples'], 40)
        self.assertTrue(0 <= record['accuracy'] <= record['recall_5'] <= 1)
        is_bundle = model.endswith('.tgz')
        self.assertEqual(record['bundle'], result.name if is_bundle else None)
        self.assertEqual(record['global_step'], 5 if is_bundle else None)
    process = _run('mobilenet_v1_eval.py', '--tflite=' + result.archive,
                   '--checkpoint_dir=' + self.quant_checkpoint)
    self.assertEqual(process.returncode, 2)
    self.assertEqual(process.stderr.strip().splitlines()[-1],
                     'error: --tflite scores a TensorFlow Lite model: not '
                     'with --checkpoint_dir or --eval_interval_secs')

  def test_never_trained_ranges_are_reported(self):
    # Saved before any quantized step: every range is at its initial value.
    untrained = test_checkpoints.train(_new_dir('untrained.'), steps=0,
                                       quantize=True)
    self.assertTrue(source.inspect_checkpoint(untrained, True).untrained_ranges)
    self.assertTrue(quant_ops.is_initial_range(
        *quant_ops.initial_range('Relu6')))
    self.assertFalse(quant_ops.is_initial_range(0.0, 5.99))

  def test_checkpoint_mismatches_are_one_line_errors(self):
    out = _new_dir('refused.')
    with self.assertRaisesRegex(
        errors.BadInputError, '--quantize needs a checkpoint trained with '
        '--quantize.*float checkpoint'):
      exporter.export_bundle(self.float_checkpoint, out, depth_multiplier=DEPTH,
                             image_size=32, quantize=True)
    with self.assertRaisesRegex(errors.BadInputError,
                                'export it with --quantize'):
      exporter.export_bundle(self.quant_checkpoint, out, depth_multiplier=DEPTH,
                             image_size=32)
    with self.assertRaisesRegex(errors.BadInputError,
                                '--num_classes 1001 does not fit.*10 classes'):
      exporter.export_bundle(self.float_checkpoint, out, depth_multiplier=DEPTH,
                             image_size=32, num_classes=1001)
    with self.assertRaisesRegex(errors.BadInputError, 'does not fit the model'):
      exporter.export_bundle(self.float_checkpoint, out, depth_multiplier=0.5,
                             image_size=32)
    with self.assertRaisesRegex(errors.BadInputError, 'does not exist'):
      exporter.export_bundle(os.path.join(out, 'nothing'), out)
    self.assertEqual(os.listdir(out), [])

  def test_failed_check_leaves_nothing(self):
    out = os.path.join(_new_dir('failed.'), 'bundles')
    original = exporter._convert  # pylint: disable=protected-access

    def corrupted(frozen, quantize):
      model = bytearray(original(frozen, quantize))
      test_checkpoints.corrupt_largest_constant(model)
      return bytes(model)

    exporter._convert = corrupted  # pylint: disable=protected-access
    try:
      with self.assertRaisesRegex(checks.CheckFailedError,
                                  'disagrees with the frozen graph'):
        exporter.export_bundle(self.quant_checkpoint, out,
                               depth_multiplier=DEPTH, image_size=32,
                               quantize=True)
    finally:
      exporter._convert = original  # pylint: disable=protected-access
    self.assertFalse(os.path.exists(out))

  def test_exception_while_archiving_leaves_nothing(self):
    out = _new_dir('interrupted.')
    original = bundle.write_archive
    staged = []

    def half_written(directory, name, path):
      with open(path, 'wb') as f:
        f.write(b'\x1f\x8b partial')
      staged.append(directory)
      raise KeyboardInterrupt  # As if the user pressed Ctrl-C here.

    bundle.write_archive = half_written
    try:
      with self.assertRaises(KeyboardInterrupt):
        exporter.export_bundle(self.float_checkpoint, out,
                               depth_multiplier=DEPTH, image_size=32)
    finally:
      bundle.write_archive = original
    self.assertEqual(os.listdir(out), [])
    self.assertFalse(os.path.exists(staged[0]))

  def _start_export_and_wait_until_staged(self, out, temp):
    process = subprocess.Popen(
        scripts.script_command('tools/export_bundle.py') + [
            '--checkpoint=' + self.quant_checkpoint, '--quantize',
            '--depth_multiplier=0.25', '--image_size=32', '--output_dir=' + out,
            '--num_threads=1'
        ], env=dict(scripts.script_env(), TMPDIR=temp),
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    # Wait until the .tflite is staged (a late step).
    deadline = time.time() + 120
    staged = []
    while not staged and time.time() < deadline:
      staged = glob.glob(os.path.join(temp, 'export_bundle.*', '*.tflite'))
      time.sleep(0.01)
    self.assertIsNone(process.poll(), 'the export ended before the signal')
    self.assertTrue(staged)
    return process

  def test_killed_export_leaves_nothing_and_its_scratch_goes_next_time(self):
    out = _new_dir('killed.')
    temp = _new_dir('tmp.')
    process = self._start_export_and_wait_until_staged(out, temp)
    process.send_signal(signal.SIGKILL)
    process.communicate()
    self.assertEqual(os.listdir(out), [])
    self.assertLen(os.listdir(temp), 1)  # SIGKILL leaves the scratch dir...
    process = scripts.run_script(
        'tools/export_bundle.py',
        ['--checkpoint=' + self.float_checkpoint, '--depth_multiplier=0.25',
         '--image_size=32', '--output_dir=' + out, '--num_threads=1'],
        600, {'TMPDIR': temp})
    self.assertEqual(process.returncode, 0, process.stderr[-2000:])
    self.assertEqual(os.listdir(temp), [])  # ...which the next export removes.

  def test_terminated_export_cleans_up_and_says_so(self):
    out = _new_dir('terminated.')
    temp = _new_dir('tmp.')
    process = self._start_export_and_wait_until_staged(out, temp)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate()
    self.assertEqual(process.returncode, 130, stderr[-2000:])
    self.assertIn('error: interrupted; nothing was written to --output_dir',
                  stderr)
    self.assertEqual(os.listdir(out), [])
    self.assertEqual(os.listdir(temp), [])

if __name__ == '__main__':
  absltest.main()
