"""The README's main job: the project end to end on the built-in data.

For now it prints the measured model table (tools/model_stats); the training
issue turns it into train -> quantize -> evaluate -> export on the digits.
"""

from absl import app

from tools import model_stats

if __name__ == '__main__':
  app.run(model_stats.main)
