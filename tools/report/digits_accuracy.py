"""Float vs quantized vs int8 and uint8 TFLite accuracy on the built-in digits.

Reads what the main job (tools/demo.py) wrote: summary.json (the TF eval of
the float and the fake-quantized checkpoints on the validation split) and
the two bundles; runs each bundle's .tflite over the same split with
export.tflite_eval, so the quantized models' accuracy is measured, not
assumed. The _quant bundle holds one quantized format (its info file says
which); the other is converted from the bundle's frozen graph by
export/tflite.py and checked as an export checks it (quant_parity) before
it is scored.
"""

import json
import os

import tensorflow.compat.v1 as tf

from core import errors
from core import paths
from core import variants
from datasets import dataset_factory
from export import bundle
from export import info
from export import quant_parity
from export import tflite
from export import tflite_eval

SUMMARY = paths.DEMO_SUMMARY_FILENAME


def measure(demo_dir, num_threads=1):
  """The demo's four accuracies and how they were obtained (a dict)."""
  path = os.path.join(demo_dir, SUMMARY)
  if not os.path.isfile(path):
    raise errors.BadInputError(
        '--demo_dir has no %s: %s (run `bazel run -c opt //tools:demo` '
        'first)' % (SUMMARY, demo_dir))
  with open(path, encoding='utf-8') as f:
    summary = json.load(f)
  dataset = dataset_factory.get_dataset(None, 'validation', None)
  rows = []
  for kind, label in (('float', 'float, TensorFlow eval graph'),
                      ('quant', 'quantized, TensorFlow fake-quant eval '
                                'graph')):
    metrics = summary[kind]
    rows.append({'model': label, 'steps': metrics['global_step'],
                 'accuracy': metrics['accuracy'],
                 'recall_5': metrics['recall_5'],
                 'num_examples': metrics['num_examples'],
                 'source': 'tools/demo eval (%s)' % SUMMARY})
  models = []  # (format, steps, .tflite bytes, where it came from)
  for kind in ('float', 'quant'):
    archive = summary['bundles'][kind]
    if not os.path.isabs(archive):
      archive = os.path.join(demo_dir, archive)
    name = variants.model_name(summary['depth_multiplier'],
                               summary['image_size'], kind == 'quant')
    steps = summary[kind]['global_step']
    with bundle.opened(archive) as (directory, found):
      facts = info.read_bundle_info(directory, found)
      with open(bundle.member_path(directory, found, 'tflite'), 'rb') as f:
        models.append((facts.tflite_format, steps, f.read(),
                       '%s.tflite, the bundle\'s' % name))
      if kind == 'quant':
        frozen = tf.GraphDef()
        with open(bundle.member_path(directory, found, 'frozen_graph'),
                  'rb') as f:
          frozen.ParseFromString(f.read())
        for other in tflite.QUANTIZED_FORMATS:
          if other == facts.tflite_format:
            continue
          model = tflite.convert(frozen, other)
          report = quant_parity.check_quant_parity(
              model, frozen, summary['image_size'], other)
          models.append((other, steps, model, '%s converted from %s (checks '
                         'passed: worst layer %g steps)' % (
                             other, bundle.members(found).frozen_graph,
                             report.max_layer_steps)))
  order = (tflite.FLOAT,) + tflite.QUANTIZED_FORMATS
  for tflite_format, steps, model, origin in sorted(
      models, key=lambda m: order.index(m[0])):
    result = tflite_eval.evaluate_tflite(model, dataset,
                                         num_threads=num_threads)
    rows.append({
        'model': '%s .tflite (LiteRT)' % tflite_format,
        'tflite_format': tflite_format,
        'steps': steps,
        'accuracy': result.accuracy,
        'recall_5': result.recall_5,
        'num_examples': result.num_examples,
        'source': 'tflite_eval.evaluate_tflite on %s' % origin,
    })
  return {'depth_multiplier': summary['depth_multiplier'],
          'image_size': summary['image_size'],
          'dataset': '%s/%s (%d examples)' % (dataset.name,
                                              dataset.split_name,
                                              dataset.num_samples),
          'rows': rows}
