"""The published bundle: one trained checkpoint -> `<model>.tgz`.

The one place that knows what a bundle holds and what its files are called
(export_bundle, release, label_image and the demo use it). As the original
downloads, `<model>.tgz` (e.g. mobilenet_v1_0.5_160_quant.tgz) holds at its
top level exactly:

  <model>.ckpt.data-00000-of-00001, <model>.ckpt.index, <model>.ckpt.meta
      the checkpoint, with the meta graph of the eval graph: it restores into
      a freshly built graph of the variant, or by itself through
      tf.train.import_meta_graph;
  <model>_eval.pbtxt    the eval graph (fake-quantized for _quant), as text;
  <model>_frozen.pb     the frozen graph: float input `input` [1, H, W, 3],
                        output `MobilenetV1/Predictions/Reshape_1` (the
                        fake-quant nodes kept for _quant);
  <model>_info.txt      names, shapes, normalization, MACs, parameters;
  <model>.tflite        float, or for _quant fully quantized uint8 (uint8
                        input, mean 128, std 128).

Every file is written in a private temporary directory (under $TMPDIR, not
in the output directory), the checks of export/checks.py run, the archive is
built there and only then moved into the output directory, in one rename
when both are on the same filesystem. So a failed or interrupted export
leaves nothing in the output directory (across filesystems the archive is
copied to a hidden `.<model>.tgz.partial-<pid>` first and renamed; a copy
left by a killed process is removed by the next export of that model).
"""

import collections
import contextlib
import errno
import hashlib
import os
import re
import shutil
import tarfile
import tempfile
import time

from absl import logging
import numpy as np
import tensorflow.compat.v1 as tf

import atomic_file
import checkpoint_compat
import cli
import model_builder
import variants
from export import checks
from export import freeze
from export import info
from export import litert
from export import tflite
from quantize import quant_ops
from tools import graph_stats

# Bumped when what a bundle holds changes: the release rebuilds older ones.
FORMAT_VERSION = 1
ARCHIVE_SUFFIX = '.tgz'
LOGITS_BIASES = 'MobilenetV1/Logits/Conv2d_1c_1x1/biases'
GLOBAL_STEP = 'global_step'
_RANGE_RE = re.compile(r'_quant/(min|max)$')
_ACT_QUANT = '/act_quant/'
_INFO_SUFFIX = '_info.txt'

Members = collections.namedtuple('Members', [
    'checkpoint_data', 'checkpoint_index', 'checkpoint_meta', 'eval_graph',
    'frozen_graph', 'info', 'tflite'])

BundleResult = collections.namedtuple('BundleResult', [
    'name', 'archive', 'sha256', 'archive_bytes', 'tflite_bytes',
    'num_classes', 'quantized', 'macs', 'params', 'global_step',
    'checkpoint', 'parity', 'max_layer_steps', 'uint8_size_ratio',
    'seconds'])


def checkpoint_prefix(name):
  """'mobilenet_v1_1.0_224' -> 'mobilenet_v1_1.0_224.ckpt'."""
  return name + '.ckpt'


def members(name):
  """The file names a bundle of model `name` holds (Members)."""
  prefix = checkpoint_prefix(name)
  return Members(
      checkpoint_data=prefix + '.data-00000-of-00001',
      checkpoint_index=prefix + '.index',
      checkpoint_meta=prefix + '.meta',
      eval_graph=name + '_eval.pbtxt',
      frozen_graph=name + '_frozen.pb',
      info=name + _INFO_SUFFIX,
      tflite=name + '.tflite')


def member_path(directory, name, kind):
  """The path of member `kind` (a Members field, e.g. 'tflite') of the
  bundle of model `name` extracted in `directory`.

  Raises:
    cli.BadInputError: the bundle has no such file.
  """
  path = os.path.join(directory, getattr(members(name), kind))
  if not os.path.isfile(path):
    raise cli.BadInputError('the bundle has no %s' % os.path.basename(path))
  return path


