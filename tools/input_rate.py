"""Images/s of the training or eval input pipeline, by itself.

The pipeline is dataset.input_dataset, the one training and eval read, run
from a tf.compat.v1 graph on all cores with nothing else to do. Shared by
tools/input_benchmark and tools/benchmark.
"""

import time

import tensorflow as tf


def measure(dataset, is_training, image_size, batch_size, num_batches,
            warmup_batches, cache_decoded=None):
  """(images/s, seconds) for num_batches batches after the warm-up."""
  with tf.Graph().as_default():
    data = dataset.input_dataset(
        batch_size, image_size, is_training,
        num_epochs=None if is_training else 1000000,
        cache_decoded=cache_decoded)
    images, labels = tf.compat.v1.data.make_one_shot_iterator(
        data).get_next()
    # Fetch a tiny reduction, not the batch: time the pipeline, not copies.
    checksum = tf.reduce_sum(images[:, 0, 0, 0]) + tf.cast(
        tf.reduce_sum(labels), tf.float32)
    with tf.compat.v1.Session() as sess:
      for _ in range(warmup_batches):
        sess.run(checksum)
      start = time.time()
      for _ in range(num_batches):
        sess.run(checksum)
      elapsed = time.time() - start
  return batch_size * num_batches / elapsed, elapsed
