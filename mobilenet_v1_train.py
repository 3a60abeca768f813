"""Trains MobileNet v1, float or with 8-bit fake quantization.

  bazel run //:mobilenet_v1_train -- --checkpoint_dir=/tmp/mobilenet_train
  bazel run //:mobilenet_v1_train -- --quantize=True \\
      --fine_tune_checkpoint=/tmp/mobilenet_train \\
      --checkpoint_dir=/tmp/mobilenet_quant

Without --dataset_dir it trains on the built-in digits. Run the same command
again to resume from the newest checkpoint. For a parameter-server cluster,
see --ps_hosts / --worker_hosts (or TensorFlow's TF_CONFIG environment
variable) and tools/launch_cluster.py.
"""

import os

from absl import flags

from core import app
from core import flag_checks
from core import model_flags
from core import paths
from deployment import cluster
from training import trainer

FLAGS = flags.FLAGS

model_flags.define_model_flags()
model_flags.define_dataset_flags()
model_flags.define_num_threads()
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
flags.DEFINE_integer('number_of_steps', None, 'Number of training steps to '
                     'perform before stopping (global step); default: '
                     'forever.')
flags.DEFINE_string('fine_tune_checkpoint', '', 'Checkpoint (or directory) '
                    'from which to start fine-tuning; ignored when '
                    '--checkpoint_dir already has a checkpoint.')
flags.DEFINE_list('checkpoint_exclude_scopes', [], 'Variable scopes not '
                  'restored from --fine_tune_checkpoint, e.g. '
                  'MobilenetV1/Logits for another number of classes.')
flags.DEFINE_string('checkpoint_dir', '', 'Directory for writing training '
                    'checkpoints and logs; default: runs/<model name> in the '
                    'workspace, e.g. runs/mobilenet_v1_1.0_224_quant.')
flags.DEFINE_integer(
    'log_every_n_steps', 100, 'Steps per progress line (a '
    'line also comes at least once a minute).')
flags.DEFINE_integer('save_summaries_secs', 100, 'How often to save '
                     'summaries, secs (0: never).')
flags.DEFINE_integer('save_interval_secs', 100, 'How often to save '
                     'checkpoints, secs (0: only at the start and the end).')
flags.DEFINE_integer('save_interval_steps', None, 'Save checkpoints every '
                     'this many steps instead of by time.')
flags.DEFINE_float('learning_rate', None, 'Initial learning rate; default: '
                   '0.045, or 1e-4 with --fine_tune_checkpoint.')
flags.DEFINE_float('learning_rate_decay_factor',
                   trainer.LEARNING_RATE_DECAY_FACTOR,
                   'Learning rate decay factor.')
flags.DEFINE_float(
    'num_epochs_per_decay', trainer.NUM_EPOCHS_PER_DECAY,
    'Epochs (of the training split) between learning rate '
    'decays.')
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


def config_from_flags():
  """The TrainConfig of the command line (after joining any cluster)."""
  member = cluster.membership(
      cluster.Membership(FLAGS.job_name, FLAGS.task, FLAGS.ps_hosts,
                         FLAGS.worker_hosts),
      given={name for name in cluster.Membership._fields
             if FLAGS[name].present},
      tf_config=os.environ.get('TF_CONFIG'))
  role = cluster.join(
      member.job_name, member.task, ps_hosts=member.ps_hosts,
      worker_hosts=member.worker_hosts, master=FLAGS.master,
      ps_tasks=FLAGS.ps_tasks, worker_replicas=FLAGS.worker_replicas,
      num_threads=FLAGS.num_threads)
  checkpoint_dir = paths.user_path(FLAGS.checkpoint_dir) or (
      paths.default_run_dir(FLAGS.depth_multiplier, FLAGS.image_size,
                            FLAGS.quantize))
  config = model_flags.config_from_flags(
      trainer.TrainConfig, checkpoint_dir=checkpoint_dir, master=role.master,
      task=member.task, ps_tasks=role.ps_tasks,
      worker_replicas=role.worker_replicas)
  return config, role, member


def main(argv):
  del argv  # app.run refuses positional arguments.
  # Checked before any server starts or data is read.
  flag_checks.check_model_flags(FLAGS.depth_multiplier, FLAGS.image_size,
                                FLAGS.batch_size)
  config, role, member = config_from_flags()
  if member.job_name == 'ps':
    role.server.join()  # Serves variables until the process is stopped.
    return
  trainer.train(config)  # Validates the config before anything runs.


if __name__ == '__main__':
  app.run(
      main, interrupted_message='interrupted (checkpoints already written '
      'are kept; run the same command to resume)')
