# Copyright: contributors to the nats_tools.nats collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Server configurations of each topology, and what "ready" means for each."""

from __future__ import absolute_import, division, print_function

import json
import os

from .common import HOST, LabError, log
from .stream import create_placed_streams, create_stream
from .waits import Waiter

__metaclass__ = type  # pylint: disable=invalid-name


TOPOLOGIES = ('single', 'cluster', 'tls', 'super', 'basepath', 'supercluster', 'supercluster_js', 'accounts', 'twins')
# supercluster: every server on its own loopback address (Linux routes all of 127.0.0.0/8 to lo),
# all with the same port numbers, as servers on separate hosts would be.
SUPERCLUSTER_HOSTS = (('A', (('a1', '127.0.0.11'), ('a2', '127.0.0.12'), ('a3', '127.0.0.13'))),
                      ('B', (('b1', '127.0.0.21'), ('b2', '127.0.0.22'))))
# JetStream only in cluster A: its meta group is a1 a2 a3, as in a plain 3-node cluster.
SUPERCLUSTER_JETSTREAM = ('A',)
# supercluster_js: 2 x 3 servers, JetStream in both clusters (ONE meta group of six), plus the
# leafnode server l1 (no JetStream) whose only remote is a1's leafnode port.
SUPERCLUSTER_JS_HOSTS = (('A', (('a1', '127.0.0.11'), ('a2', '127.0.0.12'), ('a3', '127.0.0.13'))),
                         ('B', (('b1', '127.0.0.21'), ('b2', '127.0.0.22'), ('b3', '127.0.0.23'))))
SUPERCLUSTER_JS_LEAF = ('l1', '127.0.0.31', 'a1')
# one R3 file stream placed in each cluster (placement by cluster name), each with a durable consumer
SUPERCLUSTER_JS_STREAMS = (
    {'name': 'ORDERS_A', 'cluster': 'A', 'subjects': ['a.orders.>'], 'consumer': 'PROC_A', 'replicas': 3},
    {'name': 'ORDERS_B', 'cluster': 'B', 'subjects': ['b.orders.>'], 'consumer': 'PROC_B', 'replicas': 3},
)
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
# The gateway block of a supercluster server sits between these marker lines, so that
# `natslab gateway --cut` can write the config without it (gateway settings cannot be reloaded).
GATEWAY_BEGIN = '# natslab: gateway begin'
GATEWAY_END = '# natslab: gateway end'
JS_MAX_MEM = 256 * 1024 * 1024
JS_MAX_FILE = 1024 * 1024 * 1024
# accounts: APP's own JetStream limits (config-file accounts; /jsz account_details reports max_mem and
# max_file as reserved_memory / reserved_storage, max_streams and max_consumers nowhere on the
# monitoring port - seen on 2.10.26 and 2.15.1).
ACCOUNT_JS_LIMITS = {'max_mem': 200000, 'max_file': 2000000, 'max_streams': 4, 'max_consumers': 8}
ACCOUNTS_JS = '''accounts {
  SYS: { users: [ { user: "sys", password: "sys" } ] }
  APP: {
    jetstream: { %s }
    users: [ { user: "app", password: "app" } ]
  }
}
system_account: "SYS"
no_auth_user: "app"''' % ', '.join('%s: %d' % kv for kv in sorted(ACCOUNT_JS_LIMITS.items()))
# twins: two standalone servers whose configuration files hold the very same text; name, address and
# ports come from the command line, which config_digest (sha256 of the parsed file) does not cover.
TWINS_CONF = '''# written by natslab: the same text for every server of the twins topology
logtime: true
max_payload: 1048576
ping_interval: "2m"'''


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
    elif topology == 'accounts':
        state['jetstream'] = True
        state['accounts'] = {'system': 'SYS', 'default': 'APP'}
        state['account_limits'] = {'APP': dict(ACCOUNT_JS_LIMITS)}
        rec = server_record(workdir, 'n1', 'single', version, binpath, {'client': ports.take(), 'monitor': ports.take()})
        add(rec, common_conf(rec) + [ACCOUNTS_JS])
    elif topology == 'twins':
        state['jetstream'] = False
        for name in ('n1', 'n2'):
            rec = server_record(workdir, name, 'twin', version, binpath, {'client': ports.take(), 'monitor': ports.take()})
            rec['args'] = ['--name', name, '--addr', rec['host'], '--port', str(rec['ports']['client']),
                           '--http_port', str(rec['ports']['monitor'])]
            add(rec, [TWINS_CONF])
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
    elif topology == 'supercluster_js':
        plan_supercluster(state, version, binpath, ports, add, hosts=SUPERCLUSTER_JS_HOSTS,
                          jetstream_clusters=('A', 'B'), leaf=SUPERCLUSTER_JS_LEAF)
    else:
        raise LabError('unknown topology %r (one of %s)' % (topology, ', '.join(TOPOLOGIES)))

    for name in order:
        rec = servers[name]
        os.makedirs(rec['dir'], exist_ok=True)
        with open(rec['config'], 'w') as handle:
            handle.write('\n'.join(confs[name]) + '\n')
    state['servers'] = servers
    state['order'] = order


