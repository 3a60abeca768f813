"""Exports one trained checkpoint as the published bundle `<model>.tgz`.

The pipeline: read and check the checkpoint (source), build the eval graph
of the variant, save its checkpoint and eval graph, freeze it, convert it to
TensorFlow Lite (float, or for _quant fully quantized int8 by default or
the TOCO-era uint8 with tflite_format='uint8'), check the .tflite
against the frozen graph (float_parity / quant_parity, and the size rule),
write the info file, pack the archive (bundle).

Every file is written in a private scratch directory under $TMPDIR
(core.scratch: removed at the end, and by the next export if a killed one
left it) and only the finished archive is moved into the output directory,
in one rename (core.atomic_file): a failed or interrupted export leaves
nothing in the output directory.
"""

import collections
import os
import time

from absl import logging
import tensorflow.compat.v1 as tf

from core import atomic_file
from core import errors
from core import flag_checks
from core import paths
from core import scratch
from core import session
from core import variants
from export import bundle
from export import checks
from export import float_parity
from export import freeze
from export import info
from export import quant_parity
from export import source
from export import tflite
from model import batch_norm_stats
from model import builder
from model import graph_stats
from quantize import quant_ops

BundleResult = collections.namedtuple('BundleResult', [
    'name', 'archive', 'sha256', 'archive_bytes', 'tflite_bytes',
    'num_classes', 'quantized', 'macs', 'params', 'global_step',
    'checkpoint', 'parity', 'max_layer_steps', 'quant_size_ratio',
    'tflite_format', 'seconds'])


def _write_checkpoint_and_graphs(facts, depth_multiplier, image_size, quantize,
                                 staging, files, num_threads):
  """Eval pbtxt and bundle checkpoint into `staging`.

  Returns:
    (the frozen GraphDef, the eval graph).
  """
  graph = builder.build_inference_graph(depth_multiplier, image_size,
                                        facts.num_classes, quantize)
  with graph.as_default():
    if facts.has_global_step:  # Kept: the bundle says how long it trained.
      tf.train.get_or_create_global_step()
    tf.io.write_graph(graph.as_graph_def(), staging, files.eval_graph,
                      as_text=True)
    hint = (' (trained with --quantize and the same --depth_multiplier?)'
            if quantize else ' (same --depth_multiplier as training?)')
    # Every variable is required, so one Saver restores and saves them all
    # (a second one would add its save ops to the published .meta).
    saver = facts.checkpoint.saver(tf.global_variables(), hint=hint)
  with tf.Session(graph=graph,
                  config=session.session_config(num_threads)) as sess:
    saver.restore(sess, facts.checkpoint.path)
    prefix = files.checkpoint_index[:-len('.index')]
    saver.save(sess, os.path.join(staging, prefix), write_meta_graph=True,
               write_state=False)
    return freeze.freeze_session(sess), graph


def _convert(frozen, tflite_format):
  """The .tflite bytes; a conversion failure becomes a one-line error."""
  try:
    return tflite.convert(frozen, tflite_format)
  except Exception as e:  # pylint: disable=broad-except
    # The converter raises its own error types (ConverterError, ValueError).
    raise checks.CheckFailedError('TensorFlow Lite conversion failed: %s' %
                                  errors.one_line(e)[:300]) from e


def _float_graph(graph, facts, depth_multiplier, image_size, quantize):
  """The float inference graph of the variant: `graph` itself if float.

  MACs and parameters are measured on it, and for _quant it gives the float
  .tflite of the same checkpoint that the size rule compares with.
  """
  if not quantize:
    return graph
  return builder.build_inference_graph(depth_multiplier, image_size,
                                       facts.num_classes, quantize=False)


