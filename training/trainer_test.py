"""Tests of the trainer: float and quantized runs, fine-tuning, schedule, checks."""

import glob
import os

import numpy as np
import tensorflow.compat.v1 as tf

from training import test_util as util

util.use_test_data_cache()

# pylint: disable=g-import-not-at-top,g-bad-import-order
from core import errors
from model import checkpoints
from training import trainer
# pylint: enable=g-import-not-at-top,g-bad-import-order


def _checkpoint_tensors(path):
  reader = tf.train.load_checkpoint(path)
  return {name: reader.get_tensor(name)
          for name in reader.get_variable_to_shape_map()}


def _summary_tags(directory):
  tags = set()
  for path in glob.glob(os.path.join(directory, 'events.out.tfevents.*')):
    for event in tf.train.summary_iterator(path):
      for value in event.summary.value:
        tags.add(value.tag)
  return tags


class ScheduleTest(tf.test.TestCase):

  def test_original_rules(self):
    scratch = util.tiny_train_config('/tmp/x')
    fine = util.tiny_train_config('/tmp/x', fine_tune_checkpoint='/tmp/y')
    self.assertEqual(scratch.base_learning_rate(), 0.045)
    self.assertEqual(fine.base_learning_rate(), 1e-4)
    self.assertEqual(scratch.effective_quant_delay(), 250000)
    self.assertEqual(fine.effective_quant_delay(), 0)
    overridden = util.tiny_train_config(
        '/tmp/x', fine_tune_checkpoint='/tmp/y', learning_rate=0.01,
        quant_delay=7)
    self.assertEqual(overridden.base_learning_rate(), 0.01)
    self.assertEqual(overridden.effective_quant_delay(), 7)

  def test_decay_every_two_and_a_half_epochs(self):
    # The original: ImageNet's 1271167 images, batch 64.
    self.assertEqual(trainer.decay_steps(1271167, 64, 2.5), 49654)
    self.assertEqual(trainer.decay_steps(1437, 32, 2.5), 112)
    self.assertEqual(trainer.decay_steps(10, 64, 2.5), 1)

  def test_bad_settings(self):
    for overrides, word in [(dict(depth_multiplier=0), 'depth_multiplier'),
                            (dict(image_size=31), 'image_size'),
                            (dict(batch_size=-2), 'batch_size'),
                            (dict(checkpoint_dir=''), 'checkpoint_dir'),
                            (dict(learning_rate=0.0), 'learning_rate'),
                            (dict(task=2, worker_replicas=2), 'task')]:
      directory = overrides.pop('checkpoint_dir', '/tmp/x')
      with self.assertRaisesRegex(errors.BadInputError, word):
        util.tiny_train_config(directory, **overrides).validate()


