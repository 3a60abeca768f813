"""TensorBoard's own loader reads the scalars the trainer and the eval write."""

import os

from absl.testing import absltest
from tensorboard.backend.event_processing import event_accumulator

from training import test_util as util

util.use_test_data_cache()

# pylint: disable=g-import-not-at-top,g-bad-import-order
from training import evaluator
from training import trainer
# pylint: enable=g-import-not-at-top,g-bad-import-order


def _scalars(directory):
  loaded = event_accumulator.EventAccumulator(directory)
  loaded.Reload()
  return {tag: [event.value for event in loaded.Scalars(tag)]
          for tag in loaded.Tags()['scalars']}


class TensorBoardTest(absltest.TestCase):

  def test_training_and_eval_curves_load(self):
    train_dir = util.new_dir('tb_train')
    eval_dir = os.path.join(train_dir, 'eval')
    trainer.train(util.tiny_train_config(train_dir, number_of_steps=60,
                                         save_summaries_secs=1))
    evaluator.evaluate(evaluator.EvalConfig(
        checkpoint_dir=train_dir, eval_dir=eval_dir, num_examples=16,
        num_threads=1, **util.TINY))
    training = _scalars(train_dir)
    for tag in ('losses/total_loss', 'training/learning_rate',
                'global_step/sec'):
      self.assertIn(tag, training)
      self.assertTrue(training[tag], tag)
    self.assertGreater(training['global_step/sec'][-1], 0)
    evaluation = _scalars(eval_dir)
    self.assertCountEqual(evaluation, ['eval/Accuracy', 'eval/Recall_5'])
    self.assertBetween(evaluation['eval/Accuracy'][0], 0.0, 1.0)


if __name__ == '__main__':
  absltest.main()
