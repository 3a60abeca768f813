"""The README's main job: MobileNet v1 end to end on the built-in digits.

  bazel run -c opt //tools:demo
  bazel run -c opt //tools:demo -- --fresh        # start over

1. trains a float MobileNet v1 on the digits' train split;
2. fine-tunes it with 8-bit fake quantization from that float checkpoint
   (as the original: quantized from step 0, learning rate 1e-4 by default);
3. evaluates both on the validation split and prints them side by side;
4. exports both as published bundles (<model>.tgz: checkpoint, eval graph,
   frozen graph, info, TensorFlow Lite float / uint8) into bundles/.

Everything goes to --output_dir (default: runs/demo in the workspace, i.e.
$BUILD_WORKSPACE_DIRECTORY under `bazel run`):
  float/train, float/eval, quant/train, quant/eval (checkpoints, TensorBoard,
  metrics.json), bundles/ (mobilenet_v1_<d>_<size>.tgz and its _quant twin)
  and summary.json.
A re-run resumes: each training continues from its newest checkpoint (and
does nothing once it has reached its number of steps), and both models are
evaluated and exported again. --fresh deletes the output directory first.
"""

import os
import shutil
import time

from absl import flags
from absl import logging

import atomic_file
import cli
import eval_lib
import train_lib

FLAGS = flags.FLAGS

flags.DEFINE_string('output_dir', None, 'Where the runs go; default: '
                    'runs/demo in the workspace (or the current directory '
                    'outside bazel run).')
flags.DEFINE_bool('fresh', False, 'Delete --output_dir first instead of '
                  'resuming.')
flags.DEFINE_float('depth_multiplier', 0.5, 'Depth multiplier of the model.')
flags.DEFINE_integer('image_size', 32, 'Input resolution (the digits are '
                     'stored at 32x32).')
flags.DEFINE_integer('batch_size', 32, 'Training batch size.')
flags.DEFINE_integer('float_steps', 1500, 'Float training steps.')
flags.DEFINE_integer('quant_steps', 300, 'Quantized fine-tuning steps.')
flags.DEFINE_float('learning_rate', None, 'Float learning rate; default: the '
                   'original\'s 0.045 with its decay.')
flags.DEFINE_float('quant_learning_rate', None, 'Fine-tuning learning rate; '
                   'default: the original\'s 1e-4.')
flags.DEFINE_float('batch_norm_decay', 0.99, 'Batch-norm moving-average '
                   'decay; the original 0.9997 needs far longer runs.')
flags.DEFINE_integer('log_every_n_steps', 100, 'Steps per progress line.')
flags.DEFINE_integer('num_threads', 0, 'TensorFlow threads per pool (0: '
                     'TensorFlow decides).')
flags.DEFINE_integer('shuffle_seed', 0, 'Seed of the training data order.')


def default_output_dir():
  return os.path.join(cli.workspace_dir(), 'runs', 'demo')


def _train_config(checkpoint_dir, number_of_steps, **kwargs):
  return train_lib.TrainConfig(
      checkpoint_dir=checkpoint_dir,
      number_of_steps=number_of_steps,
      batch_size=FLAGS.batch_size,
      image_size=FLAGS.image_size,
      depth_multiplier=FLAGS.depth_multiplier,
      batch_norm_decay=FLAGS.batch_norm_decay,
      log_every_n_steps=FLAGS.log_every_n_steps,
      save_summaries_secs=30,
      save_interval_secs=60,
      shuffle_seed=FLAGS.shuffle_seed,
      num_threads=FLAGS.num_threads,
      **kwargs)


def _evaluate(checkpoint_dir, eval_dir, quantize):
  return eval_lib.evaluate(eval_lib.EvalConfig(
      checkpoint_dir=checkpoint_dir, eval_dir=eval_dir,
      image_size=FLAGS.image_size, depth_multiplier=FLAGS.depth_multiplier,
      quantize=quantize, num_threads=FLAGS.num_threads))


def export_models(output_dir, runs):
  """Writes one published bundle per trained model into output_dir/bundles.

  `runs` maps 'float' / 'quant' to (checkpoint path, quantize flag). Returns
  {kind: path of its .tgz} (export/bundle.py: the .tflite is checked
  against the frozen graph before the archive is written).
  """
  from export import bundle  # pylint: disable=g-import-not-at-top
  bundles = {}
  for kind, (checkpoint, quantize) in sorted(runs.items()):
    result = bundle.export_bundle(
        checkpoint, os.path.join(output_dir, 'bundles'),
        depth_multiplier=FLAGS.depth_multiplier, image_size=FLAGS.image_size,
        quantize=quantize, num_threads=FLAGS.num_threads)
    bundles[kind] = result.archive
  return bundles


def _print_table(rows, bundles):
  print()
  print('MobileNet v1 %s_%d on the built-in digits (validation split)' % (
      FLAGS.depth_multiplier, FLAGS.image_size))
  print('%-10s %6s %10s %10s %9s' % ('model', 'steps', 'Accuracy', 'Recall_5',
                                     'examples'))
  for kind, result in rows:
    print('%-10s %6s %10.4f %10.4f %9d' % (kind, result.global_step,
                                           result.accuracy, result.recall_5,
                                           result.num_examples))
  for kind, path in sorted(bundles.items()):
    print('%s bundle: %s' % (kind, path))


def main(argv):
  del argv  # cli.run refuses positional arguments.
  cli.check_model_flags(FLAGS.depth_multiplier, FLAGS.image_size,
                        FLAGS.batch_size)
  output_dir = cli.user_path(FLAGS.output_dir) or default_output_dir()
  if FLAGS.fresh and os.path.isdir(output_dir):
    logging.info('--fresh: removing %s', output_dir)
    shutil.rmtree(output_dir)
  os.makedirs(output_dir, exist_ok=True)
  float_dir = os.path.join(output_dir, 'float')
  quant_dir = os.path.join(output_dir, 'quant')
  start = time.time()

  logging.info('1/4 float training -> %s/train', float_dir)
  float_train = train_lib.train(_train_config(
      os.path.join(float_dir, 'train'), FLAGS.float_steps,
      learning_rate=FLAGS.learning_rate))
  logging.info('2/4 quantized fine-tuning from %s -> %s/train',
               float_train.checkpoint, quant_dir)
  quant_train = train_lib.train(_train_config(
      os.path.join(quant_dir, 'train'), FLAGS.quant_steps, quantize=True,
      fine_tune_checkpoint=float_train.checkpoint,
      learning_rate=FLAGS.quant_learning_rate))
  logging.info('3/4 evaluation')
  float_eval = _evaluate(float_train.checkpoint,
                         os.path.join(float_dir, 'eval'), quantize=False)
  quant_eval = _evaluate(quant_train.checkpoint,
                         os.path.join(quant_dir, 'eval'), quantize=True)
  logging.info('4/4 export')
  bundles = export_models(output_dir, {
      'float': (float_train.checkpoint, False),
      'quant': (quant_train.checkpoint, True)})

  summary = {
      'depth_multiplier': FLAGS.depth_multiplier,
      'image_size': FLAGS.image_size,
      'batch_size': FLAGS.batch_size,
      'float': float_eval._asdict(),
      'quant': quant_eval._asdict(),
      'bundles': bundles,
      'seconds': round(time.time() - start, 1),
  }
  atomic_file.write_json(os.path.join(output_dir, 'summary.json'), summary)
  _print_table([('float', float_eval), ('quantized', quant_eval)], bundles)
  print('runs, TensorBoard logs and summary.json in %s (%.0f s)' % (
      output_dir, time.time() - start))


if __name__ == '__main__':
  cli.run(main)
