# Copyright: contributors to the nats_tools.nats collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Server configurations of each topology, and what "ready" means for each."""

from __future__ import absolute_import, division, print_function

import json
import os

from .common import HOST, LabError, log
from .stream import create_stream
from .waits import Waiter

__metaclass__ = type  # pylint: disable=invalid-name


TOPOLOGIES = ('single', 'cluster', 'tls', 'super', 'basepath', 'supercluster')
# supercluster: every server on its own loopback address (Linux routes all of 127.0.0.0/8 to lo),
# all with the same port numbers, as servers on separate hosts would be.
SUPERCLUSTER_HOSTS = (('A', (('a1', '127.0.0.11'), ('a2', '127.0.0.12'), ('a3', '127.0.0.13'))),
                      ('B', (('b1', '127.0.0.21'), ('b2', '127.0.0.22'))))
# JetStream only in cluster A: its meta group is a1 a2 a3, as in a plain 3-node cluster.
SUPERCLUSTER_JETSTREAM = ('A',)
LAME_DUCK_GRACE = '1s'
LAME_DUCK_DURATION = '30s'
# gateways + leafnodes on one server need a system account; clients that send no
# credentials land in APP through no_auth_user, so tests need no credentials.
SUPER_ACCOUNTS = '''accounts {
  SYS: { users: [ { user: "sys", password: "sys" } ] }
  APP: { users: [ { user: "app", password: "app" } ] }
}
system_account: "SYS"
no_auth_user: "app"'''
SUPERCLUSTER_ACCOUNTS = SUPER_ACCOUNTS.replace('APP: {', 'APP: { jetstream: enabled,')
JS_MAX_MEM = 256 * 1024 * 1024
JS_MAX_FILE = 1024 * 1024 * 1024


def q(value):
    """Quote a string for the nats-server configuration format."""
    return json.dumps(str(value))


def server_record(workdir, name, role, version, binpath, ports, scheme='http', base_path='', client_scheme='nats',
                  host=HOST):
    sdir = os.path.join(workdir, name)
    return {
        'host': host,
        'name': name,
        'role': role,
        'version': version,
        'bin': binpath,
        'dir': sdir,
        'config': os.path.join(sdir, 'nats-server.conf'),
        'log': os.path.join(sdir, 'nats-server.log'),
        'ports': ports,
        'client_url': '%s://%s:%d' % (client_scheme, host, ports['client']),
        'monitor_url': '%s://%s:%d%s' % (scheme, host, ports['monitor'], base_path),
        'pid': None,
        'running': False,
        'server_version': None,
        'server_id': None,
    }


def common_conf(rec, monitor_key='http', base_path='', jetstream=True):
    host = rec.get('host', HOST)
    lines = [
        '# written by natslab',
        'server_name: %s' % q(rec['name']),
        'listen: %s' % q('%s:%d' % (host, rec['ports']['client'])),
        '%s: %s' % (monitor_key, q('%s:%d' % (host, rec['ports']['monitor']))),
        'logtime: true',
    ]
    if base_path:
        lines.append('http_base_path: %s' % q(base_path))
    if jetstream:
        lines.append('jetstream {\n  store_dir: %s\n  max_memory_store: %d\n  max_file_store: %d\n}' % (
            q(os.path.join(rec['dir'], 'jetstream')), JS_MAX_MEM, JS_MAX_FILE))
    return lines


