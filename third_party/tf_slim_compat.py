"""Makes tf-slim 1.1.0 work on TensorFlow 2.21; import before using tf_slim.

TensorFlow's lazy loader resolves `tf.compat.v1.layers` (which tf_slim's
batch_norm uses) to `tf_keras.legacy_tf_layers`, but tf-keras 2.21 ships that
package as `tf_keras.src.legacy_tf_layers`. Registering the latter under the
former name is the only shim the project needs; this module is its one home,
and every entry point imports it.
"""

import importlib
import sys

_EXPECTED = 'tf_keras.legacy_tf_layers'
_ACTUAL = 'tf_keras.src.legacy_tf_layers'


def _install_alias():
  if _EXPECTED in sys.modules:
    return
  try:
    importlib.import_module(_EXPECTED)
    return  # A tf-keras that has the module needs no alias.
  except ImportError:
    pass
  sys.modules[_EXPECTED] = importlib.import_module(_ACTUAL)


_install_alias()