def plan_supercluster(state, version, binpath, ports, add, hosts=SUPERCLUSTER_HOSTS,
                      jetstream_clusters=SUPERCLUSTER_JETSTREAM, leaf=None):
    """Clusters linked by gateways, every server on its own loopback address with the same port
    numbers. supercluster: A (a1 a2 a3, JetStream) and B (b1 b2, no JetStream). supercluster_js:
    A (a1 a2 a3) and B (b1 b2 b3), JetStream in both (one meta group of six), and ``leaf`` =
    (name, address, hub): a leafnode server (no JetStream) whose remote is the hub's leafnode port;
    every server of the hub's cluster listens for leafnodes."""
    workdir = state['workdir']
    addrs = [host for _cluster, members in hosts for _name, host in members]
    if leaf:
        addrs.append(leaf[1])
    kinds = ('client', 'monitor', 'cluster', 'gateway') + (('leafnode',) if leaf else ())
    shared = dict((kind, ports.take_shared(addrs)) for kind in kinds)
    server_ports = dict((k, shared[k]) for k in ('client', 'monitor', 'cluster', 'gateway'))
    state['jetstream'] = True
    state['accounts'] = {'system': 'SYS', 'default': 'APP'}
    state['clusters'] = {}
    state['gateways'] = {}
    state['jetstream_clusters'] = list(jetstream_clusters)
    hub_cluster = None
    recs = {}
    for cluster, members in hosts:
        state['clusters'][cluster] = [name for name, _host in members]
        for name, host in members:
            rec = server_record(workdir, name, 'supercluster', version, binpath, dict(server_ports), host=host)
            rec['cluster_name'] = rec['gateway_name'] = cluster
            if leaf and name == leaf[2]:
                hub_cluster = cluster
            recs[name] = rec
        first = recs[members[0][0]]
        state['gateways'][cluster] = {'server': first['name'], 'monitor_url': first['monitor_url'],
                                      'client_url': first['client_url']}
    for cluster, members in hosts:
        routes = ', '.join(q('nats-route://%s:%d' % (host, shared['cluster'])) for _name, host in members)
        remotes = ', '.join('{name: %s, urls: [%s]}' % (
            q(other), ', '.join(q('nats://%s:%d' % (host, shared['gateway'])) for _name, host in others))
            for other, others in hosts if other != cluster)
        for name, host in members:
            rec = recs[name]
            jetstream = cluster in jetstream_clusters
            lines = common_conf(rec, jetstream=jetstream) + [SUPERCLUSTER_ACCOUNTS if jetstream else SUPER_ACCOUNTS]
            lines.append('cluster {\n  name: %s\n  listen: %s\n  routes: [%s]\n}' % (
                q(cluster), q('%s:%d' % (host, shared['cluster'])), routes))
            lines.append(GATEWAY_BEGIN)
            lines.append('gateway {\n  name: %s\n  listen: %s\n  gateways: [%s]\n}' % (
                q(cluster), q('%s:%d' % (host, shared['gateway'])), remotes))
            lines.append(GATEWAY_END)
            if cluster == hub_cluster:
                rec['ports']['leafnode'] = shared['leafnode']
                lines.append('leafnodes {\n  listen: %s\n}' % q('%s:%d' % (host, shared['leafnode'])))
            lines.append('lame_duck_grace_period: %s' % q(LAME_DUCK_GRACE))
            lines.append('lame_duck_duration: %s' % q(LAME_DUCK_DURATION))
            add(rec, lines)
    if leaf:
        name, host, hub = leaf
        rec = server_record(workdir, name, 'leaf', version, binpath,
                            {'client': shared['client'], 'monitor': shared['monitor']}, host=host)
        rec['hub'] = hub
        lines = common_conf(rec, jetstream=False)
        lines.append('leafnodes {\n  remotes: [{url: %s}]\n  reconnect: 1\n}' % q(
            'nats-leaf://%s:%d' % (recs[hub]['host'], shared['leafnode'])))
        add(rec, lines)
        state['leafnodes'] = {hub: 1}


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
    elif topology == 'supercluster_js':
        wait_supercluster_js(state, procs, timeout, messages)
        return
    waiter.healthz(names)


def wait_supercluster_js(state, procs, timeout, messages, create=True):
    """Ready: every route and gateway up, the leafnode connected, a meta group of six with a leader
    agreed by all, the placed streams made (``create``) with every replica current, /healthz 200."""
    waiter = Waiter(state, procs, timeout)
    names = list(state['order'])
    clusters = state['clusters']
    waiter.supercluster(clusters)
    for hub, count in sorted((state.get('leafnodes') or {}).items()):
        leafs = [n for n in names if state['servers'][n].get('role') == 'leaf']
        waiter.leafs([hub] + leafs, count)
    # Bounded below the start timeout: a meta group that formed short is retried from scratch.
    js_names = [n for c in state['jetstream_clusters'] for n in clusters[c]]
    leader = Waiter(state, procs, min(timeout, 30.0)).meta_leader(js_names)
    log('JetStream meta leader: %s (group of %d)' % (leader, len(js_names)))
    if create:
        create_placed_streams(state, timeout, messages, SUPERCLUSTER_JS_STREAMS)
    waiter.streams_current(js_names, state.get('streams') or [])
    waiter.healthz(names)
