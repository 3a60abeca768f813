"""Datasets: TFRecord converters, dataset descriptions, the input pipeline."""
