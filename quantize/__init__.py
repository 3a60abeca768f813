"""Graph rewrites for quantization-aware training and eval: tf.contrib.quantize.

    import quantize
    quantize.create_training_graph(quant_delay=...)   # after the loss
    quantize.create_eval_graph()                      # on an inference graph

The modules are at contrib's paths under quantize.python (quantize,
fold_batch_norms, quant_ops, common, graph_matcher, input_to_ops,
quantize_graph). docs/QUANTIZATION.md describes the behaviour and where it
differs from tf.contrib.quantize.
"""

from quantize.python.quantize_graph import create_eval_graph
from quantize.python.quantize_graph import create_training_graph
from quantize.python.quantize_graph import experimental_create_eval_graph
from quantize.python.quantize_graph import experimental_create_training_graph
