# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Check what `ansible-inventory --list` printed for a nats_tools.nats.nats config against the
harness' env.yml (and the live meta leader).

    python check_list.py LIST_JSON ENV_YML --hosts a1,a2,a3 [--keyed-prefix P] [--unreachable-url URL]
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import argparse
import json
import sys
import urllib.request


def plain(value):
    """ansible-inventory marks strings from an inventory plugin as unsafe: {"__ansible_unsafe": "..."}."""
    if isinstance(value, dict):
        if list(value) == ['__ansible_unsafe']:
            return value['__ansible_unsafe']
        return dict((k, plain(v)) for k, v in value.items())
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def group(listing, name):
    return sorted((listing.get(name) or {}).get('hosts') or [])


def check(condition, message):
    if not condition:
        print('FAILED: %s' % message, file=sys.stderr)
        sys.exit(1)
    print('ok: %s' % message)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('listing')
    parser.add_argument('env')
    parser.add_argument('--hosts', required=True, help='servers expected to be reachable, comma separated')
    parser.add_argument('--keyed-prefix', help='keyed_groups prefix used with key nats_version')
    parser.add_argument('--unreachable-url', help='monitoring URL of the one server expected unreachable')
    args = parser.parse_args()
    with open(args.listing) as handle:
        listing = plain(json.load(handle))
    with open(args.env) as handle:
        env = json.load(handle)
    hostvars = listing['_meta']['hostvars']
    expected = sorted(args.hosts.split(','))
    cluster_of = dict((name, cluster) for cluster, names in env['nats_clusters'].items() for name in names)

    reachable = sorted(h for h in group(listing, 'nats') if hostvars[h]['nats_reachable'])
    check(reachable == expected, 'reachable hosts of group nats are %s (got %s)' % (expected, reachable))
    for name in expected:
        server, got = env['nats_servers'][name], hostvars[name]
        want = dict(ansible_host=server['host'], nats_monitor_url=server['monitor_url'],
                    nats_rolling_upgrade_monitor_url=server['monitor_url'], nats_server_name=name,
                    nats_server_id=server['server_id'], nats_version=env['nats_versions'][name],
                    nats_cluster=cluster_of[name], nats_gateway=cluster_of[name],
                    nats_client_url=server['client_url'], nats_jetstream=cluster_of[name] == 'A')
        check(dict((k, got.get(k)) for k in want) == want, '%s host vars %s' % (name, want))
        check(name in group(listing, 'nats_cluster_%s' % cluster_of[name]), '%s in nats_cluster_%s' % (
            name, cluster_of[name]))

    leaders = group(listing, 'nats_meta_leader')
    with urllib.request.urlopen(env['nats_servers']['a1']['monitor_url'] + '/jsz', timeout=10) as response:
        live = json.loads(response.read().decode())['meta_cluster']['leader']
    check(leaders == [live], 'exactly one host in nats_meta_leader, the one a1 names: %s (got %s)' % (live, leaders))
    check([h for h in hostvars if hostvars[h].get('nats_is_meta_leader')] == [live], 'nats_is_meta_leader on it only')

    if args.keyed_prefix:
        versions = sorted(set(env['nats_versions'][name] for name in expected))
        for version in versions:
            name = '%s_%s' % (args.keyed_prefix, version.replace('.', '_'))
            members = sorted(h for h in expected if env['nats_versions'][h] == version)
            check(group(listing, name) == members, 'keyed group %s holds %s (got %s)' % (name, members,
                                                                                         group(listing, name)))

    down = sorted(h for h in group(listing, 'nats') if not hostvars[h]['nats_reachable'])
    if args.unreachable_url:
        check(len(down) == 1, 'one unreachable host (got %s)' % down)
        got = hostvars[down[0]]
        check(got['nats_rolling_upgrade_monitor_url'] == args.unreachable_url and got['nats_unreachable_reason']
              and group(listing, 'nats_unreachable') == down and got['nats_cluster'] == 'A',
              '%s: unreachable at %s, in nats_unreachable and nats_cluster_A: %s' % (down[0], args.unreachable_url,
                                                                                     got))
    else:
        check(down == [] and group(listing, 'nats_unreachable') == [], 'no unreachable host (got %s)' % down)


if __name__ == '__main__':
    main()
