"""What users would pick instead: tf_keras.applications.MobileNet.

Same alpha (depth multiplier) and resolution, weights=None, 1001 classes,
compiled with SGD and trained with train_on_batch on one in-memory batch
(as our benchmark's cached batch); converted with the TensorFlow Lite
converter, float and int8 post-training quantization with uint8 input and
output (a representative dataset of random images for the ranges).
"""

import numpy as np
import tensorflow as tf
import tf_keras

from core import variants


def build(depth_multiplier, image_size,
          num_classes=variants.IMAGENET_NUM_CLASSES):
  model = tf_keras.applications.MobileNet(
      input_shape=(image_size, image_size, 3), alpha=depth_multiplier,
      weights=None, classes=num_classes)
  model.compile(optimizer=tf_keras.optimizers.SGD(learning_rate=0.045),
                loss='sparse_categorical_crossentropy')
  return model


class TrainRunner(object):
  """One Keras train_on_batch per step()."""

  def __init__(self, model, batch_size, seed=0):
    self.model = model
    self.images_per_step = batch_size
    image_size = int(model.input_shape[1])
    num_classes = int(model.output_shape[-1])
    rng = np.random.RandomState(seed)
    self._images = tf.constant(rng.uniform(
        -1, 1, [batch_size, image_size, image_size, 3]).astype(np.float32))
    self._labels = tf.constant(rng.randint(0, num_classes, batch_size))

  def step(self):
    self.model.train_on_batch(self._images, self._labels)


def to_float_tflite(model):
  return tf.lite.TFLiteConverter.from_keras_model(model).convert()


def to_int8_tflite(model, num_calibration_images=8, seed=0):
  """Full-integer post-training quantization, uint8 input and output."""
  image_size = int(model.input_shape[1])
  rng = np.random.RandomState(seed)

  def representative_dataset():
    for _ in range(num_calibration_images):
      yield [rng.uniform(-1, 1, [1, image_size, image_size, 3]).astype(
          np.float32)]

  converter = tf.lite.TFLiteConverter.from_keras_model(model)
  converter.optimizations = [tf.lite.Optimize.DEFAULT]
  converter.representative_dataset = representative_dataset
  converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
  converter.inference_input_type = tf.uint8
  converter.inference_output_type = tf.uint8
  return converter.convert()
