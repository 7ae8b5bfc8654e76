# Copyright: contributors to the nats_tools.nats collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The state of one lab folder: pids.json (natslab's own record, what `stop` reads) and env.yml
(derived from it, for ``ansible-playbook -e @env.yml``), under a file lock."""

from __future__ import absolute_import, division, print_function

import contextlib
import fcntl
import json
import os

from .common import LabError, atomic_write

__metaclass__ = type  # pylint: disable=invalid-name


STATE_FILE = 'pids.json'
ENV_FILE = 'env.yml'
LOCK_FILE = '.harness.lock'


@contextlib.contextmanager
def locked(workdir):
    os.makedirs(workdir, exist_ok=True)
    with open(os.path.join(workdir, LOCK_FILE), 'a') as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def load_state(workdir):
    path = os.path.join(workdir, STATE_FILE)
    if not os.path.exists(path):
        return None
    with open(path) as handle:
        return json.load(handle)


def save_state(workdir, state):
    """Write pids.json (the harness' own state) and env.yml (derived, for playbooks)."""
    atomic_write(os.path.join(workdir, STATE_FILE), json.dumps(state, indent=2, sort_keys=True) + '\n')
    atomic_write(os.path.join(workdir, ENV_FILE), json.dumps(build_env(state), indent=2, sort_keys=True) + '\n')


def update_state(workdir, func):
    with locked(workdir):
        state = load_state(workdir)
        if state is None:
            raise LabError('no %s in %s: nothing was started there' % (STATE_FILE, workdir))
        result = func(state)
        save_state(workdir, state)
        return result


def jetstream_client_urls(state):
    """Client URLs of the servers that answer $JS.API: all but the leafnode server of supercluster_js,
    which runs no JetStream and answers every JetStream request with "no responders"."""
    servers = state.get('servers', {})
    return [servers[n]['client_url'] for n in state.get('order', list(servers)) if servers[n].get('role') != 'leaf']


def build_env(state):
    """Variables for ``ansible-playbook -e @env.yml`` (JSON, which is valid YAML)."""
    servers = state.get('servers', {})
    order = state.get('order', list(servers))
    recs = [servers[n] for n in order]
    tls = state.get('tls') or {}
    env = {
        'nats_harness_workdir': state['workdir'],
        'nats_topology': state['topology'],
        'nats_version': state['version'],
        'nats_server_version': recs[0].get('server_version') or recs[0]['version'] if recs else None,
        'nats_url': recs[0]['monitor_url'] if recs else None,
        'nats_urls': [r['monitor_url'] for r in recs],
        'nats_client_url': recs[0]['client_url'] if recs else None,
        'nats_client_urls': [r['client_url'] for r in recs],
        'nats_jetstream_client_urls': jetstream_client_urls(state),
        'nats_server_names': list(order),
        'nats_servers': servers,
        'nats_versions': dict((n, servers[n]['version']) for n in order),
        'nats_pids': [r['pid'] for r in recs if r.get('running')],
        'nats_base_path': state.get('base_path', ''),
        'nats_monitor_scheme': 'https' if tls else 'http',
        'nats_tls': bool(tls),
        'nats_ca_path': tls.get('ca'),
        'nats_client_cert_path': tls.get('client_cert'),
        'nats_client_key_path': tls.get('client_key'),
        'nats_jetstream': state.get('jetstream', False),
        'nats_cluster_name': state.get('cluster_name'),
        'nats_cluster_size': len(recs) if state['topology'] == 'cluster' else 1,
        'nats_stream_name': None,
        'nats_stream_subjects': None,
        'nats_stream_replicas': None,
        'nats_stream_messages': None,
        'nats_consumer_name': None,
        'nats_lame_duck_grace_period': state.get('lame_duck_grace_period'),
        'nats_lame_duck_duration': state.get('lame_duck_duration'),
        'nats_gateways': state.get('gateways', {}),
        'nats_clusters': state.get('clusters', {}),
        'nats_leaf_url': None,
        # supercluster_js: the streams placed per cluster, the leafnode connections each hub should
        # have, the clusters with JetStream
        'nats_streams': state.get('streams', []),
        'nats_leafnodes': state.get('leafnodes', {}),
        'nats_jetstream_clusters': state.get('jetstream_clusters', []),
        # account names clients without credentials land in / the system account
        'nats_default_account': (state.get('accounts') or {}).get('default', '$G'),
        'nats_system_account': (state.get('accounts') or {}).get('system', '$SYS'),
        # accounts topology: each account's JetStream limits as written in the config
        'nats_account_limits': state.get('account_limits', {}),
        'nats_load': [h for h in state.get('helpers', []) if h.get('kind') == 'load-connections'],
        'nats_start_seconds': state.get('start_seconds'),
    }
    stream = state.get('stream')
    if stream:
        env.update({
            'nats_stream_name': stream['name'],
            'nats_stream_subjects': stream['subjects'],
            'nats_stream_replicas': stream['replicas'],
            'nats_stream_messages': stream['messages'],
            'nats_consumer_name': stream['consumer'],
        })
    for rec in recs:
        if rec.get('role') == 'leaf':
            env['nats_leaf_url'] = rec['monitor_url']
    return env


def get_state(workdir):
    with locked(workdir):
        state = load_state(workdir)
    if state is None:
        raise LabError('no %s in %s: run start first' % (STATE_FILE, workdir))
    return state


def server_rec(state, name):
    if name not in state['servers']:
        raise LabError('no server %r here (servers: %s)' % (name, ', '.join(state['order'])))
    return state['servers'][name]


def next_helper_id(state, prefix):
    used = set(h['id'] for h in state.get('helpers', []))
    i = 1
    while '%s-%d' % (prefix, i) in used:
        i += 1
    return '%s-%d' % (prefix, i)
