"""Trains MobileNet v1, float or with 8-bit fake quantization.

  bazel run //:mobilenet_v1_train -- --checkpoint_dir=/tmp/mobilenet_train
  bazel run //:mobilenet_v1_train -- --quantize=True \\
      --fine_tune_checkpoint=/tmp/mobilenet_train \\
      --checkpoint_dir=/tmp/mobilenet_quant

Without --dataset_dir it trains on the built-in digits. Run the same command
again to resume from the newest checkpoint. For a parameter-server cluster,
see --ps_hosts / --worker_hosts and tools/launch_cluster.py.
"""

from absl import flags

import cli
import cluster
import train_lib

FLAGS = flags.FLAGS

flags.DEFINE_string('master', '', 'Session master: a TensorFlow server '
                    'target (grpc://host:port) of an existing cluster; empty '
                    'for in-process.')
flags.DEFINE_integer('task', 0, 'Task index of this worker (0 is the chief, '
                     'which initializes and saves checkpoints).')
flags.DEFINE_integer('ps_tasks', 0, 'Number of parameter servers; 0 keeps '
                     'the variables local.')
flags.DEFINE_integer('worker_replicas', 1, 'Number of workers training '
                     'together (each reads its own part of the data).')
flags.DEFINE_string('job_name', 'worker', 'With --ps_hosts/--worker_hosts: '
                    'worker or ps (a ps serves variables until stopped).')
flags.DEFINE_string('ps_hosts', '', 'Comma-separated host:port of the '
                    'parameter servers; with --worker_hosts this process '
                    'starts its own server.')
flags.DEFINE_string('worker_hosts', '', 'Comma-separated host:port of the '
                    'workers.')
flags.DEFINE_integer('batch_size', 64, 'Batch size (per worker).')
flags.DEFINE_integer('num_classes', None, 'Number of classes to distinguish; '
                     'default: the dataset\'s (1001 for ImageNet).')
flags.DEFINE_integer('number_of_steps', None, 'Number of training steps to '
                     'perform before stopping (global step); default: '
                     'forever.')
flags.DEFINE_integer('image_size', 224, 'Input image resolution.')
flags.DEFINE_float('depth_multiplier', 1.0, 'Depth multiplier for MobileNet.')
flags.DEFINE_bool('quantize', False, 'Quantization-aware training (8-bit '
                  'fake quantization of weights and activations).')
flags.DEFINE_string('fine_tune_checkpoint', '', 'Checkpoint (or directory) '
                    'from which to start fine-tuning; ignored when '
                    '--checkpoint_dir already has a checkpoint.')
flags.DEFINE_list('checkpoint_exclude_scopes', [], 'Variable scopes not '
                  'restored from --fine_tune_checkpoint, e.g. '
                  'MobilenetV1/Logits for another number of classes.')
flags.DEFINE_string('checkpoint_dir', '', 'Directory for writing training '
                    'checkpoints and logs; default: runs/<model name> in the '
                    'workspace, e.g. runs/mobilenet_v1_1.0_224_quant.')
flags.DEFINE_string('dataset_name', '', 'digits, imagenet or custom; empty: '
                    'decided by --dataset_dir.')
flags.DEFINE_string('dataset_dir', '', 'Location of the TFRecord dataset; '
                    'empty: the built-in digits.')
flags.DEFINE_integer('log_every_n_steps', 100, 'Number of steps per log '
                     'line.')
flags.DEFINE_integer('save_summaries_secs', 100, 'How often to save '
                     'summaries, secs (0: never).')
flags.DEFINE_integer('save_interval_secs', 100, 'How often to save '
                     'checkpoints, secs (0: only at the start and the end).')
flags.DEFINE_integer('save_interval_steps', None, 'Save checkpoints every '
                     'this many steps instead of by time.')
flags.DEFINE_float('learning_rate', None, 'Initial learning rate; default: '
                   '0.045, or 1e-4 with --fine_tune_checkpoint.')
flags.DEFINE_float('learning_rate_decay_factor', 0.94, 'Learning rate decay '
                   'factor.')
flags.DEFINE_float('num_epochs_per_decay', 2.5, 'Epochs (of the training '
                   'split) between learning rate decays.')
flags.DEFINE_integer('quant_delay', None, 'Step at which quantization '
                     'starts; default: 0 with --fine_tune_checkpoint, else '
                     '250000.')
flags.DEFINE_integer('freeze_bn_delay', None, 'Step from which quantized '
                     'training uses the batch-norm moving statistics; '
                     'default: never.')
flags.DEFINE_float('batch_norm_decay', None, 'Decay of the batch-norm moving '
                   'averages; default: 0.9997 (the original). Short runs need '
                   'less, e.g. 0.99.')
flags.DEFINE_integer('shuffle_seed', None, 'Seed of the data order.')
flags.DEFINE_integer('num_threads', 0, 'TensorFlow threads per pool; 0: '
                     'TensorFlow decides.')


def config_from_flags():
  """The TrainConfig of the command line (after joining any cluster)."""
  role = cluster.join(
      FLAGS.job_name, FLAGS.task, ps_hosts=FLAGS.ps_hosts,
      worker_hosts=FLAGS.worker_hosts, master=FLAGS.master,
      ps_tasks=FLAGS.ps_tasks, worker_replicas=FLAGS.worker_replicas,
      server_config=train_lib.session_config(FLAGS.num_threads))
  checkpoint_dir = cli.user_path(FLAGS.checkpoint_dir) or cli.default_run_dir(
      FLAGS.depth_multiplier, FLAGS.image_size, FLAGS.quantize)
  config = train_lib.TrainConfig(
      checkpoint_dir=checkpoint_dir,
      master=role.master,
      task=FLAGS.task,
      ps_tasks=role.ps_tasks,
      worker_replicas=role.worker_replicas,
      batch_size=FLAGS.batch_size,
      num_classes=FLAGS.num_classes,
      number_of_steps=FLAGS.number_of_steps,
      image_size=FLAGS.image_size,
      depth_multiplier=FLAGS.depth_multiplier,
      quantize=FLAGS.quantize,
      fine_tune_checkpoint=cli.user_path(FLAGS.fine_tune_checkpoint),
      checkpoint_exclude_scopes=tuple(FLAGS.checkpoint_exclude_scopes),
      dataset_name=FLAGS.dataset_name,
      dataset_dir=cli.user_path(FLAGS.dataset_dir),
      log_every_n_steps=FLAGS.log_every_n_steps,
      save_summaries_secs=FLAGS.save_summaries_secs,
      save_interval_secs=FLAGS.save_interval_secs,
      save_interval_steps=FLAGS.save_interval_steps,
      learning_rate=FLAGS.learning_rate,
      learning_rate_decay_factor=FLAGS.learning_rate_decay_factor,
      num_epochs_per_decay=FLAGS.num_epochs_per_decay,
      quant_delay=FLAGS.quant_delay,
      freeze_bn_delay=FLAGS.freeze_bn_delay,
      batch_norm_decay=FLAGS.batch_norm_decay,
      shuffle_seed=FLAGS.shuffle_seed,
      num_threads=FLAGS.num_threads)
  return config, role


def main(argv):
  del argv  # cli.run refuses positional arguments.
  # Checked before any server starts or data is read.
  cli.check_model_flags(FLAGS.depth_multiplier, FLAGS.image_size,
                        FLAGS.batch_size)
  config, role = config_from_flags()
  if FLAGS.job_name == 'ps':
    role.server.join()  # Serves variables until the process is stopped.
    return
  train_lib.train(config)  # Validates the config before anything runs.


if __name__ == '__main__':
  cli.run(main)