def export_bundle(checkpoint, output_dir, depth_multiplier=1.0,
                  image_size=224, quantize=False, num_classes=None,
                  num_threads=0, tflite_format=None):
  """Writes output_dir/<model>.tgz from one trained checkpoint.

  Args:
    checkpoint: a checkpoint prefix, or a training directory (its newest).
    output_dir: where the archive goes (created if needed).
    depth_multiplier, image_size, quantize: the variant.
    num_classes: None reads it from the checkpoint; else must match it.
    num_threads: TensorFlow threads per pool (0: TensorFlow decides).
    tflite_format: for _quant, tflite.INT8 (None: the default) or
      tflite.UINT8 (the TOCO-era file); None or tflite.FLOAT otherwise.

  Returns:
    BundleResult.

  Raises:
    errors.BadInputError: bad flags or checkpoint (one-line messages).
    checks.CheckFailedError: the .tflite failed a check.
  """
  start = time.time()
  flag_checks.check_model_flags(depth_multiplier, image_size)
  flag_checks.require('output_dir', output_dir)
  flag_checks.check_positive('num_classes', num_classes)
  try:
    tflite_format = tflite.resolve_format(quantize, tflite_format)
  except ValueError as e:
    raise errors.BadInputError('--tflite_format: %s' % e) from e
  facts = source.inspect_checkpoint(checkpoint, quantize, num_classes)
  path = facts.checkpoint.path
  name = variants.model_name(depth_multiplier, image_size, quantize)
  files = bundle.members(name)
  output_dir = paths.ensure_output_dir(os.path.abspath(output_dir),
                                      'output_dir', create=False)
  target = os.path.join(output_dir, bundle.archive_filename(name))
  logging.info('exporting %s (%d classes) from %s (step %s)', name,
               facts.num_classes, path, facts.global_step)
  batch_norm_stats.check_settled(facts.checkpoint)  # Warns; export goes on.
  if facts.untrained_ranges:
    logging.warning(
        '%s: every activation range is still at its initial value ([%g, %g] '
        'after a ReLU, [%g, %g] elsewhere): was the model trained with '
        'quantization (past --quant_delay)?', path,
        *(quant_ops.initial_range('Relu6') + quant_ops.initial_range()))
  with scratch.scratch_dir('export_bundle') as staging:
    frozen, graph = _write_checkpoint_and_graphs(
        facts, depth_multiplier, image_size, quantize, staging, files,
        num_threads)
    float_graph = _float_graph(graph, facts, depth_multiplier, image_size,
                               quantize)
    freeze.write_graph_def(frozen, os.path.join(staging, files.frozen_graph))
    logging.info('%s: converting to %s TensorFlow Lite', name, tflite_format)
    model = _convert(frozen, tflite_format)
    atomic_file.write_bytes(os.path.join(staging, files.tflite), model)
    if quantize:
      parity = quant_parity.check_quant_parity(model, frozen, image_size,
                                               tflite_format)
    else:
      parity = float_parity.check_float_parity(model, frozen, image_size)
    logging.info('%s: parity %s', name, checks.describe(parity))
    size_ratio = None
    if quantize:
      float_model = _convert(
          freeze.freeze_graph(float_graph, facts.checkpoint), tflite.FLOAT)
      size_ratio = checks.check_size(len(model), len(float_model), image_size,
                                     tflite_format)
      logging.info('%s: %s .tflite is %.1f %% of the float one', name,
                   tflite_format, 100 * size_ratio)
    macs = graph_stats.graph_macs(float_graph)
    params = graph_stats.graph_params(float_graph)
    with open(os.path.join(staging, files.info), 'w', encoding='utf-8') as f:
      f.write(info.info_text(
          name, depth_multiplier, image_size, quantize, facts.num_classes,
          facts.global_step, path, model, macs, params, parity, size_ratio,
          tflite_format))
    staged_archive = os.path.join(staging, bundle.archive_filename(name))
    bundle.write_archive(staging, name, staged_archive)
    digest = bundle.sha256_of(staged_archive)
    archive_bytes = os.path.getsize(staged_archive)
    os.makedirs(output_dir, exist_ok=True)
    atomic_file.move_file(staged_archive, target)
  result = BundleResult(
      name=name, archive=target, sha256=digest, archive_bytes=archive_bytes,
      tflite_bytes=len(model), num_classes=facts.num_classes,
      quantized=quantize, macs=macs, params=params,
      global_step=facts.global_step, checkpoint=path,
      parity=checks.describe(parity), max_layer_steps=parity.max_layer_steps,
      quant_size_ratio=size_ratio, tflite_format=tflite_format,
      seconds=round(time.time() - start, 1))
  logging.info('wrote %s (%d bytes, .tflite %d bytes) in %.0f s', target,
               archive_bytes, len(model), result.seconds)
  return result
