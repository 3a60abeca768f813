"""Records what tf.contrib.quantize made of contrib_cases.py's graphs.

Not part of the build: it needs TensorFlow 1.15 (the last release with
tf.contrib) and writes contrib_graphs.json next to it, which the tests read.

  python3.7 -m venv tf1 && tf1/bin/pip install tensorflow==1.15.5
  tf1/bin/python quantize/testdata/record_contrib.py

It runs the rewrites (experimental_create_training_graph and
experimental_create_eval_graph with each run's delays) and stores
graph_structure.summarize of each result, and the losses and final variables
of contrib_cases.train_numeric_net. The MobileNet cases import the
project's mobilenet_v1.py, with tf.contrib.slim standing in for tf_slim.
"""

import json
import os
import sys
import types

_HERE = os.path.dirname(os.path.abspath(__file__))
_ROOT = os.path.dirname(os.path.dirname(_HERE))


def _tf1_modules():
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  import tensorflow.contrib.slim as slim  # pylint: disable=g-import-not-at-top
  tf.compat.v1.logging.set_verbosity(tf.compat.v1.logging.ERROR)
  # mobilenet_v1.py imports tf_slim and third_party.tf_slim_compat.
  sys.modules['tf_slim'] = slim
  third_party = types.ModuleType('third_party')
  third_party.__path__ = []
  sys.modules['third_party'] = third_party
  sys.modules['third_party.tf_slim_compat'] = types.ModuleType(
      'third_party.tf_slim_compat')
  return tf, slim


def main():
  tf, slim = _tf1_modules()
  from tensorflow.contrib import quantize  # pylint: disable=g-import-not-at-top
  sys.path.insert(0, _ROOT)
  sys.path.insert(0, os.path.dirname(_HERE))
  import contrib_cases  # pylint: disable=g-import-not-at-top
  import graph_structure  # pylint: disable=g-import-not-at-top
  recorded = {'tensorflow': tf.__version__}
  for case, mode, quant_delay, freeze_bn_delay in contrib_cases.RUNS:
    graph = tf.Graph()
    with graph.as_default():
      getattr(contrib_cases, case)(tf, slim, mode == 'train')
      if mode == 'train':
        quantize.experimental_create_training_graph(
            quant_delay=quant_delay, freeze_bn_delay=freeze_bn_delay)
      else:
        quantize.experimental_create_eval_graph(
            quant_delay=quant_delay or None)
    key = contrib_cases.run_key(case, mode, quant_delay, freeze_bn_delay)
    recorded[key] = graph_structure.summarize(graph)
    print(key, len(recorded[key]['fake_quant']), 'fake-quant ops')
  recorded['numeric_net'] = contrib_cases.train_numeric_net(tf, slim,
                                                            quantize)
  with open(os.path.join(_HERE, 'contrib_graphs.json'), 'w') as f:
    json.dump(recorded, f, indent=1, sort_keys=True)
    f.write('\n')


if __name__ == '__main__':
  main()
