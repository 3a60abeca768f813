"""Freezes a graph and its variables into a self-contained GraphDef.

The frozen graph is what the TensorFlow Lite converter reads and what the
published bundles ship (`<model>_frozen.pb`): variables become constants and
only what the outputs need is kept. Input and output names default to those
of the published graphs (variants.INPUT_NODE, variants.OUTPUT_NODE).
"""


import tensorflow.compat.v1 as tf

from core import atomic_file
from core import session
from core import variants
from model import checkpoints

DEFAULT_OUTPUTS = (variants.OUTPUT_NODE,)


def _op_names(names):
  """'a/b:0' -> 'a/b'."""
  return [name.split(':')[0] for name in names]


def _check_outputs(graph, output_names):
  missing = [n for n in output_names if n not in
             {op.name for op in graph.get_operations()}]
  if missing:
    raise ValueError('output node(s) not in the graph: %s' %
                     ', '.join(missing))


def freeze_session(sess, output_names=DEFAULT_OUTPUTS):
  """The session's graph with its current variable values as constants.

  Args:
    sess: a tf.Session whose variables are initialised or restored.
    output_names: names of the output ops (or tensors).

  Returns:
    A GraphDef holding only what the outputs depend on.

  Raises:
    ValueError: if an output is not in the graph.
  """
  output_names = _op_names(output_names)
  _check_outputs(sess.graph, output_names)
  graph_def = sess.graph.as_graph_def()
  return tf.graph_util.convert_variables_to_constants(
      sess, graph_def, output_names)


def freeze_graph(graph, checkpoint, output_names=DEFAULT_OUTPUTS):
  """Restores a checkpoint into `graph` and freezes it.

  Args:
    graph: the inference graph.
    checkpoint: a model.checkpoints.Checkpoint (or a checkpoint prefix); it
      must hold every global variable of the graph.
    output_names: names of the output ops (or tensors).

  Raises:
    ValueError: if an output is not in the graph.
    errors.BadInputError: the checkpoint lacks variables of the graph or
      stores them with other shapes.
  """
  if not isinstance(checkpoint, checkpoints.Checkpoint):
    checkpoint = checkpoints.Checkpoint(checkpoint)
  output_names = _op_names(output_names)
  _check_outputs(graph, output_names)
  with graph.as_default():
    saver = checkpoint.saver(tf.global_variables())
  with tf.Session(graph=graph, config=session.session_config(1)) as sess:
    saver.restore(sess, checkpoint.path)
    return freeze_session(sess, output_names)


def write_graph_def(graph_def, path):
  """Writes a binary GraphDef atomically (temporary file, then rename)."""
  atomic_file.write_bytes(path, graph_def.SerializeToString())
