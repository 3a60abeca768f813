"""The rewrites' modules, at the paths tf.contrib.quantize.python had.

    from quantize.python import quantize, fold_batch_norms, common
    fold_batch_norms.FoldBatchNorms(graph, is_training=False)
    quantize.Quantize(graph, is_training=False)

Test files stay out of this directory: a script run from here would see
quantize.py as the `quantize` package.
"""
