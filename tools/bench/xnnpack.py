"""Which operations of a .tflite LiteRT's default CPU path gives XNNPACK.

LiteRT applies the XNNPACK delegate by default: it replaces the operations
it supports by DELEGATE nodes and leaves the rest to TensorFlow Lite's
built-in kernels. The interpreter's op details list both the model's
operations and the DELEGATE nodes, each with its input and output tensors;
an operation is delegated when it lies between a DELEGATE node's inputs and
its outputs. docs/PERFORMANCE.md reports what this finds for our float,
int8 and uint8 models.
"""

import collections

from export import litert
from tools.bench import tflite_latency


def _count(op_names):
  counts = collections.Counter(op_names)
  return ', '.join('%s x%d' % (name, counts[name]) for name in sorted(counts))


def delegation(model):
  """{'xnnpack': 'CONV_2D x14, ...', 'builtin': ..., 'partitions': n}.

  The operation types XNNPACK takes and those left to the built-in kernels
  (counts), and how many DELEGATE nodes (partitions) it made.
  """
  delegated_interpreter = litert.load(model, num_threads=1)
  plain = litert.load(model, num_threads=1, reference_kernels=True,
                      allocate=False)
  operations = plain._get_ops_details()  # pylint: disable=protected-access
  producers = {index: op for op in operations for index in op['outputs']}
  delegates = [op for op in delegated_interpreter._get_ops_details()  # pylint: disable=protected-access
               if op['op_name'] == 'DELEGATE']
  taken = set()
  for node in delegates:
    boundary = set(node['inputs'])
    pending = list(node['outputs'])
    while pending:
      tensor = pending.pop()
      op = producers.get(tensor)
      if tensor in boundary or op is None or op['index'] in taken:
        continue
      taken.add(op['index'])
      pending.extend(op['inputs'])
  return {
      'xnnpack': _count(op['op_name'] for op in operations
                        if op['index'] in taken),
      'builtin': _count(op['op_name'] for op in operations
                        if op['index'] not in taken) or 'none',
      'partitions': len(delegates),
  }


def builtin_ms(model, warmup=10, invokes=50):
  """Median invoke (1 thread) with TensorFlow Lite's built-in kernels only."""
  return round(tflite_latency.median_ms(model, 1, warmup, invokes,
                                        reference_kernels=True), 3)
