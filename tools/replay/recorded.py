# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The recorded answers the simulation is built from: bodies real nats-server processes sent
(tests/unit/fixtures/<version>/, see its README), one of each kind the replay scales up.

- super_healthy (supercluster, JetStream in both clusters): /varz, /routez, /gatewayz, /leafz and
  /jsz (streams and consumers) of a follower (a1) and of the meta leader (b1);
- cluster/leader: a stream's and a consumer's `config` (for /jsz?config=true);
- single: one client connection of /connz;
- catching_up and quorum_lost: /healthz of a server whose stream replica is catching up."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import copy
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(os.path.dirname(os.path.dirname(HERE)), 'tests', 'unit', 'fixtures')
# The version whose recordings have every file used here (super_* exist for 2.12.8 and 2.15.1).
DEFAULT_VERSION = '2.15.1'


def _load(version, *parts):
    path = os.path.join(FIXTURES, version, *parts)
    with open(path, encoding='utf-8') as handle:
        document = json.load(handle)
    # Gate and supercluster recordings keep a non-200 answer as {"_status": N, "_body": ...}.
    if isinstance(document, dict) and '_status' in document:
        return document['_status'], document['_body']
    return 200, document


class Recorded:
    """Templates, each a parsed recorded body; ``fresh(name)`` gives a deep copy to fill in."""

    def __init__(self, version=DEFAULT_VERSION):
        self.version = version
        self.templates = {}
        super_dir = 'super_healthy'
        for role, server in (('follower', 'a1'), ('leader', 'b1')):
            for endpoint in ('varz', 'routez', 'gatewayz', 'leafz', 'jsz'):
                self.templates['%s_%s' % (role, endpoint)] = _load(version, super_dir, server, endpoint + '.json')[1]
        jsz = self.templates['leader_jsz']
        account = jsz['account_details'][0]
        stream = account['stream_detail'][0]
        self.templates['account'] = dict((k, v) for k, v in account.items() if k != 'stream_detail')
        self.templates['stream'] = dict((k, v) for k, v in stream.items() if k != 'consumer_detail')
        self.templates['consumer'] = stream['consumer_detail'][0]
        self.templates['replica'] = stream['cluster']['replicas'][0]
        self.templates['meta_peer'] = jsz['meta_cluster']['replicas'][0]
        self.templates['route'] = self.templates['follower_routez']['routes'][0]
        gatewayz = self.templates['follower_gatewayz']
        self.templates['gateway_out'] = next(iter(gatewayz['outbound_gateways'].values()))
        self.templates['gateway_in'] = next(iter(gatewayz['inbound_gateways'].values()))[0]
        config = _load(version, 'cluster', 'leader', 'jsz_streams_consumers_config.json')[1]
        cstream = config['account_details'][0]['stream_detail'][0]
        self.templates['stream_config'] = cstream['config']
        self.templates['consumer_config'] = cstream['consumer_detail'][0]['config']
        connz = _load(version, 'single', 'connz.json')[1]
        self.templates['connz'] = dict((k, v) for k, v in connz.items() if k != 'connections')
        self.templates['connection'] = connz['connections'][0]
        self.templates['healthz_ok'] = _load(version, 'single', 'healthz.json')[1]
        self.templates['healthz_catchup_details'] = _load(
            version, 'catching_up', 'restarted', 'healthz_details_catchup.503.json')
        self.templates['healthz_unavailable'] = _load(version, 'quorum_lost', 'survivor', 'healthz_t2s.503.json')

    def fresh(self, name):
        return copy.deepcopy(self.templates[name])
