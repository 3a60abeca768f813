"""Per-variant model figures: MACs, parameters, .tflite sizes and latency.

For the results report's model table. MACs and parameters come from the
built graph (model/graph_stats). The .tflite files are converted with
export/'s freeze and tflite functions from models that are initialised,
not trained (size and latency do not depend on the weights' values): the
float model straight from its initial weights; the int8 and uint8 models
(export/tflite.py's two quantized formats) from one frozen fake-quant graph,
after a few quantized training steps on random images (tools/bench/ours.py)
that give every fake-quant node a range so the converter can quantize the
whole model. Latency is the median LiteRT invoke
(tools/bench/tflite_latency.py, the three models interleaved), with 1
thread and with all threads.
"""

import os
import time

from third_party import tf_slim_compat  # pylint: disable=unused-import

import tensorflow.compat.v1 as tf

from core import variants
from export import freeze
from export import tflite
from model import builder
from model import graph_stats
from tools.bench import ours
from tools.bench import tflite_latency


def float_tflite(graph):
  """The float .tflite bytes of an inference graph, initialised."""
  with graph.as_default():
    init = tf.global_variables_initializer()
  with tf.Session(graph=graph) as sess:
    sess.run(init)
    frozen = freeze.freeze_session(sess)
  return tflite.to_float_tflite(frozen)


def quantized_tflite(depth_multiplier, image_size, work_dir,
                     calibration_steps=3, batch_size=2,
                     num_classes=variants.IMAGENET_NUM_CLASSES):
  """{format: .tflite bytes} of both quantized formats after a brief
  quantized training (ranges)."""
  runner = ours.TrainRunner(depth_multiplier, image_size, batch_size,
                            quantize=True, num_classes=num_classes)
  try:
    for _ in range(calibration_steps):
      runner.step()
    checkpoint = runner.save(work_dir)
  finally:
    runner.close()
  graph = builder.build_inference_graph(depth_multiplier, image_size,
                                        num_classes, quantize=True)
  frozen = freeze.freeze_graph(graph, checkpoint)
  return {tflite_format: tflite.convert(frozen, tflite_format)
          for tflite_format in tflite.QUANTIZED_FORMATS}


def measure(depth_multiplier, image_size, work_dir, invokes=50, warmup=10,
            calibration_steps=3):
  """{macs, params, float/int8/uint8 bytes and ms (1 thread, all threads)}."""
  start = time.time()
  graph = builder.build_inference_graph(depth_multiplier, image_size,
                                        variants.IMAGENET_NUM_CLASSES,
                                        quantize=False)
  row = {'variant': variants.model_name(depth_multiplier, image_size),
         'depth_multiplier': depth_multiplier, 'image_size': image_size,
         'macs': graph_stats.graph_macs(graph),
         'params': graph_stats.graph_params(graph)}
  models = {tflite.FLOAT: float_tflite(graph)}
  models.update(quantized_tflite(depth_multiplier, image_size,
                                 os.path.join(work_dir, row['variant']),
                                 calibration_steps))
  row.update(tflite_latency.figures(models, warmup, invokes))
  row['seconds'] = round(time.time() - start, 1)
  return row
