# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import itertools

import pytest

from ansible_collections.nats_tools.nats.plugins.module_utils.gather import (
    ALL_SUBSET,
    MIN_SUBSET,
    SUBSET_NAMES,
    resolve_gather_subset,
)
from ansible_collections.nats_tools.nats.plugins.module_utils.server import NatsServer
from ansible_collections.nats_tools.nats.tests.unit.plugins.modules.utils import load_fixture

V = '2.10.26'
MIN = ['varz', 'healthz', 'routez', 'gatewayz', 'leafz', 'jsz']


class TestResolveGatherSubset:

    @pytest.mark.parametrize('requested', [None, [], ['min']])
    def test_min_by_default(self, requested):
        assert resolve_gather_subset(requested) == MIN

    def test_all_adds_the_growing_lists_not_debug(self):
        assert resolve_gather_subset(['all']) == MIN + ['connz', 'subsz', 'accountz', 'accstatz']

    def test_debug_endpoints_only_when_named(self):
        for name in ('raftz', 'ipqueuesz', 'stacksz', 'expvarz'):
            assert name not in resolve_gather_subset(['all'])
            assert resolve_gather_subset([name]) == [name]

    def test_all_minus_one_plus_debug(self):
        assert resolve_gather_subset(['all', '!subsz', 'raftz']) == \
            MIN + ['connz', 'accountz', 'accstatz', 'raftz']

    def test_only_exclusions_start_from_min(self):
        assert resolve_gather_subset(['!jsz']) == ['varz', 'healthz', 'routez', 'gatewayz', 'leafz']
        assert resolve_gather_subset(['!jsz', '!healthz']) == ['varz', 'routez', 'gatewayz', 'leafz']

    def test_exclusion_wins_over_inclusion(self):
        assert resolve_gather_subset(['connz', '!connz', 'varz']) == ['varz']
        assert resolve_gather_subset(['min', '!min', 'connz']) == ['connz']

    def test_names_alone(self):
        assert resolve_gather_subset(['connz']) == ['connz']

    def test_duplicates_and_spaces(self):
        assert resolve_gather_subset(['varz', ' varz ', 'varz']) == ['varz']

    def test_order_is_stable_whatever_the_request_order(self):
        names = ['expvarz', 'connz', 'varz', 'raftz', 'jsz']
        results = set(tuple(resolve_gather_subset(list(p))) for p in itertools.permutations(names))
        assert results == {('varz', 'jsz', 'connz', 'raftz', 'expvarz')}

    def test_every_known_name_resolves(self):
        assert resolve_gather_subset(list(SUBSET_NAMES)) == list(SUBSET_NAMES)
        assert tuple(MIN) == MIN_SUBSET
        assert set(ALL_SUBSET) < set(SUBSET_NAMES)

    def test_unknown_names_listed_with_valid_ones(self):
        with pytest.raises(ValueError) as caught:
            resolve_gather_subset(['varz', 'bogus', '!nope', 'connz'])
        message = str(caught.value)
        assert "'bogus'" in message
        assert "'!nope'" in message
        assert "'varz'" not in message and "'connz'" not in message
        for name in SUBSET_NAMES + ('min', 'all'):
            assert name in message

    def test_empty_entry_is_unknown(self):
        with pytest.raises(ValueError):
            resolve_gather_subset(['varz', ''])


def server_identity(varz):
    """info.server_identity(varz) of old: now NatsServer.identity()."""
    return NatsServer('http://nats1:8222', varz=varz).identity()


class TestServerIdentity:

    def test_cluster_member(self):
        varz = load_fixture(V + '/cluster/leader/varz.json')
        assert server_identity(varz) == dict(name='n1', id=varz['server_id'], version=V, cluster='c1',
                                             jetstream=True)

    def test_standalone_with_jetstream(self):
        identity = server_identity(load_fixture(V + '/single/varz.json'))
        assert (identity['name'], identity['cluster'], identity['jetstream']) == ('s1', None, True)

    def test_without_jetstream(self):
        identity = server_identity(load_fixture(V + '/no_js/varz.json'))
        assert (identity['name'], identity['cluster'], identity['jetstream']) == ('nojs', None, False)

    def test_empty(self):
        assert server_identity(None) == dict(name=None, id=None, version=None, cluster=None, jetstream=False)
