"""Joining a parameter-server cluster on TensorFlow's distributed runtime.

The original trainer took --master (a worker's grpc:// address in a running
cluster), --task and --ps_tasks. Here a process can also bring up its own
server: given --ps_hosts and --worker_hosts (comma-separated host:port
lists), it starts a tf.distribute.Server for --job_name/--task; a ps then
serves variables until it is stopped, and a worker trains with its own
server's target as master. tools/launch_cluster.py starts such processes on
localhost. TensorFlow's TF_CONFIG environment variable (the convention of
tf.distribute's cluster resolvers) can describe the same: the cluster and
this process's task; flags, when given, win.
"""

import collections
import json

from absl import logging
import tensorflow.compat.v1 as tf

from core import errors
from core import session

JOB_NAMES = ('worker', 'ps')

# master: session target; ps_tasks / worker_replicas: cluster shape;
# server: the in-process server (None when joining through --master).
ClusterRole = collections.namedtuple(
    'ClusterRole', ['master', 'ps_tasks', 'worker_replicas', 'server'])


# This process's place in a cluster: what --job_name, --task, --ps_hosts and
# --worker_hosts say (host lists comma-separated).
Membership = collections.namedtuple(
    'Membership', ['job_name', 'task', 'ps_hosts', 'worker_hosts'])


def from_tf_config(text):
  """The Membership a TF_CONFIG value describes.

  {"cluster": {"chief": [...], "worker": [...], "ps": [...]},
   "task": {"type": "worker", "index": 1}}: a chief, when listed, is worker
  0 (it initializes and saves, as task 0 does here) and the workers follow.

  Raises:
    errors.BadInputError: not JSON, or no task this trainer can be.
  """
  try:
    described = json.loads(text)
    cluster = described.get('cluster') or {}
    task = described['task']
    kind, index = task['type'], int(task.get('index', 0))
  except (ValueError, KeyError, TypeError, AttributeError) as e:
    raise errors.BadInputError('TF_CONFIG is not a cluster and task '
                               'description (%s): %s' % (e, text[:200])) from e
  chief = list(cluster.get('chief') or [])
  workers = chief + list(cluster.get('worker') or [])
  if kind == 'chief':
    job_name = 'worker'
  elif kind == 'worker':
    job_name, index = 'worker', index + len(chief)
  elif kind == 'ps':
    job_name = 'ps'
  else:
    raise errors.BadInputError(
        'TF_CONFIG task type %r: the trainer is a chief, worker or ps' % kind)
  return Membership(job_name, index, ','.join(cluster.get('ps') or []),
                    ','.join(workers))


def membership(flags_membership, given, tf_config=None):
  """The flags' Membership, completed from TF_CONFIG.

  Args:
    flags_membership: the Membership of the flags (defaults included).
    given: the names of the flags the user gave.
    tf_config: the TF_CONFIG environment variable's value, if any.

  With TF_CONFIG and no host list among the flags, the cluster and the
  task come from TF_CONFIG, except the flags the user gave.
  """
  if not tf_config or flags_membership.ps_hosts or flags_membership.worker_hosts:
    return flags_membership
  described = from_tf_config(tf_config)
  return Membership(*(
      mine if name in given else theirs
      for name, mine, theirs in zip(Membership._fields, flags_membership,
                                    described)))


def parse_hosts(flag_name, value):
  """'a:1,b:2' -> ['a:1', 'b:2']; BadInputError for a malformed entry."""
  hosts = [h.strip() for h in (value or '').split(',') if h.strip()]
  for host in hosts:
    name, sep, port = host.rpartition(':')
    if not sep or not name or not port.isdigit():
      raise errors.BadInputError('--%s: %r is not host:port' %
                                 (flag_name, host))
  return hosts


def join(job_name, task, ps_hosts='', worker_hosts='', master='', ps_tasks=0,
         worker_replicas=1, num_threads=0):
  """Decides how this process takes part; starts its server if it has one.

  Without host lists it is the original behaviour: master, ps_tasks and
  worker_replicas as given (a single process when all are empty).

  Raises:
    errors.BadInputError: inconsistent cluster flags.
  """
  ps = parse_hosts('ps_hosts', ps_hosts)
  workers = parse_hosts('worker_hosts', worker_hosts)
  if job_name not in JOB_NAMES:
    raise errors.BadInputError('--job_name must be one of %s, got %r' %
                               (', '.join(JOB_NAMES), job_name))
  if not workers:
    if ps:
      raise errors.BadInputError('--ps_hosts needs --worker_hosts')
    if job_name == 'ps':
      raise errors.BadInputError('--job_name=ps needs --ps_hosts and '
                                 '--worker_hosts')
    return ClusterRole(master, ps_tasks, worker_replicas, None)
  if master:
    raise errors.BadInputError(
        'give either --master or --worker_hosts, not both')
  if not ps:
    raise errors.BadInputError('--worker_hosts needs --ps_hosts (a '
                               'parameter-server cluster)')
  if ps_tasks and ps_tasks != len(ps):
    raise errors.BadInputError('--ps_tasks=%d but --ps_hosts lists %d' %
                               (ps_tasks, len(ps)))
  members = ps if job_name == 'ps' else workers
  if not 0 <= task < len(members):
    raise errors.BadInputError('--task=%d but --%s_hosts lists %d' %
                               (task, job_name, len(members)))
  spec = tf.train.ClusterSpec({'ps': ps, 'worker': workers})
  server = tf.distribute.Server(spec, job_name=job_name, task_index=task,
                                config=session.session_config(num_threads),
                                start=True)
  logging.info('started %s task %d at %s (cluster: ps %s, workers %s)',
               job_name, task, server.target, ps, workers)
  return ClusterRole(server.target, len(ps), len(workers), server)