def read_member(bundle_path, kind):
  """The bytes of member `kind` (e.g. 'tflite') of a bundle (.tgz or
  extracted directory).

  Raises:
    cli.BadInputError: not a bundle, or no such file in it.
  """
  with opened(bundle_path) as (directory, name):
    with open(member_path(directory, name, kind), 'rb') as f:
      return f.read()


def archive_filename(name):
  return name + ARCHIVE_SUFFIX


def name_of_info_file(filename):
  """'x_info.txt' -> 'x', else None."""
  if filename.endswith(_INFO_SUFFIX):
    return filename[:-len(_INFO_SUFFIX)]
  return None


def is_quant_range(variable_name):
  return bool(_RANGE_RE.search(variable_name))


CheckpointFacts = collections.namedtuple('CheckpointFacts', [
    'path', 'num_classes', 'quantized', 'global_step', 'has_global_step',
    'untrained_ranges'])


def _ranges_untrained(path, names):
  """Whether every activation range among `names` is at its initial value."""
  scopes = sorted({n.rpartition('/')[0] for n in names if _ACT_QUANT in n})
  if not scopes:
    return False
  reader = tf.train.load_checkpoint(path)
  return all(quant_ops.is_initial_range(reader.get_tensor(scope + '/min'),
                                        reader.get_tensor(scope + '/max'))
             for scope in scopes)


def inspect_checkpoint(checkpoint, quantize, num_classes=None):
  """Resolves --checkpoint and checks it suits the export.

  Returns:
    CheckpointFacts: the checkpoint prefix, its class count (from the
    classifier's biases), whether it has quantization ranges, its global
    step (None without one) and whether it stores a global_step variable,
    and whether its activation ranges never moved from their initial values
    ([0, 6] after a ReLU or ReLU6, [-6, 6] elsewhere).

  Raises:
    cli.BadInputError: no checkpoint, not a MobileNet v1 classifier, another
      class count than --num_classes, a float checkpoint for --quantize or a
      quantized one without it.
  """
  path = checkpoint_compat.resolve_checkpoint(checkpoint, 'checkpoint')
  shapes = checkpoint_compat.checkpoint_shapes(path)
  if LOGITS_BIASES not in shapes or len(shapes[LOGITS_BIASES]) != 1:
    raise cli.BadInputError('--checkpoint %s is not a MobileNet v1 classifier '
                            'checkpoint (no %s)' % (path, LOGITS_BIASES))
  stored_classes = shapes[LOGITS_BIASES][0]
  if num_classes is not None and num_classes != stored_classes:
    raise cli.BadInputError('--num_classes %d does not fit --checkpoint %s, '
                            'whose classifier has %d classes' % (
                                num_classes, path, stored_classes))
  ranges = sorted(name for name in shapes if is_quant_range(name))
  if quantize and not ranges:
    raise cli.BadInputError('--quantize needs a checkpoint trained with '
                            '--quantize; %s is a float checkpoint (no '
                            'quantization ranges)' % path)
  if not quantize and ranges:
    raise cli.BadInputError('--checkpoint %s was trained with --quantize (it '
                            'has quantization ranges, e.g. %s): export it with '
                            '--quantize' % (path, ranges[0]))
  return CheckpointFacts(
      path, stored_classes, bool(ranges),
      checkpoint_compat.checkpoint_global_step(path),
      has_global_step=GLOBAL_STEP in shapes,
      untrained_ranges=_ranges_untrained(path, ranges))


def _write_checkpoint_and_graphs(facts, depth_multiplier, image_size, quantize,
                                 staging, files, num_threads):
  """Eval pbtxt and bundle checkpoint into `staging`.

  Returns:
    (the frozen GraphDef, the eval graph).
  """
  graph = model_builder.build_inference_graph(
      depth_multiplier, image_size, facts.num_classes, quantize)
  with graph.as_default():
    if facts.has_global_step:  # Kept: the bundle says how long it trained.
      tf.train.get_or_create_global_step()
    tf.io.write_graph(graph.as_graph_def(), staging, files.eval_graph,
                      as_text=True)
    hint = (' (trained with --quantize and the same --depth_multiplier?)'
            if quantize else ' (same --depth_multiplier as training?)')
    # Every variable is required, so one Saver restores and saves them all
    # (a second one would add its save ops to the published .meta).
    saver = tf.train.Saver(var_list=checkpoint_compat.plan_restore(
        facts.path, tf.global_variables(), flag_name='checkpoint', hint=hint))
  with tf.Session(graph=graph,
                  config=cli.session_config(num_threads)) as sess:
    saver.restore(sess, facts.path)
    prefix = files.checkpoint_index[:-len('.index')]
    saver.save(sess, os.path.join(staging, prefix), write_meta_graph=True,
               write_state=False)
    return freeze.freeze_session(sess), graph


