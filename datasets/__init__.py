"""Datasets: TFRecord converters, dataset descriptions and the tf.data input pipeline."""