def plan_topology(state, topology, version, binpath, ports):
    """Fill state['servers'], state['order'] and write each server's config file."""
    workdir = state['workdir']
    servers = {}
    confs = {}
    order = []

    def add(rec, lines):
        servers[rec['name']] = rec
        confs[rec['name']] = lines
        order.append(rec['name'])

    if topology in ('single', 'basepath'):
        base = '/mon' if topology == 'basepath' else ''
        state['base_path'] = base
        state['jetstream'] = True
        rec = server_record(workdir, 'n1', 'single', version, binpath,
                            {'client': ports.take(), 'monitor': ports.take()}, base_path=base)
        add(rec, common_conf(rec, base_path=base))
    elif topology == 'tls':
        state['jetstream'] = True
        rec = server_record(workdir, 'n1', 'single', version, binpath,
                            {'client': ports.take(), 'monitor': ports.take()}, scheme='https', client_scheme='tls')
        tls = state['tls']
        lines = common_conf(rec, monitor_key='https')
        lines.append('tls {\n  cert_file: %s\n  key_file: %s\n  ca_file: %s\n  verify: false\n  timeout: 5\n}' % (
            q(tls['server_cert']), q(tls['server_key']), q(tls['ca'])))
        add(rec, lines)
    elif topology == 'cluster':
        state['jetstream'] = True
        state['cluster_name'] = 'c1'
        state['lame_duck_grace_period'] = LAME_DUCK_GRACE
        state['lame_duck_duration'] = LAME_DUCK_DURATION
        recs = [server_record(workdir, n, 'cluster', version, binpath,
                              {'client': ports.take(), 'monitor': ports.take(), 'cluster': ports.take()})
                for n in ('n1', 'n2', 'n3')]
        routes = ', '.join(q('nats-route://%s:%d' % (HOST, r['ports']['cluster'])) for r in recs)
        for rec in recs:
            lines = common_conf(rec)
            lines.append('cluster {\n  name: "c1"\n  listen: %s\n  routes: [%s]\n}' % (
                q('%s:%d' % (HOST, rec['ports']['cluster'])), routes))
            lines.append('lame_duck_grace_period: %s' % q(LAME_DUCK_GRACE))
            lines.append('lame_duck_duration: %s' % q(LAME_DUCK_DURATION))
            add(rec, lines)
    elif topology == 'super':
        state['jetstream'] = False
        a = server_record(workdir, 'a1', 'gateway', version, binpath,
                          {'client': ports.take(), 'monitor': ports.take(), 'gateway': ports.take(),
                           'leafnode': ports.take()})
        b = server_record(workdir, 'b1', 'gateway', version, binpath,
                          {'client': ports.take(), 'monitor': ports.take(), 'gateway': ports.take()})
        leaf = server_record(workdir, 'leaf1', 'leaf', version, binpath,
                             {'client': ports.take(), 'monitor': ports.take()})
        a['gateway_name'], b['gateway_name'] = 'A', 'B'
        gws = [(a, 'A'), (b, 'B')]
        for rec, gname in gws:
            others = ', '.join('{name: %s, url: %s}' % (q(n), q('nats://%s:%d' % (HOST, r['ports']['gateway'])))
                               for r, n in gws if r is not rec)
            lines = common_conf(rec, jetstream=False) + [SUPER_ACCOUNTS]
            lines.append('gateway {\n  name: %s\n  listen: %s\n  gateways: [%s]\n}' % (
                q(gname), q('%s:%d' % (HOST, rec['ports']['gateway'])), others))
            if 'leafnode' in rec['ports']:
                lines.append('leafnodes {\n  listen: %s\n}' % q('%s:%d' % (HOST, rec['ports']['leafnode'])))
            add(rec, lines)
        lines = common_conf(leaf, jetstream=False)
        lines.append('leafnodes {\n  remotes: [{url: %s}]\n  reconnect: 1\n}' % q(
            'nats-leaf://%s:%d' % (HOST, a['ports']['leafnode'])))
        add(leaf, lines)
        state['accounts'] = {'system': 'SYS', 'default': 'APP'}
        state['gateways'] = {
            'A': {'server': 'a1', 'monitor_url': a['monitor_url'], 'client_url': a['client_url']},
            'B': {'server': 'b1', 'monitor_url': b['monitor_url'], 'client_url': b['client_url']},
        }
    elif topology == 'supercluster':
        plan_supercluster(state, version, binpath, ports, add)
    else:
        raise LabError('unknown topology %r (one of %s)' % (topology, ', '.join(TOPOLOGIES)))

    for name in order:
        rec = servers[name]
        os.makedirs(rec['dir'], exist_ok=True)
        with open(rec['config'], 'w') as handle:
            handle.write('\n'.join(confs[name]) + '\n')
    state['servers'] = servers
    state['order'] = order