def _convert(frozen, quantize):
  """The .tflite bytes; a conversion failure becomes a one-line error."""
  try:
    if quantize:
      return tflite.to_uint8_tflite(frozen)
    return tflite.to_float_tflite(frozen)
  except Exception as e:  # pylint: disable=broad-except
    # The converter raises its own error types (ConverterError, ValueError).
    raise checks.CheckFailedError('TensorFlow Lite conversion failed: %s' %
                                  cli.one_line(e)[:300]) from e


def _float_graph(graph, facts, depth_multiplier, image_size, quantize):
  """The float inference graph of the variant: `graph` itself if float.

  MACs and parameters are measured on it, and for _quant it gives the float
  .tflite of the same checkpoint that the size rule compares with.
  """
  if not quantize:
    return graph
  return model_builder.build_inference_graph(
      depth_multiplier, image_size, facts.num_classes, quantize=False)


def _tflite_io_text(model, quantize):
  """(input line, output line) of the info file, read from the model."""
  interpreter = checks.interpreter_for(model)
  input_detail, output_detail = litert.single_io(interpreter)

  def describe(detail):
    text = '%s %s %s' % (detail['name'], [int(d) for d in detail['shape']],
                         np.dtype(detail['dtype']).name)
    if quantize:
      scale, zero_point = detail['quantization']
      text += ', scale %.8g, zero point %d' % (scale, zero_point)
    return text

  input_text = describe(input_detail)
  if quantize:
    input_text += ' (mean %g, std %g: real = (q - %g) / %g)' % (
        tflite.INPUT_MEAN, tflite.INPUT_STD, tflite.INPUT_MEAN,
        tflite.INPUT_STD)
  return input_text, describe(output_detail)


def _info_text(name, depth_multiplier, image_size, quantize, facts, model,
               macs, params, parity, size_ratio):
  input_line, output_line = _tflite_io_text(model, quantize)
  fields = [
      (info.MODEL, name),
      (info.DEPTH_MULTIPLIER, variants.format_depth_multiplier(
          depth_multiplier)),
      (info.IMAGE_SIZE, image_size),
      (info.NUM_CLASSES, facts.num_classes),
      (info.QUANTIZED, 'yes (8-bit fake quantization in the graphs; the '
       '.tflite is fully quantized uint8)' if quantize else 'no (float32)'),
      (info.INPUT, '%s [1, %d, %d, 3] float32' % (
          variants.INPUT_NODE, image_size, image_size)),
      (info.OUTPUT, '%s [1, %d] float32 (softmax probabilities)' % (
          variants.OUTPUT_NODE, facts.num_classes)),
      (info.TFLITE_INPUT, input_line),
      (info.TFLITE_OUTPUT, output_line),
      (info.NORMALIZATION, info.normalization_text(quantize)),
      (info.MILLION_MACS, '%.1f' % (macs / 1e6)),
      (info.MILLION_PARAMETERS, '%.2f' % (params / 1e6)),
      (info.MACS, macs),
      (info.PARAMETERS, params),
      (info.GLOBAL_STEP, facts.global_step),
      (info.CHECKPOINT, facts.path),
      (info.PARITY, checks.describe(parity)),
  ]
  if size_ratio is not None:
    fields.append((info.SIZE_CHECK, 'uint8 .tflite is %.1f %% of the float '
                   'one (limit %d %% at input size >= %d)' % (
                       100 * size_ratio,
                       round(100 * checks.MAX_UINT8_SIZE_RATIO),
                       checks.SIZE_CHECK_MIN_IMAGE_SIZE)))
  fields.append((info.EXPORTED_BY, 'export_bundle (bundle format %d), %s' % (
      FORMAT_VERSION, time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime()))))
  return info.format_info(fields)


