"""Float vs quantized vs uint8-TFLite accuracy on the built-in digits.

Reads what the main job (tools/demo.py) wrote: summary.json (the TF eval of
the float and the fake-quantized checkpoints on the validation split) and
the two bundles; runs each bundle's .tflite over the same split with
export.tflite_eval, so the uint8 model's accuracy is measured, not
assumed.
"""

import json
import os

from core import errors
from core import paths
from core import variants
from datasets import dataset_factory
from export import bundle
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
  for kind, label in (('float', 'float .tflite (LiteRT)'),
                      ('quant', 'uint8 .tflite (LiteRT)')):
    archive = summary['bundles'][kind]
    if not os.path.isabs(archive):
      archive = os.path.join(demo_dir, archive)
    model = bundle.read_member(archive, 'tflite')
    name = variants.model_name(summary['depth_multiplier'],
                               summary['image_size'], kind == 'quant')
    result = tflite_eval.evaluate_tflite(model, dataset,
                                         num_threads=num_threads)
    rows.append({
        'model': label,
        'steps': summary[kind]['global_step'],
        'accuracy': result.accuracy,
        'recall_5': result.recall_5,
        'num_examples': result.num_examples,
        'source': 'tflite_eval.evaluate_tflite on %s.tflite' % name
    })
  return {'depth_multiplier': summary['depth_multiplier'],
          'image_size': summary['image_size'],
          'dataset': '%s/%s (%d examples)' % (dataset.name,
                                              dataset.split_name,
                                              dataset.num_samples),
          'rows': rows}
