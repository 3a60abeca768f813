"""Evaluates MobileNet v1 checkpoints: top-1 Accuracy and top-5 Recall_5.

  bazel run //:mobilenet_v1_eval -- --checkpoint_dir=/tmp/mobilenet_train \\
      --eval_dir=/tmp/mobilenet_eval
  bazel run //:mobilenet_v1_eval -- --quantize=True \\
      --checkpoint_dir=/tmp/mobilenet_quant --eval_dir=/tmp/mobilenet_eval_q
  bazel run //:mobilenet_v1_eval -- \\
      --tflite=/tmp/bundles/mobilenet_v1_0.5_32_quant.tgz --eval_dir=/tmp/e

Evaluates the newest checkpoint once; with --eval_interval_secs, each new
checkpoint as it appears. --tflite instead scores a TensorFlow Lite model (a
.tflite, or a bundle's: .tgz or extracted directory) with LiteRT
(export/tflite_eval.py); its metrics.json names the model and its format.
Results: the log, TensorBoard in --eval_dir and <eval_dir>/metrics.json.
"""

from absl import flags

from core import app
from core import errors
from core import flag_checks
from core import model_flags
from core import paths
from datasets import dataset_factory
from export import tflite_eval
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
flags.DEFINE_string('tflite', '', 'Score this TensorFlow Lite model instead '
                    'of a checkpoint: a .tflite (float, int8 or uint8) or a '
                    'bundle (.tgz or extracted directory); not with '
                    '--checkpoint_dir or --eval_interval_secs.')
flags.DEFINE_integer('number_of_steps', None, 'With --eval_interval_secs: '
                     'stop after evaluating a checkpoint of this step or '
                     'later.')


def config_from_flags():
  return model_flags.config_from_flags(
      evaluator.EvalConfig,
      checkpoint_dir=paths.user_path(FLAGS.checkpoint_dir) or
      paths.default_run_dir(FLAGS.depth_multiplier, FLAGS.image_size,
                            FLAGS.quantize))


def evaluate_tflite():
  """--tflite: the model scored on the split, as the checkpoint eval."""
  if FLAGS.checkpoint_dir or FLAGS.eval_interval_secs is not None:
    raise errors.BadInputError('--tflite scores a TensorFlow Lite model: not '
                               'with --checkpoint_dir or --eval_interval_secs')
  flag_checks.check_positive('num_examples', FLAGS.num_examples)
  flag_checks.check_positive('num_threads', FLAGS.num_threads, allow_zero=True)
  dataset = dataset_factory.get_dataset(FLAGS.dataset_name or None,
                                        FLAGS.split_name,
                                        paths.user_path(FLAGS.dataset_dir) or
                                        None)
  eval_dir = paths.user_path(FLAGS.eval_dir)
  result, scored = tflite_eval.evaluate_path(
      paths.user_path(FLAGS.tflite), dataset, FLAGS.num_examples,
      FLAGS.num_threads or None, eval_dir)
  if eval_dir:
    evaluator.write_summaries(eval_dir, result)
  print('Accuracy %.4f  Recall_5 %.4f  (%d examples, %s .tflite %s)' % (
      result.accuracy, result.recall_5, result.num_examples,
      scored.tflite_format, scored.path))


def main(argv):
  del argv  # app.run refuses positional arguments.
  if FLAGS.tflite:
    evaluate_tflite()
    return
  flag_checks.check_model_flags(FLAGS.depth_multiplier, FLAGS.image_size,
                                FLAGS.batch_size)
  result = evaluator.evaluate(config_from_flags())
  print('Accuracy %.4f  Recall_5 %.4f  (%d examples, step %s, %s)' % (
      result.accuracy, result.recall_5, result.num_examples,
      result.global_step, result.checkpoint))


if __name__ == '__main__':
  app.run(main)
