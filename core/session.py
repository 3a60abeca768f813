"""The TensorFlow session settings every job shares.

One place turns the binaries' --num_threads into a ConfigProto, for training,
eval, export and the benchmarks alike. TensorFlow is imported when a config
is made, so importing this module stays cheap.
"""


def session_config(num_threads=0, worker_task=None):
  """A ConfigProto with both thread pools at num_threads (0: one per core).

  Soft placement lets graphs built for a GPU run on a CPU-only machine. A
  distributed worker (worker_task set) talks only to the parameter servers
  and itself, never waiting for the other workers.
  """
  import tensorflow.compat.v1 as tf  # pylint: disable=g-import-not-at-top
  config = tf.ConfigProto(intra_op_parallelism_threads=num_threads,
                          inter_op_parallelism_threads=num_threads,
                          allow_soft_placement=True)
  if worker_task is not None:
    config.device_filters.extend(['/job:ps', '/job:worker/task:%d' % worker_task])
  return config
