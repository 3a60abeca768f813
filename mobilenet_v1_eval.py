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

import cli
import eval_lib

FLAGS = flags.FLAGS

flags.DEFINE_string('master', '', 'Session master (a TensorFlow server '
                    'target); empty for in-process.')
flags.DEFINE_integer('batch_size', 250, 'Batch size.')
flags.DEFINE_integer('num_classes', None, 'Number of classes to distinguish; '
                     'default: the dataset\'s (1001 for ImageNet).')
flags.DEFINE_integer('num_examples', None, 'Number of examples to evaluate '
                     '(the first ones of the split); default: the whole '
                     'split.')
flags.DEFINE_integer('image_size', 224, 'Input image resolution.')
flags.DEFINE_float('depth_multiplier', 1.0, 'Depth multiplier for MobileNet.')
flags.DEFINE_bool('quantize', False, 'Evaluate the fake-quantized model (a '
                  'checkpoint of quantized training).')
flags.DEFINE_string('checkpoint_dir', '', 'A training directory (its newest '
                    'checkpoint) or one checkpoint path; default: the '
                    'trainer\'s default, runs/<model name> in the workspace.')
flags.DEFINE_string('eval_dir', '', 'Directory for the eval event logs and '
                    'metrics.json; empty: only log the results.')
flags.DEFINE_string('dataset_name', '', 'digits, imagenet or custom; empty: '
                    'decided by --dataset_dir.')
flags.DEFINE_string('dataset_dir', '', 'Location of the TFRecord dataset; '
                    'empty: the built-in digits.')
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
flags.DEFINE_integer('num_threads', 0, 'TensorFlow threads per pool; 0: '
                     'TensorFlow decides.')


def config_from_flags():
  checkpoint_dir = cli.user_path(FLAGS.checkpoint_dir) or cli.default_run_dir(
      FLAGS.depth_multiplier, FLAGS.image_size, FLAGS.quantize)
  return eval_lib.EvalConfig(
      checkpoint_dir=checkpoint_dir,
      eval_dir=cli.user_path(FLAGS.eval_dir),
      master=FLAGS.master,
      batch_size=FLAGS.batch_size,
      num_classes=FLAGS.num_classes,
      num_examples=FLAGS.num_examples,
      image_size=FLAGS.image_size,
      depth_multiplier=FLAGS.depth_multiplier,
      quantize=FLAGS.quantize,
      dataset_name=FLAGS.dataset_name,
      dataset_dir=cli.user_path(FLAGS.dataset_dir),
      split_name=FLAGS.split_name,
      eval_interval_secs=FLAGS.eval_interval_secs,
      eval_timeout_secs=FLAGS.eval_timeout_secs,
      number_of_steps=FLAGS.number_of_steps,
      num_threads=FLAGS.num_threads)


def main(argv):
  del argv  # cli.run refuses positional arguments.
  cli.check_model_flags(FLAGS.depth_multiplier, FLAGS.image_size,
                        FLAGS.batch_size)
  result = eval_lib.evaluate(config_from_flags())
  print('Accuracy %.4f  Recall_5 %.4f  (%d examples, step %s, %s)' % (
      result.accuracy, result.recall_5, result.num_examples,
      result.global_step, result.checkpoint))


if __name__ == '__main__':
  cli.run(main)
