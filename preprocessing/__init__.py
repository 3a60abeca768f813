"""Image preprocessing for training and evaluation, chosen by name."""
