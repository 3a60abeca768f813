"""Runs a parameter-server training cluster of mobilenet_v1_train on localhost.

  bazel run //tools:launch_cluster -- --num_ps=1 --num_workers=2 \\
      --cluster_log_dir=/tmp/cluster_logs -- \\
      --checkpoint_dir=/tmp/mobilenet_dist --number_of_steps=1000

Picks free ports, starts --num_ps parameter servers and --num_workers
workers (worker 0 is the chief), each a mobilenet_v1_train process with
--job_name, --task, --ps_hosts and --worker_hosts; the arguments after `--`
go to every worker. Waits for the workers, then stops the parameter servers.
If a worker fails, or --timeout_secs passes, or the launcher is interrupted,
every process is stopped and the launcher exits non-zero. Each process logs
to <cluster_log_dir>/<job>_<task>.log.
"""

import os
import signal
import socket
import subprocess
import tempfile
import time

from absl import flags
from absl import logging

from core import app
from core import errors
from core import paths
from core import scripts

FLAGS = flags.FLAGS

flags.DEFINE_integer('num_ps', 1, 'Parameter servers.')
flags.DEFINE_integer('num_workers', 2, 'Workers (task 0 is the chief).')
flags.DEFINE_string('host', '127.0.0.1', 'Address every process listens on.')
flags.DEFINE_string('cluster_log_dir', None, 'Where each process logs; default: a '
                    'new temporary directory.')
flags.DEFINE_float('timeout_secs', 3600, 'Stop everything after this long.')
flags.DEFINE_string('trainer', None, 'Trainer command; default: this '
                    'checkout\'s mobilenet_v1_train.py on this Python.')


class ClusterError(errors.JobFailedError):
  """A process of the cluster failed or the time ran out (one line)."""


def free_ports(count, host):
  """`count` distinct ports free on `host` right now."""
  sockets = []
  try:
    for _ in range(count):
      s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
      s.bind((host, 0))
      sockets.append(s)
    return [s.getsockname()[1] for s in sockets]
  finally:
    for s in sockets:
      s.close()


def trainer_command(trainer=None):
  if trainer:
    return trainer.split()
  return scripts.script_command('mobilenet_v1_train.py')


def _stop(processes, grace_secs=10):
  """SIGTERM, then SIGKILL for whatever is still running."""
  for process in processes:
    if process.poll() is None:
      process.send_signal(signal.SIGTERM)
  deadline = time.time() + grace_secs
  for process in processes:
    try:
      process.wait(timeout=max(0.1, deadline - time.time()))
    except subprocess.TimeoutExpired:
      process.kill()
      process.wait()


def _tail(path, lines=15):
  try:
    with open(path, errors='replace') as f:
      return ''.join(f.readlines()[-lines:])
  except OSError:
    return ''


def run_cluster(num_ps, num_workers, trainer_args, log_dir, host='127.0.0.1',
                timeout_secs=3600, trainer=None):
  """Runs the cluster to completion.

  Returns:
    {'worker_0': log path, ...} of all processes.

  Raises:
    ClusterError: a worker failed or the time ran out (all processes are
      stopped either way).
  """
  if num_ps < 1 or num_workers < 1:
    raise ClusterError('need at least one ps and one worker')
  os.makedirs(log_dir, exist_ok=True)
  ports = free_ports(num_ps + num_workers, host)
  ps_hosts = ','.join('%s:%d' % (host, p) for p in ports[:num_ps])
  worker_hosts = ','.join('%s:%d' % (host, p) for p in ports[num_ps:])
  env = scripts.script_env()
  command = trainer_command(trainer)
  processes, workers, logs, files = [], [], {}, []

  def start(job, task, extra):
    name = '%s_%d' % (job, task)
    logs[name] = os.path.join(log_dir, name + '.log')
    log = open(logs[name], 'w')
    files.append(log)
    process = subprocess.Popen(
        command + ['--job_name=' + job, '--task=%d' % task,
                   '--ps_hosts=' + ps_hosts, '--worker_hosts=' + worker_hosts]
        + extra, env=env, stdout=log, stderr=subprocess.STDOUT)
    processes.append(process)
    return name, process

  logging.info('cluster: ps %s, workers %s; logs in %s', ps_hosts,
               worker_hosts, log_dir)
  try:
    for task in range(num_ps):
      start('ps', task, [])
    for task in range(num_workers):
      workers.append(start('worker', task, list(trainer_args)))
    deadline = time.time() + timeout_secs
    running = dict(workers)
    while running:
      for name, process in list(running.items()):
        code = process.poll()
        if code is None:
          continue
        del running[name]
        if code:
          logging.error('%s exited with %d; its log %s ends:\n%s', name,
                        code, logs[name], _tail(logs[name]))
          raise ClusterError('%s exited with %d (its log: %s)' % (
              name, code, logs[name]))
        logging.info('%s finished', name)
      for process in processes[:num_ps]:
        if process.poll() is not None:
          name = 'ps_%d' % processes.index(process)
          logging.error('%s died (exit %s); its log %s ends:\n%s', name,
                        process.returncode, logs[name], _tail(logs[name]))
          raise ClusterError('%s died (exit %s; its log: %s)' % (
              name, process.returncode, logs[name]))
      if time.time() > deadline:
        raise ClusterError('timed out after %s s; still running: %s' % (
            timeout_secs, ', '.join(sorted(running))))
      time.sleep(0.2)
    return logs
  finally:
    _stop(processes)
    for log in files:
      log.close()


def main(argv):
  trainer_args = argv[1:]
  log_dir = (paths.user_path(FLAGS.cluster_log_dir) or
             tempfile.mkdtemp(prefix='mobilenet_cluster.'))
  run_cluster(FLAGS.num_ps, FLAGS.num_workers, trainer_args, log_dir,
              host=FLAGS.host, timeout_secs=FLAGS.timeout_secs,
              trainer=FLAGS.trainer)
  print('cluster finished; logs in %s' % log_dir)


if __name__ == '__main__':
  app.run(main, takes_arguments=True,
          interrupted_message='interrupted; all cluster processes stopped')