def plan_supercluster(state, version, binpath, ports, add):
    """Cluster A (a1 a2 a3, JetStream) and cluster B (b1 b2, no JetStream) linked by gateways, every
    server on its own loopback address with the same port numbers."""
    workdir = state['workdir']
    hosts = [host for _cluster, members in SUPERCLUSTER_HOSTS for _name, host in members]
    shared = dict((kind, ports.take_shared(hosts)) for kind in ('client', 'monitor', 'cluster', 'gateway'))
    state['jetstream'] = True
    state['accounts'] = {'system': 'SYS', 'default': 'APP'}
    state['clusters'] = {}
    state['gateways'] = {}
    recs = {}
    for cluster, members in SUPERCLUSTER_HOSTS:
        state['clusters'][cluster] = [name for name, _host in members]
        for name, host in members:
            rec = server_record(workdir, name, 'supercluster', version, binpath, dict(shared), host=host)
            rec['cluster_name'] = rec['gateway_name'] = cluster
            recs[name] = rec
        first = recs[members[0][0]]
        state['gateways'][cluster] = {'server': first['name'], 'monitor_url': first['monitor_url'],
                                      'client_url': first['client_url']}
    for cluster, members in SUPERCLUSTER_HOSTS:
        routes = ', '.join(q('nats-route://%s:%d' % (host, shared['cluster'])) for _name, host in members)
        remotes = ', '.join('{name: %s, urls: [%s]}' % (
            q(other), ', '.join(q('nats://%s:%d' % (host, shared['gateway'])) for _name, host in others))
            for other, others in SUPERCLUSTER_HOSTS if other != cluster)
        for name, host in members:
            rec = recs[name]
            jetstream = cluster in SUPERCLUSTER_JETSTREAM
            lines = common_conf(rec, jetstream=jetstream) + [SUPERCLUSTER_ACCOUNTS if jetstream else SUPER_ACCOUNTS]
            lines.append('cluster {\n  name: %s\n  listen: %s\n  routes: [%s]\n}' % (
                q(cluster), q('%s:%d' % (host, shared['cluster'])), routes))
            lines.append('gateway {\n  name: %s\n  listen: %s\n  gateways: [%s]\n}' % (
                q(cluster), q('%s:%d' % (host, shared['gateway'])), remotes))
            lines.append('lame_duck_grace_period: %s' % q(LAME_DUCK_GRACE))
            lines.append('lame_duck_duration: %s' % q(LAME_DUCK_DURATION))
            add(rec, lines)


def wait_topology(state, procs, timeout, messages):
    """Everything after the processes are spawned: readiness, links, stream, health."""
    waiter = Waiter(state, procs, timeout)
    names = list(state['order'])
    waiter.varz(names)
    topology = state['topology']
    if topology == 'cluster':
        # Bounded well below the whole start timeout: an incomplete meta group is retried from scratch.
        leader = Waiter(state, procs, min(timeout, 20.0)).meta_leader(names)
        log('JetStream meta leader: %s' % leader)
        create_stream(state, timeout, messages)
    elif topology == 'super':
        waiter.gateways([('a1', 'B'), ('b1', 'A')])
        waiter.leafs(['a1', 'leaf1'])
    elif topology == 'supercluster':
        waiter.supercluster(state['clusters'])
        leader = waiter.meta_leader([n for c in SUPERCLUSTER_JETSTREAM for n in state['clusters'][c]])
        log('JetStream meta leader: %s' % leader)
    waiter.healthz(names)
