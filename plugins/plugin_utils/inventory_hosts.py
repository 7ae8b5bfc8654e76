# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Inventory hosts and groups from what discovery found (controller only).

Every name here comes from a server and is untrusted: a server name becomes a host name
only when it is a plain name (see usable_host_name); otherwise the server id, or a
generated name, stands in, with a warning. Values are marked unsafe where the plugin
hands them to Ansible (plugin_utils.unsafe)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.nats_tools.nats.plugins.module_utils.monitor_urls import display_url
from ansible_collections.nats_tools.nats.plugins.plugin_utils.discovery import WILDCARD_HOSTS, url_host

MAX_NAME_LENGTH = 255
# Letters, digits and . _ - : @ + = , only: no whitespace, path separators, quotes or template characters.
_PLAIN_NAME = re.compile(r'^[A-Za-z0-9_.:@+=,-]+$')


def usable_host_name(name):
    """Whether a server-reported name can be an inventory host name (and so a fact cache file name)."""
    return bool(name) and isinstance(name, str) and len(name) <= MAX_NAME_LENGTH and \
        bool(_PLAIN_NAME.match(name)) and '..' not in name and name not in ('.',)


def _netloc_host(host):
    return '[%s]' % host if ':' in host and not host.startswith('[') else host


def client_url(varz, monitor_host):
    """nats:// (or tls://) URL of the server's client port: its listen host unless that is a
    wildcard, then the host its monitoring URL names."""
    varz = varz or {}
    port = varz.get('port')
    if not port:
        return None
    host = varz.get('host') or ''
    if host in WILDCARD_HOSTS:
        host = monitor_host
    scheme = 'tls' if varz.get('tls_required') else 'nats'
    return '%s://%s:%d' % (scheme, _netloc_host(host), port)


def meta_leaders(views):
    """JetStream meta leaders from [(server name, /jsz)] of the servers reached.

    Only a server that names itself leader is one (its view is the reliable one); when two
    such claims overlap (a leader that has not noticed it was replaced: its group and the
    other's share members), the one more servers name wins and a tie elects neither.
    Returns (sorted leader names, [warnings])."""
    votes, groups = {}, {}
    for name, jsz in views:
        meta = (jsz or {}).get('meta_cluster') or {}
        leader = meta.get('leader')
        if not leader:
            continue
        votes[leader] = votes.get(leader, 0) + 1
        if leader == name:
            groups[name] = set([name] + [r.get('name') for r in meta.get('replicas') or [] if r.get('name')])
    leaders, warnings = [], []
    for name in sorted(groups):
        rivals = [other for other in groups if other != name and groups[other] & groups[name]]
        if all(votes[name] > votes[other] for other in rivals):
            leaders.append(name)
        elif all(votes[name] >= votes[other] for other in rivals):
            warnings.append('%s and %s both claim JetStream meta leadership with as many votes; neither is taken '
                            'as the meta leader' % (name, ', '.join(sorted(rivals))))
    return leaders, warnings


def group_name(text):
    """A group name from a cluster name: letters, digits and underscores only, 200 at most."""
    return re.sub(r'[^A-Za-z0-9_]', '_', text or '')[:200]


def inventory_hosts(result):
    """[{name, vars, groups}] for every server found and every one that could not be reached,
    sorted by name, and [warnings]."""
    leaders, warnings = meta_leaders([(s.name, s.jsz) for s in result.servers if s.jetstream])
    entries = []
    for server in result.servers:
        host = url_host(server.url)
        url = display_url(server.url)  # a seed may carry user:password; host variables never do
        hostvars = dict(
            ansible_host=host,
            nats_monitor_url=url,
            nats_rolling_upgrade_monitor_url=url,
            nats_server_name=server.name,
            nats_server_id=server.id,
            nats_version=server.version,
            nats_cluster=server.cluster,
            nats_gateway=server.gateway,
            nats_jetstream=server.jetstream,
            nats_is_meta_leader=server.name in leaders,
            nats_client_url=client_url(server.varz, host),
            nats_reachable=True,
            nats_discovered_from=server.origin,
        )
        entries.append(dict(name=server.name, vars=hostvars, id=server.id))
    for peer in result.unreachable:
        hostvars = dict(
            ansible_host=peer.address,
            nats_monitor_url=peer.url,
            nats_rolling_upgrade_monitor_url=peer.url,
            nats_server_name=peer.name if peer.id else None,
            nats_server_id=peer.id,
            nats_version=None,
            nats_cluster=peer.cluster,
            nats_gateway=None,
            nats_jetstream=None,
            nats_is_meta_leader=False,
            nats_client_url=None,
            nats_reachable=False,
            nats_unreachable_reason=peer.reason,
            nats_discovered_from=peer.origin,
        )
        entries.append(dict(name=peer.name, vars=hostvars, id=peer.id))

    for number, entry in enumerate(entries, 1):
        if not usable_host_name(entry['name']):
            stand_in = entry['id'] if usable_host_name(entry['id']) else 'nats_server_%d' % number
            warnings.append('server name %r is not a usable host name (whitespace, /, .., quotes, template or control '
                            'characters, or over %d characters); host %s is used instead'
                            % ((entry['name'] or '')[:80], MAX_NAME_LENGTH, stand_in))
            entry['name'] = stand_in

    names = {}
    for entry in entries:
        if entry['name'] in names:
            renamed = '%s_%s' % (entry['name'], group_name((entry['id'] or entry['vars']['ansible_host'] or '')[:8]))
            warnings.append('two servers are named %s (%s and %s); the second is host %s' % (
                entry['name'], names[entry['name']], entry['id'] or entry['vars']['ansible_host'], renamed))
            entry['name'] = renamed
        names[entry['name']] = entry['id'] or entry['vars']['ansible_host']

    for entry in entries:
        groups = ['nats']
        if entry['vars']['nats_cluster']:
            groups.append('nats_cluster_%s' % group_name(entry['vars']['nats_cluster']))
        if entry['vars']['nats_is_meta_leader']:
            groups.append('nats_meta_leader')
        if not entry['vars']['nats_reachable']:
            groups.append('nats_unreachable')
        entry['groups'] = groups
        del entry['id']
    entries.sort(key=lambda e: e['name'])
    return entries, warnings
