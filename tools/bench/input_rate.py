"""Images/s of the training or eval input pipeline, by itself.

The pipeline is dataset.input_dataset, the one training and eval read, run
from a tf.compat.v1 graph on all cores with nothing else to do. Shared by
tools/input_benchmark and tools/benchmark.
"""

import io
import os
import time

from absl import logging
import numpy as np
from PIL import Image
import tensorflow as tf

from datasets import image_folder


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


def _synthetic_jpeg(rng, width, height):
  """A smooth random picture with some noise: ImageNet-like JPEG sizes."""
  small = rng.randint(0, 256, (12, 16, 3)).astype(np.uint8)
  image = Image.fromarray(small).resize((width, height), Image.BICUBIC)
  pixels = np.asarray(image).astype(np.int16)
  pixels += rng.randint(-10, 11, pixels.shape).astype(np.int16)
  buffer = io.BytesIO()
  Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).save(
      buffer, format='JPEG', quality=90)
  return buffer.getvalue()


def make_synthetic_jpeg_dataset(work_dir, num_images):
  """Makes num_images JPEGs in 10 classes, converts them, returns the dir."""
  rng = np.random.RandomState(0)
  source = os.path.join(work_dir, 'images')
  total_bytes = 0
  for i in range(num_images):
    class_dir = os.path.join(source, 'class%d' % (i % 10))
    os.makedirs(class_dir, exist_ok=True)
    width, height = (500, 375) if i % 3 else (375, 500)
    data = _synthetic_jpeg(rng, width, height)
    total_bytes += len(data)
    with open(os.path.join(class_dir, '%05d.jpg' % i), 'wb') as f:
      f.write(data)
  logging.info('made %d synthetic JPEGs, %.0f KB each on average',
               num_images, total_bytes / num_images / 1024)
  output = os.path.join(work_dir, 'records')
  image_folder.convert_image_folder(source, output, validation_fraction=0.1,
                                    num_shards=8,
                                    num_threads=os.cpu_count() or 1)
  return output
