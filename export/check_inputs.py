"""The fixed inputs every export check runs both models on.

They are exactly representable in both models: uint8 images q and the float
images (q - 128) / 128 they stand for; smooth random colour fields and pixel
noise, from fixed seeds.
"""

import numpy as np

from export import tflite

NUM_INPUTS = 4


def check_images(image_size, num_inputs=NUM_INPUTS, seed=0):
  """Fixed uint8 images [num_inputs, 1, H, W, 3]: smooth fields and noise."""
  rng = np.random.RandomState(seed)
  images = []
  for index in range(num_inputs):
    if index % 2 == 0:
      # A smooth colour field: a coarse random grid, bilinearly upsampled.
      cells = 2 + index
      grid = rng.uniform(0, 255, [cells, cells, 3])
      image = np.round(_upsample(grid, image_size))[None]
    else:
      image = rng.randint(0, 256, [1, image_size, image_size, 3])
    images.append(image.astype(np.uint8))
  return np.stack(images)


def _upsample(grid, size):
  """Bilinear interpolation of a [c, c, 3] grid to [size, size, 3]."""
  positions = np.linspace(0, grid.shape[0] - 1, size)
  low = np.floor(positions).astype(int)
  high = np.minimum(low + 1, grid.shape[0] - 1)
  weight = (positions - low)[:, None, None]
  rows = grid[low] * (1 - weight) + grid[high] * weight
  weight = weight.reshape(1, size, 1)
  return rows[:, low] * (1 - weight) + rows[:, high] * weight


def to_float_input(uint8_image):
  """The float input a uint8 image stands for: (q - 128) / 128."""
  return ((uint8_image.astype(np.float32) - tflite.INPUT_MEAN) /
          tflite.INPUT_STD)
