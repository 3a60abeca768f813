"""The README's main job: MobileNet v1 end to end on the built-in digits.

  bazel run -c opt //tools:demo
  bazel run -c opt //tools:demo -- --fresh        # start over

1. trains a float MobileNet v1 on the digits' train split;
2. fine-tunes it with 8-bit fake quantization from that float checkpoint
   (as the original: quantized from step 0, learning rate 1e-4 by default);
3. evaluates both on the validation split and prints them side by side;
4. exports both as published bundles (<model>.tgz: checkpoint, eval graph,
   frozen graph, info, TensorFlow Lite float / int8: the _quant bundle's
   default format) into bundles/.

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

from core import app
from core import atomic_file
from core import flag_checks
from core import locks
from core import model_flags
from core import paths
from training import evaluator
from training import trainer

FLAGS = flags.FLAGS

model_flags.define_model_flags(depth_multiplier=0.5, image_size=32,
                               quantize=False, num_classes=False)
model_flags.define_num_threads()
flags.DEFINE_string('output_dir', None, 'Where the runs go; default: '
                    'runs/demo in the workspace (or the current directory '
                    'outside bazel run).')
flags.DEFINE_bool('fresh', False, 'Delete --output_dir first instead of '
                  'resuming.')
flags.DEFINE_integer('batch_size', 32, 'Training batch size.')
flags.DEFINE_integer('float_steps', 1500, 'Float training steps.')
flags.DEFINE_integer('quant_steps', 300, 'Quantized fine-tuning steps.')
flags.DEFINE_float('learning_rate', None, 'Float learning rate; default: the '
                   'original\'s 0.045 with its decay.')
flags.DEFINE_float('quant_learning_rate', None, 'Fine-tuning learning rate; '
                   'default: the original\'s 1e-4.')
flags.DEFINE_float('batch_norm_decay', None, 'Batch-norm moving-average '
                   'decay; default: chosen for each run\'s length, as the '
                   'trainer does.')
flags.DEFINE_integer('log_every_n_steps', 100, 'Steps per progress line.')
flags.DEFINE_integer('shuffle_seed', 0, 'Seed of the training data order.')


def _train_config(checkpoint_dir, number_of_steps, **overrides):
  return model_flags.config_from_flags(trainer.TrainConfig,
                                       checkpoint_dir=checkpoint_dir,
                                       number_of_steps=number_of_steps,
                                       save_summaries_secs=30,
                                       save_interval_secs=60, **overrides)


def _evaluate(checkpoint_dir, eval_dir, quantize):
  return evaluator.evaluate(
      model_flags.config_from_flags(evaluator.EvalConfig,
                                    checkpoint_dir=checkpoint_dir,
                                    eval_dir=eval_dir, quantize=quantize,
                                    batch_size=evaluator.DEFAULT_BATCH_SIZE))


def export_models(output_dir, runs):
  """Writes one published bundle per trained model into output_dir/bundles.

  `runs` maps 'float' / 'quant' to (checkpoint path, quantize flag). Returns
  {kind: path of its .tgz} (export/exporter.py: the .tflite is checked
  against the frozen graph before the archive is written).
  """
  from export import exporter  # pylint: disable=g-import-not-at-top
  bundles = {}
  for kind, (checkpoint, quantize) in sorted(runs.items()):
    result = exporter.export_bundle(
        checkpoint, os.path.join(output_dir, paths.DEMO_BUNDLES_DIRNAME),
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
  del argv  # app.run refuses positional arguments.
  flag_checks.check_model_flags(FLAGS.depth_multiplier, FLAGS.image_size,
                                FLAGS.batch_size)
  output_dir = paths.ensure_output_dir(
      paths.user_path(FLAGS.output_dir) or paths.demo_dir(), 'output_dir')
  with locks.DirectoryLock(output_dir, 'output_dir'):
    if FLAGS.fresh:
      _empty(output_dir)
    _run(output_dir)


def _empty(output_dir):
  """--fresh: everything but the lock goes."""
  logging.info('--fresh: removing the contents of %s', output_dir)
  for entry in os.listdir(output_dir):
    if entry == locks.LOCK_FILENAME:
      continue
    path = os.path.join(output_dir, entry)
    if os.path.isdir(path) and not os.path.islink(path):
      shutil.rmtree(path)
    else:
      os.remove(path)


def _run(output_dir):
  """The four steps of the module doc, in output_dir."""
  float_dir = os.path.join(output_dir, 'float')
  quant_dir = os.path.join(output_dir, 'quant')
  start = time.time()

  logging.info('1/4 float training -> %s/train', float_dir)
  float_train = trainer.train(
      _train_config(os.path.join(float_dir, 'train'), FLAGS.float_steps))
  logging.info('2/4 quantized fine-tuning from %s -> %s/train',
               float_train.checkpoint, quant_dir)
  quant_train = trainer.train(
      _train_config(os.path.join(quant_dir, 'train'), FLAGS.quant_steps,
                    quantize=True, fine_tune_checkpoint=float_train.checkpoint,
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
  atomic_file.write_json(os.path.join(output_dir, paths.DEMO_SUMMARY_FILENAME),
                         summary)
  _print_table([('float', float_eval), ('quantized', quant_eval)], bundles)
  print('runs, TensorBoard logs and summary.json in %s (%.0f s)' % (
      output_dir, time.time() - start))


if __name__ == '__main__':
  app.run(
      main, interrupted_message='interrupted (run the same command to '
      'resume; --fresh starts over)')
