"""The builder: the published pool up to 256 px, a global average above."""

from absl.testing import absltest
from absl.testing import parameterized
import tensorflow.compat.v1 as tf

from model import builder


class GlobalPoolTest(parameterized.TestCase):

  def test_which_sizes_need_it(self):
    for size in (32, 128, 224, 225, 256):
      self.assertFalse(builder.needs_global_pool(size), size)
    for size in (257, 288, 320, 512):
      self.assertTrue(builder.needs_global_pool(size), size)
    self.assertFalse(builder.needs_global_pool(None))

  @parameterized.parameters(224, 256, 257, 320)
  def test_every_size_gives_one_score_per_class(self, size):
    graph = builder.build_inference_graph(0.25, size, 7, quantize=False)
    output = graph.get_tensor_by_name(
        'MobilenetV1/Predictions/Reshape_1:0')
    self.assertEqual(output.shape.as_list(), [1, 7])
    op_types = {op.type for op in graph.get_operations()}
    if size <= 256:
      self.assertIn('AvgPool', op_types)  # As the published graphs.
    else:
      self.assertNotIn('AvgPool', op_types)
      self.assertIn('Mean', op_types)


if __name__ == '__main__':
  absltest.main()
