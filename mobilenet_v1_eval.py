"""Evaluates MobileNet v1 checkpoints: top-1 Accuracy and top-5 Recall_5.

  bazel run //:mobilenet_v1_eval -- --checkpoint_dir=/tmp/mobilenet_train \\
      --eval_dir=/tmp/mobilenet_eval
  bazel run //:mobilenet_v1_eval -- --quantize=True \\
      --checkpoint_dir=/tmp/mobilenet_quant --eval_dir=/tmp/mobilenet_eval_q

Evaluates the newest checkpoint once; with --eval_interval_secs, each new
checkpoint as it appears. Results: the log, TensorBoard in --eval_dir and
<eval_dir>/metrics.json.
"""

from absl import flags

from core import app
from core import flag_checks
from core import model_flags
from core import paths
from training import evaluator

FLAGS = flags.FLAGS

model_flags.define_model_flags()
model_flags.define_dataset_flags()
model_flags.define_num_threads()
flags.DEFINE_string('master', '', 'Session master (a TensorFlow server '
                    'target); empty for in-process.')
flags.DEFINE_integer('batch_size', evaluator.DEFAULT_BATCH_SIZE, 'Batch size.')
flags.DEFINE_integer('num_examples', None, 'Number of examples to evaluate '
                     '(the first ones of the split); default: the whole '
                     'split.')
flags.DEFINE_string('checkpoint_dir', '', 'A training directory (its newest '
                    'checkpoint) or one checkpoint path; default: the '
                    'trainer\'s default, runs/<model name> in the workspace.')
flags.DEFINE_string('eval_dir', '', 'Directory for the eval event logs and '
                    'metrics.json; empty: only log the results.')
flags.DEFINE_enum('split_name', 'validation', ['train', 'validation'],
                  'The split to evaluate.')
flags.DEFINE_float('eval_interval_secs', None, 'If set, keep evaluating each '
                   'new checkpoint of --checkpoint_dir, at most once per this '
                   'many seconds.')
flags.DEFINE_float('eval_timeout_secs', None, 'With --eval_interval_secs: '
                   'stop after this many seconds without a new checkpoint.')
flags.DEFINE_integer('number_of_steps', None, 'With --eval_interval_secs: '
                     'stop after evaluating a checkpoint of this step or '
                     'later.')


def config_from_flags():
  return model_flags.config_from_flags(
      evaluator.EvalConfig,
      checkpoint_dir=paths.user_path(FLAGS.checkpoint_dir) or
      paths.default_run_dir(FLAGS.depth_multiplier, FLAGS.image_size,
                            FLAGS.quantize))


def main(argv):
  del argv  # app.run refuses positional arguments.
  flag_checks.check_model_flags(FLAGS.depth_multiplier, FLAGS.image_size,
                                FLAGS.batch_size)
  result = evaluator.evaluate(config_from_flags())
  print('Accuracy %.4f  Recall_5 %.4f  (%d examples, step %s, %s)' % (
      result.accuracy, result.recall_5, result.num_examples,
      result.global_step, result.checkpoint))


if __name__ == '__main__':
  app.run(main)