def _normalized(tarinfo):
  tarinfo.uid = tarinfo.gid = 0
  tarinfo.uname = tarinfo.gname = ''
  tarinfo.mode = 0o644
  return tarinfo


def write_archive(directory, name, path):
  """Packs the bundle files of `directory` (exactly members(name)) to path."""
  with tarfile.open(path, 'w:gz') as tar:
    for member in members(name):
      tar.add(os.path.join(directory, member), arcname=member,
              recursive=False, filter=_normalized)


def update_digest(digest, path):
  """Feeds the contents of file `path` to a hashlib digest, 1 MiB at a time."""
  with open(path, 'rb') as f:
    for block in iter(lambda: f.read(1 << 20), b''):
      digest.update(block)


def sha256_of(path):
  digest = hashlib.sha256()
  update_digest(digest, path)
  return digest.hexdigest()


def _partial_prefix(target):
  return '.%s.partial-' % os.path.basename(target)


def _remove_stale_partials(target):
  """Removes copies a killed export left (their process is gone)."""
  directory = os.path.dirname(target)
  prefix = _partial_prefix(target)
  if not os.path.isdir(directory):
    return
  for entry in os.listdir(directory):
    if not entry.startswith(prefix):
      continue
    pid = entry[len(prefix):]
    alive = False
    if pid.isdigit():
      try:
        os.kill(int(pid), 0)
        alive = int(pid) != os.getpid()
      except OSError:
        alive = False
    if not alive:
      try:
        os.remove(os.path.join(directory, entry))
      except OSError:
        pass


def move_into_place(source, target):
  """Moves a finished file to `target` atomically (see the module doc)."""
  try:
    os.replace(source, target)
    return
  except OSError as e:
    if e.errno != errno.EXDEV:
      raise
  partial = os.path.join(os.path.dirname(target),
                         _partial_prefix(target) + str(os.getpid()))
  try:
    with open(source, 'rb') as src, open(partial, 'wb') as dst:
      shutil.copyfileobj(src, dst, 1 << 20)
      dst.flush()
      os.fsync(dst.fileno())
    os.replace(partial, target)
  finally:
    if os.path.exists(partial):
      os.remove(partial)


