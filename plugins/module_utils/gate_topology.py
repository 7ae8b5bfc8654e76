# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# Simplified BSD License (see LICENSES/BSD-2-Clause.txt or https://opensource.org/licenses/BSD-2-Clause)
# SPDX-License-Identifier: BSD-2-Clause

"""The gate's topology checks (pure): routes within each cluster, gateways between
clusters, leafnode connections.

Routes only join servers of one cluster (/varz ``cluster.name``); clusters are
joined by gateways. So a supercluster is judged cluster by cluster: every server
routed to every other server of its own cluster given, none to another cluster;
every server with an outbound gateway to each cluster its configuration names,
and an inbound one from each (measured on 2 x 3 servers, 2.12.8)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


def clusters_of(servers):
    """{cluster name or None: [servers]} of the reachable servers, in the order given."""
    clusters = {}
    for server in servers:
        if server.reachable:
            clusters.setdefault(server.cluster, []).append(server)
    return clusters


def is_supercluster(servers):
    """Whether the servers given belong to gateway-linked clusters (a gateway configured, or
    servers of several clusters): the meta group is then larger than any one cluster."""
    return any(s.gateway for s in servers if s.reachable) or len(clusters_of(servers)) > 1


def check_routes(report, servers, expect_servers):
    """Each reachable server routed to every other server of its own cluster among those given,
    and to no server known to be in another cluster."""
    cluster_of = dict((s.name, s.cluster) for s in servers if s.reachable and s.name)
    known = dict((c, set(s.name for s in members if s.name)) for c, members in clusters_of(servers).items())
    # The unreachable are expected in the cluster their peers name, when all given servers share one.
    single_cluster = len(known) == 1 and not is_supercluster(servers)
    unreachable = set(s.name for s in servers if not s.reachable and s.name)
    for s in servers:
        if not s.reachable:
            continue
        if s.routez_error:
            report.add('routes', s.name, False, '%s: %s' % (s.label, s.routez_error))
            continue
        peers = set(s.routes_to)
        expected = set(known.get(s.cluster, set()))
        if single_cluster:
            expected |= unreachable
        missing = sorted(expected - peers - {s.name})
        foreign = sorted(p for p in peers if p in cluster_of and cluster_of[p] != s.cluster)
        if missing:
            report.add('routes', s.name, False, '%s has no route to %s' % (s.label, ', '.join(missing)))
        elif foreign:
            report.add('routes', s.name, False, '%s is routed to %s of another cluster (routes join one cluster)'
                       % (s.label, ', '.join(foreign)))
        elif single_cluster and len(peers) + 1 < expect_servers:
            report.add('routes', s.name, False, '%s is routed to %d other servers, %d expected' % (
                s.label, len(peers), expect_servers - 1))
        else:
            report.add('routes', s.name, True, '%s routed to %s' % (s.label, ', '.join(sorted(peers)) or 'no peer'))


def configured_gateways(server):
    """Names of the other clusters the server's gateway configuration names."""
    gateway = (server.varz or {}).get('gateway') or {}
    own = gateway.get('name')
    return sorted(set(g.get('name') for g in gateway.get('gateways') or [] if g.get('name') and g.get('name') != own))


def gateway_links(server):
    """(outbound cluster names with a connection, {inbound cluster name: connections})."""
    gatewayz = server.gatewayz or {}
    outbound = set(name for name, remote in (gatewayz.get('outbound_gateways') or {}).items()
                   if (remote or {}).get('connection'))
    inbound = dict((name, len(remotes)) for name, remotes in (gatewayz.get('inbound_gateways') or {}).items()
                   if remotes)
    return outbound, inbound


