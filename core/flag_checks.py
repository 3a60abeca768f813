"""Checks of flag values that no run can use, each failing in one line.

Shared by the binaries and by the config classes of the libraries (a config
validates itself the same way whether it came from flags or from code).
"""

import math

from core import errors

# Below this the network's five stride-2 layers leave no feature map.
MIN_IMAGE_SIZE = 32


def check_model_flags(depth_multiplier=None, image_size=None, batch_size=None):
  """Raises BadInputError for model flags that cannot build a MobileNet."""
  if depth_multiplier is not None and not (
      math.isfinite(depth_multiplier) and depth_multiplier > 0):
    raise errors.BadInputError('--depth_multiplier must be > 0, got %s' %
                               depth_multiplier)
  if image_size is not None and image_size < MIN_IMAGE_SIZE:
    raise errors.BadInputError('--image_size must be >= %d, got %s' %
                               (MIN_IMAGE_SIZE, image_size))
  if batch_size is not None and batch_size <= 0:
    raise errors.BadInputError('--batch_size must be > 0, got %s' % batch_size)


def check_positive(name, value, allow_none=True, allow_zero=False):
  """Raises BadInputError unless `value` (of flag --name) is > 0 (or >= 0)."""
  if value is None:
    if allow_none:
      return
    raise errors.BadInputError('--%s is required' % name)
  ok = math.isfinite(value) and (value >= 0 if allow_zero else value > 0)
  if not ok:
    raise errors.BadInputError('--%s must be %s, got %s' % (
        name, '>= 0' if allow_zero else '> 0', value))


def check_fraction(name, value, low_open=True):
  """Raises BadInputError unless `value` is in (0, 1) (or [0, 1) if not
  low_open); None passes."""
  if value is None:
    return
  low_ok = value > 0 if low_open else value >= 0
  if not (math.isfinite(value) and low_ok and value < 1):
    raise errors.BadInputError('--%s must be in %s0, 1), got %s' % (
        name, '(' if low_open else '[', value))


def require(name, value):
  """Raises BadInputError when the string flag --name is empty."""
  if not value:
    raise errors.BadInputError('--%s is required' % name)