class TrainTest(tf.test.TestCase):

  def test_float_run_checkpoints_and_summaries(self):
    directory = util.new_dir('float')
    result = trainer.train(util.tiny_train_config(directory, number_of_steps=6))
    self.assertEqual(result.global_step, 6)
    self.assertEqual(result.num_classes, 10)
    self.assertEqual(checkpoints.latest_checkpoint(directory),
                     result.checkpoint)
    tensors = _checkpoint_tensors(result.checkpoint)
    self.assertEqual(int(tensors['global_step']), 6)
    self.assertEqual(tensors['MobilenetV1/Logits/Conv2d_1c_1x1/weights'].shape,
                     (1, 1, 256, 10))
    self.assertFalse([n for n in tensors if '_quant/' in n])
    tags = _summary_tags(directory)
    self.assertIn('losses/total_loss', tags)
    self.assertIn('training/learning_rate', tags)

  def test_quantized_run_learns_ranges(self):
    directory = util.new_dir('quant')
    result = trainer.train(
        util.tiny_train_config(directory, quantize=True, quant_delay=2,
                               number_of_steps=5))
    self.assertEqual(result.global_step, 5)
    tensors = _checkpoint_tensors(result.checkpoint)
    act_max = [n for n in tensors if n.endswith('act_quant/max')]
    weight_min = [n for n in tensors if n.endswith('weights_quant/min')]
    self.assertLen(weight_min, 28)  # 27 conv layers and the logits.
    self.assertNotEmpty(act_max)
    # The ranges moved from their initial values while training.
    self.assertTrue(any(float(tensors[n]) != 6.0 for n in act_max))
    self.assertTrue(any(t.startswith('quant_ranges/')
                        for t in _summary_tags(directory)))

  def test_fine_tune_float_into_quantized_then_resume(self):
    float_dir = util.new_dir('ft_float')
    float_result = trainer.train(
        util.tiny_train_config(float_dir, number_of_steps=8,
                               learning_rate=0.05))
    quant_dir = util.new_dir('ft_quant')
    config = util.tiny_train_config(quant_dir, quantize=True,
                                    fine_tune_checkpoint=float_dir,
                                    number_of_steps=3)
    self.assertEqual(config.effective_quant_delay(), 0)
    result = trainer.train(config)
    # The global step starts over; the float weights are the starting point.
    self.assertEqual(result.global_step, 3)
    before = _checkpoint_tensors(float_result.checkpoint)
    after = _checkpoint_tensors(result.checkpoint)
    name = 'MobilenetV1/Conv2d_5_pointwise/weights'
    self.assertAllClose(after[name], before[name], atol=1e-3)
    self.assertNotAllClose(after[name], np.zeros_like(after[name]))
    self.assertTrue(any(n.endswith('weights_quant/max') for n in after))

    # Same command again with more steps: resumes (the fine-tune checkpoint
    # is ignored), continuing the global step.
    resumed = trainer.train(
        util.tiny_train_config(quant_dir, quantize=True,
                               fine_tune_checkpoint=float_dir,
                               number_of_steps=5))
    self.assertEqual(resumed.global_step, 5)
    self.assertEqual(checkpoints.Checkpoint(resumed.checkpoint).global_step, 5)
    # Once more: the target is reached, so not a single step more.
    again = trainer.train(
        util.tiny_train_config(quant_dir, quantize=True, number_of_steps=5))
    self.assertEqual(again.global_step, 5)
    self.assertEqual(
        checkpoints.Checkpoint(
            checkpoints.latest_checkpoint(quant_dir)).global_step, 5)

  def test_fine_tune_checkpoint_that_does_not_fit(self):
    float_dir = util.new_dir('fit_float')
    trainer.train(util.tiny_train_config(float_dir, number_of_steps=1))
    wider = util.tiny_train_config(util.new_dir('fit_wide'),
                                   depth_multiplier=0.5,
                                   fine_tune_checkpoint=float_dir)
    with self.assertRaisesRegex(errors.BadInputError,
                                r'does not fit the model: .* has shape'):
      trainer.train(wider)
    missing = util.tiny_train_config(
        util.new_dir('fit_missing'),
        fine_tune_checkpoint=os.path.join(float_dir, 'no-such-ckpt'))
    with self.assertRaisesRegex(errors.BadInputError, 'does not exist'):
      trainer.train(missing)
    # Another class count fits once the classifier is excluded.
    other_classes = util.tiny_train_config(
        util.new_dir('fit_excluded'), fine_tune_checkpoint=float_dir,
        checkpoint_exclude_scopes=('MobilenetV1/Logits',),
        number_of_steps=1)
    with self.assertRaisesRegex(errors.BadInputError, 'num_classes'):
      trainer.train(
          util.tiny_train_config(util.new_dir('fit_classes'), num_classes=7,
                                 fine_tune_checkpoint=float_dir))
    self.assertEqual(trainer.train(other_classes).global_step, 1)
    # Resuming a directory that holds another model's checkpoint.
    with self.assertRaisesRegex(
        errors.BadInputError, '--checkpoint_dir does not fit the model: .*'
        'weights_quant.*holds another model'):
      trainer.train(
          util.tiny_train_config(float_dir, quantize=True, number_of_steps=2))


if __name__ == '__main__':
  tf.test.main()