def check_gateways(report, servers):
    """Every server with gateways configured has an outbound connection to every cluster its configuration
    names. Inbound connections are judged per cluster: each server of a remote cluster opens ONE outbound
    connection to some server of this cluster, so a server may well have none (measured on 2 x 3 servers,
    2.12.8 and 2.15.1), but the cluster as a whole has one from every server of the remote cluster given
    (at least one when none is given). A cluster none of whose servers reaches another is named as a whole."""
    lost, inbound_of, wanted_of = {}, {}, {}
    remote_sizes = {}
    for s in servers:
        if s.reachable and s.gateway:
            remote_sizes[s.gateway] = remote_sizes.get(s.gateway, 0) + 1
    for s in servers:
        if not s.reachable or not s.gateway:
            continue
        error = s.errors.get('gatewayz')
        if error:
            report.add('gateways', s.name, False, '%s: %s' % (s.label, error))
            continue
        wanted = configured_gateways(s)
        outbound, inbound = gateway_links(s)
        wanted_of.setdefault(s.gateway, set()).update(wanted)
        for remote, count in inbound.items():
            inbound_of.setdefault(s.gateway, {})
            inbound_of[s.gateway][remote] = inbound_of[s.gateway].get(remote, 0) + count
        missing_out = [g for g in wanted if g not in outbound]
        for remote in wanted:
            lost.setdefault((s.gateway, remote), []).append(remote in missing_out)
        if missing_out:
            report.add('gateways', s.name, False, '%s has no outbound gateway to %s' % (s.label, ', '.join(missing_out)))
        else:
            report.add('gateways', s.name, True, '%s gateways to %s connected' % (s.label, ', '.join(wanted) or 'none'))
    for cluster, wanted in sorted(wanted_of.items()):
        for remote in sorted(wanted):
            got = inbound_of.get(cluster, {}).get(remote, 0)
            expected = remote_sizes.get(remote) or 1
            if got < expected:
                report.add('gateways', None, False, 'cluster %s has %d inbound gateway connection%s from %s, %d expected'
                           % (cluster, got, '' if got == 1 else 's', remote, expected))
    for (cluster, remote), missing in sorted(lost.items()):
        if missing and all(missing):
            report.add('gateways', None, False, 'cluster %s lost its gateways to %s' % (cluster, remote))


def leafnode_count(server):
    """Leafnode connections of a server: /leafz when read, else /varz."""
    if server.leafz is not None:
        count = server.leafz.get('leafnodes')
        return count if isinstance(count, int) else len(server.leafz.get('leafs') or [])
    count = (server.varz or {}).get('leafnodes')
    return count if isinstance(count, int) else 0


def leafnode_baseline(servers):
    """{name: leafnode connections} of the reachable servers that have any (what a gate expects back)."""
    return dict((s.name, leafnode_count(s)) for s in servers if s.reachable and s.name and leafnode_count(s) > 0)


def check_leafnodes(report, servers, expect_leafnodes):
    """The leafnode connections of ``expect_leafnodes`` ({server name: count}) are back, counted per
    cluster: a leafnode whose hub restarts reconnects to ANY server of that cluster (the hubs gossip
    their leafnode URLs; measured on 2.12.8 and 2.15.1: l1, configured for a1 only, went to a3 while
    a1 restarted and stayed there), so a server's own count need not come back, its cluster's must."""
    by_name = dict((s.name, s) for s in servers if s.name)
    expected, named = {}, {}
    for name, count in sorted(expect_leafnodes.items()):
        server = by_name.get(name)
        if server is None or not server.reachable:
            report.add('leafnodes', name, False, '%s leafnode connections unknown (unreachable)' % name)
            continue
        key = server.cluster or server.name
        expected[key] = expected.get(key, 0) + count
        named.setdefault(key, []).append(name)
    for key in sorted(expected):
        members = [s for s in servers if s.reachable and (s.cluster or s.name) == key]
        got = sum(leafnode_count(s) for s in members)
        where = ', '.join(named[key])
        if got < expected[key]:
            mine = sum(leafnode_count(by_name[n]) for n in named[key])
            report.add('leafnodes', where, False, '%s has %d leafnode connection%s, %d expected (cluster %s has %d in all; '
                       'a leafnode may come back to any server of its cluster)'
                       % (where, mine, '' if mine == 1 else 's', expected[key], key, got))
        else:
            report.add('leafnodes', where, True, 'cluster %s has %d leafnode connections, %d expected'
                       % (key, got, expected[key]))
