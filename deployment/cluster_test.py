"""Cluster membership from flags and from TensorFlow's TF_CONFIG."""

import json

from absl.testing import absltest

from core import errors
from deployment import cluster

_TF_CONFIG = json.dumps({
    'cluster': {'chief': ['h0:2222'], 'worker': ['h1:2222', 'h2:2222'],
                'ps': ['p0:2222']},
    'task': {'type': 'worker', 'index': 1}})
_DEFAULTS = cluster.Membership('worker', 0, '', '')


class TfConfigTest(absltest.TestCase):

  def test_chief_is_worker_zero_and_workers_follow(self):
    self.assertEqual(cluster.from_tf_config(_TF_CONFIG), cluster.Membership(
        'worker', 2, 'p0:2222', 'h0:2222,h1:2222,h2:2222'))
    chief = json.loads(_TF_CONFIG)
    chief['task'] = {'type': 'chief', 'index': 0}
    self.assertEqual(cluster.from_tf_config(json.dumps(chief)).task, 0)
    ps = json.loads(_TF_CONFIG)
    ps['task'] = {'type': 'ps', 'index': 0}
    self.assertEqual(cluster.from_tf_config(json.dumps(ps))[:2], ('ps', 0))

  def test_flags_win_and_host_flags_ignore_tf_config(self):
    self.assertEqual(cluster.membership(_DEFAULTS, set(), _TF_CONFIG).task, 2)
    given_task = cluster.membership(_DEFAULTS._replace(task=1), {'task'},
                                    _TF_CONFIG)
    self.assertEqual(given_task.task, 1)
    self.assertEqual(given_task.ps_hosts, 'p0:2222')
    own = _DEFAULTS._replace(ps_hosts='a:1', worker_hosts='b:2')
    self.assertEqual(cluster.membership(own, {'ps_hosts', 'worker_hosts'},
                                        _TF_CONFIG), own)
    self.assertEqual(cluster.membership(_DEFAULTS, set(), None), _DEFAULTS)

  def test_bad_tf_config_is_one_line(self):
    with self.assertRaisesRegex(errors.BadInputError,
                                'TF_CONFIG is not a cluster and task'):
      cluster.from_tf_config('{not json')
    evaluator = json.loads(_TF_CONFIG)
    evaluator['task'] = {'type': 'evaluator', 'index': 0}
    with self.assertRaisesRegex(errors.BadInputError,
                                "task type 'evaluator'"):
      cluster.from_tf_config(json.dumps(evaluator))


if __name__ == '__main__':
  absltest.main()
