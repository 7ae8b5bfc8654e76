# Copyright: contributors to the nats_tools.nats collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bounded waits for a topology to be ready: /varz, /healthz, a meta leader, routes, gateways,
leafnodes; a server process that exits ends the wait at once."""

from __future__ import absolute_import, division, print_function

import time

from .common import LabError
from .monitor import http_get, http_json
from .procs import pid_alive

# Seconds a meta group may stay formed short of its servers before the start is tried again.
META_STUCK_S = 20

__metaclass__ = type  # pylint: disable=invalid-name


class Waiter:
    """Bounded polling with early failure when a server process exits."""

    def __init__(self, state, procs, timeout):
        self.state = state
        self.procs = procs
        self.timeout = timeout
        self.cafile = (state.get('tls') or {}).get('ca')

    def check_procs(self, names):
        for name in names:
            proc = self.procs.get(name)
            rec = self.state['servers'][name]
            if proc is not None:
                if proc.poll() is not None:
                    raise LabError('nats-server %s exited with code %s during start-up' % (name, proc.returncode))
            elif not pid_alive(rec.get('pid'), rec['config']):
                raise LabError('nats-server %s (pid %s) is not running' % (name, rec.get('pid')))

    def until(self, what, names, probe):
        """Call probe() until it returns a true value; returns it."""
        deadline = time.time() + self.timeout
        last = None
        while True:
            self.check_procs(names)
            last = probe()
            if last and last[0]:
                return last[1]
            if time.time() >= deadline:
                raise LabError('timed out after %ss waiting for %s (last: %s)' % (
                    self.timeout, what, (last[1] if last else None)))
            time.sleep(0.1)

    def get(self, name, path):
        return http_json(self.state['servers'][name]['monitor_url'] + path, self.cafile)

    def status(self, name, path):
        return http_get(self.state['servers'][name]['monitor_url'] + path, self.cafile)

    def varz(self, names):
        """Wait until /varz answers on every server; record server_id and version."""
        found = {}

        def probe():
            for name in names:
                if name not in found:
                    data = self.get(name, '/varz')
                    if data:
                        found[name] = data
            missing = [n for n in names if n not in found]
            return (not missing, 'no /varz from %s' % ', '.join(missing))
        self.until('/varz on %s' % ', '.join(names), names, probe)
        for name in names:
            self.state['servers'][name]['server_version'] = found[name].get('version')
            self.state['servers'][name]['server_id'] = found[name].get('server_id')
        return found

    def healthz(self, names, query=''):
        def probe():
            bad = []
            for name in names:
                status, body = self.status(name, '/healthz' + query)
                if status != 200:
                    bad.append('%s: %s %s' % (name, status, body.strip()[:200]))
            return (not bad, '; '.join(bad))
        self.until('/healthz%s = 200 on %s' % (query, ', '.join(names)), names, probe)

    def meta_leader(self, names):
        # The group must also count every server: 2.10.26 sometimes forms its meta group of 2 out
        # of 3 and stays so (seen under CPU load, and once in a quiet CI run: stuck for 2 x 60 s), and
        # an R3 stream then never finds its peers. A group whose servers agree on a leader but count
        # fewer peers for META_STUCK_S is given up at once (servers.cmd_start starts it again) instead of
        # waiting for the whole timeout.
        short_since = []

        def probe():
            leaders, sizes = {}, {}
            for name in names:
                data = self.get(name, '/jsz')
                meta = (data or {}).get('meta_cluster') or {}
                leaders[name] = meta.get('leader')
                sizes[name] = meta.get('cluster_size')
            values = set(leaders.values())
            agreed = len(values) == 1 and None not in values and '' not in values
            if agreed and set(sizes.values()) == {len(names)}:
                return (True, values.pop())
            problem = 'meta group incomplete: leaders %s, sizes %s' % (leaders, sizes)
            if not agreed or len(set(sizes.values())) != 1:
                del short_since[:]
            elif not short_since:
                short_since.append(time.time())
            elif time.time() - short_since[0] > META_STUCK_S:
                raise LabError('%s for %d s' % (problem, META_STUCK_S))
            return (False, problem)
        return self.until('a JetStream meta leader agreed by %s' % ', '.join(names), names, probe)

    def gateways(self, pairs):
        """pairs: [(server, remote gateway name)]: outbound and inbound link up."""
        names = [p[0] for p in pairs]

        def probe():
            bad = []
            for name, remote in pairs:
                data = self.get(name, '/gatewayz') or {}
                if remote not in (data.get('outbound_gateways') or {}) or \
                        remote not in (data.get('inbound_gateways') or {}):
                    bad.append('%s->%s' % (name, remote))
            return (not bad, 'gateway links not up: %s' % ', '.join(bad))
        self.until('gateway connections', names, probe)

    def supercluster(self, clusters):
        """Every server routed to the rest of its cluster and with an outbound gateway to the other
        cluster, and every cluster with an inbound gateway from the other."""
        names = [name for members in clusters.values() for name in members]

        def probe():
            bad = []
            for cluster, members in clusters.items():
                others = [c for c in clusters if c != cluster]
                inbound = set()
                for name in members:
                    routes = self.get(name, '/routez') or {}
                    peers = set(r.get('remote_name') for r in routes.get('routes') or [])
                    if not set(members) - {name} <= peers:
                        bad.append('%s routes to %s' % (name, sorted(set(members) - {name} - peers)))
                    gateways = self.get(name, '/gatewayz') or {}
                    missing = [o for o in others if o not in (gateways.get('outbound_gateways') or {})]
                    if missing:
                        bad.append('%s outbound gateway to %s' % (name, missing))
                    inbound.update(gateways.get('inbound_gateways') or {})
                if not set(others) <= inbound:
                    bad.append('cluster %s inbound gateway from %s' % (cluster, sorted(set(others) - inbound)))
            return (not bad, 'links not up: %s' % '; '.join(bad))
        self.until('routes and gateway connections', names, probe)

    def leafs(self, names, count=1):
        def probe():
            bad = [n for n in names if ((self.get(n, '/leafz') or {}).get('leafnodes') or 0) < count]
            return (not bad, 'fewer than %d leafnode connections on %s' % (count, ', '.join(bad)))
        self.until('leafnode connections', names, probe)

    def streams_current(self, names, streams):
        """Every stream of ``streams`` (dicts with name, replicas, consumer) has a leader and all
        its other replicas current, as the stream leader's /jsz tells (account APP)."""
        def probe():
            bad = []
            seen = {}
            for name in names:
                data = self.get(name, '/jsz?accounts=true&streams=true&consumers=true') or {}
                for acc in data.get('account_details') or []:
                    for stream in acc.get('stream_detail') or []:
                        cluster = stream.get('cluster') or {}
                        if cluster.get('leader') == name:
                            seen[stream.get('name')] = (cluster, stream.get('consumer_detail') or [])
            for spec in streams:
                cluster, consumers = seen.get(spec['name'], (None, []))
                if cluster is None:
                    bad.append('%s has no leader' % spec['name'])
                    continue
                replicas = cluster.get('replicas') or []
                current = [r.get('name') for r in replicas if r.get('current') and not r.get('offline')]
                if len(current) < spec['replicas'] - 1:
                    bad.append('%s replicas current: %s' % (spec['name'], current))
                if spec.get('consumer') and spec['consumer'] not in [c.get('name') for c in consumers]:
                    bad.append('%s has no consumer %s on its leader' % (spec['name'], spec['consumer']))
            return (not bad, '; '.join(bad))
        self.until('streams %s current' % ', '.join(s['name'] for s in streams), names, probe)