def export_bundle(checkpoint, output_dir, depth_multiplier=1.0,
                  image_size=224, quantize=False, num_classes=None,
                  num_threads=0):
  """Writes output_dir/<model>.tgz from one trained checkpoint.

  Args:
    checkpoint: a checkpoint prefix, or a training directory (its newest).
    output_dir: where the archive goes (created if needed).
    depth_multiplier, image_size, quantize: the variant.
    num_classes: None reads it from the checkpoint; else must match it.
    num_threads: TensorFlow threads per pool (0: TensorFlow decides).

  Returns:
    BundleResult.

  Raises:
    cli.BadInputError: bad flags or checkpoint (one-line messages).
    checks.CheckFailedError: the .tflite failed a check.
  """
  start = time.time()
  cli.check_model_flags(depth_multiplier, image_size)
  cli.require('output_dir', output_dir)
  cli.check_positive('num_classes', num_classes)
  facts = inspect_checkpoint(checkpoint, quantize, num_classes)
  name = variants.model_name(depth_multiplier, image_size, quantize)
  files = members(name)
  output_dir = os.path.abspath(output_dir)
  target = os.path.join(output_dir, archive_filename(name))
  if os.path.exists(output_dir) and not os.path.isdir(output_dir):
    raise cli.BadInputError('--output_dir is not a directory: %s' % output_dir)
  _remove_stale_partials(target)
  logging.info('exporting %s (%d classes) from %s (step %s)', name,
               facts.num_classes, facts.path, facts.global_step)
  if facts.untrained_ranges:
    logging.warning(
        '%s: every activation range is still at its initial value ([%g, %g] '
        'after a ReLU, [%g, %g] elsewhere): was the model trained with '
        'quantization (past --quant_delay)?', facts.path,
        *(quant_ops.initial_range('Relu6') + quant_ops.initial_range()))
  staging = tempfile.mkdtemp(prefix='export_bundle.%s.' % name)
  try:
    frozen, graph = _write_checkpoint_and_graphs(
        facts, depth_multiplier, image_size, quantize, staging, files,
        num_threads)
    float_graph = _float_graph(graph, facts, depth_multiplier, image_size,
                               quantize)
    freeze.write_graph_def(frozen, os.path.join(staging, files.frozen_graph))
    logging.info('%s: converting to %s TensorFlow Lite', name,
                 'uint8' if quantize else 'float')
    model = _convert(frozen, quantize)
    atomic_file.write_bytes(os.path.join(staging, files.tflite), model)
    parity = checks.check_parity(model, frozen, quantize, image_size)
    logging.info('%s: parity %s', name, checks.describe(parity))
    size_ratio = None
    if quantize:
      float_model = _convert(freeze.freeze_graph(float_graph, facts.path),
                             False)
      size_ratio = checks.check_size(len(model), len(float_model), image_size)
      logging.info('%s: uint8 .tflite is %.1f %% of the float one', name,
                   100 * size_ratio)
    macs = graph_stats.graph_macs(float_graph)
    params = graph_stats.graph_params(float_graph)
    with open(os.path.join(staging, files.info), 'w', encoding='utf-8') as f:
      f.write(_info_text(name, depth_multiplier, image_size, quantize, facts,
                         model, macs, params, parity, size_ratio))
    staged_archive = os.path.join(staging, archive_filename(name))
    write_archive(staging, name, staged_archive)
    digest = sha256_of(staged_archive)
    archive_bytes = os.path.getsize(staged_archive)
    os.makedirs(output_dir, exist_ok=True)
    move_into_place(staged_archive, target)
  finally:
    shutil.rmtree(staging, ignore_errors=True)
  result = BundleResult(
      name=name, archive=target, sha256=digest, archive_bytes=archive_bytes,
      tflite_bytes=len(model), num_classes=facts.num_classes,
      quantized=quantize, macs=macs, params=params,
      global_step=facts.global_step, checkpoint=facts.path,
      parity=checks.describe(parity), max_layer_steps=parity.max_layer_steps,
      uint8_size_ratio=size_ratio, seconds=round(time.time() - start, 1))
  logging.info('wrote %s (%d bytes, .tflite %d bytes) in %.0f s', target,
               archive_bytes, len(model), result.seconds)
  return result


@contextlib.contextmanager
def opened(path):
  """A bundle (.tgz or an extracted directory) as (directory, name).

  A .tgz is extracted into a temporary directory, removed afterwards; only
  plain files at the archive's top level are extracted.

  Raises:
    cli.BadInputError: not a bundle.
  """
  if os.path.isdir(path):
    names = [n for n in (name_of_info_file(f) for f in os.listdir(path)) if n]
    if len(names) != 1:
      raise cli.BadInputError('%s is not a bundle directory (expected one '
                              '<model>_info.txt, found %d)' % (path,
                                                                 len(names)))
    yield path, names[0]
    return
  if not os.path.isfile(path):
    raise cli.BadInputError('bundle does not exist: %s' % path)
  temp = tempfile.mkdtemp(prefix='bundle.')
  try:
    try:
      with tarfile.open(path, 'r:*') as tar:
        entries = [m for m in tar.getmembers()
                   if m.isfile() and '/' not in m.name and m.name not in (
                       '.', '..')]
        for entry in entries:
          with tar.extractfile(entry) as src, open(
              os.path.join(temp, entry.name), 'wb') as dst:
            shutil.copyfileobj(src, dst)
    except (tarfile.TarError, OSError, EOFError) as e:
      raise cli.BadInputError('%s is not a readable .tgz bundle: %s' % (
          path, cli.one_line(e))) from e
    names = [n for n in (name_of_info_file(e.name) for e in entries) if n]
    if len(names) != 1:
      raise cli.BadInputError('%s is not a bundle (expected one '
                              '<model>_info.txt in it)' % path)
    yield temp, names[0]
  finally:
    shutil.rmtree(temp, ignore_errors=True)
