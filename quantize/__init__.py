"""Graph rewrites for quantization-aware training and eval (contrib.quantize).

    import quantize
    quantize.create_training_graph(quant_delay=...)   # after the loss
    quantize.create_eval_graph()                      # on an inference graph
"""

from quantize.quantize_graph import create_eval_graph
from quantize.quantize_graph import create_training_graph
from quantize.quantize_graph import experimental_create_eval_graph
from quantize.quantize_graph import experimental_create_training_graph
