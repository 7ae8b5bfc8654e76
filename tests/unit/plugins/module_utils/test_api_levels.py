# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""JetStream API levels and a downgrade's blockers, on /jsz answers recorded from real servers
(tests/unit/fixtures/<version>/api_levels, record_api_level_fixtures.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

import pytest

from ansible_collections.nats_tools.nats.plugins.module_utils.api_levels import (
    api_level, assets_needing_level, downgrade_blockers, required_level)

FIXTURES = os.path.join(os.path.dirname(__file__), '..', '..', 'fixtures')


def recorded(version):
    with open(os.path.join(FIXTURES, version, 'api_levels', 'jsz_all.json')) as handle:
        return json.load(handle)


@pytest.mark.parametrize('version, level', [
    ('2.9.25', 0), ('2.10.26', 0), ('2.11.0', 1), ('2.11.11', 1), ('2.12.0', 2), ('2.12.4', 2),
    ('2.12.5', 3), ('2.12.8', 3), ('v2.14.0', 4), ('2.15.1', 5), ('3.0.0', 5), ('not a version', None), (None, None),
])
def test_api_level_of_a_version(version, level):
    assert api_level(version) == level


@pytest.mark.parametrize('version', ['2.12.8', '2.15.1'])
def test_the_level_table_matches_what_the_recorded_server_serves(version):
    assert recorded(version)['api']['level'] == api_level(version)


@pytest.mark.parametrize('version', ['2.12.8', '2.15.1'])
def test_only_the_counter_stream_needs_a_level(version):
    assert assets_needing_level([recorded(version)]) == [('stream', '$G', 'COUNTER', None, 2)]


@pytest.mark.parametrize('target, blocked', [('2.11.11', True), ('2.10.26', True), ('2.12.0', False), ('2.12.8', False)])
def test_downgrade_blockers_name_the_stream_and_the_levels(target, blocked):
    blockers = downgrade_blockers([recorded('2.12.8')], target)
    if blocked:
        assert blockers == ['stream COUNTER (account $G) needs JetStream API level 2, %s serves %d'
                            % (target, api_level(target))]
    else:
        assert blockers == []


def test_a_replicated_stream_seen_by_every_server_is_named_once():
    answer = recorded('2.12.8')
    assert len(downgrade_blockers([answer, answer, answer], '2.11.11')) == 1


def test_a_consumer_needing_a_level_is_named_with_its_stream():
    answer = recorded('2.15.1')
    answer['account_details'][0]['stream_detail'][0]['consumer_detail'][0]['config']['metadata']['_nats.req.level'] = '5'
    plain = answer['account_details'][0]['stream_detail'][0]['name']
    consumer = answer['account_details'][0]['stream_detail'][0]['consumer_detail'][0]['name']
    assert 'consumer %s of stream %s (account $G) needs JetStream API level 5, 2.14.0 serves 4' % (consumer, plain) \
        in downgrade_blockers([answer], '2.14.0')


@pytest.mark.parametrize('config', [None, {}, {'metadata': None}, {'metadata': {'_nats.req.level': 'x'}},
                                    {'metadata': ['_nats.req.level']}, 'text'])
def test_missing_or_malformed_metadata_counts_as_level_0(config):
    assert required_level(config) == 0


def test_answers_of_other_shapes_are_ignored_not_a_crash():
    assert downgrade_blockers([{}, {'account_details': None}, {'account_details': [{'stream_detail': None}]}],
                              '2.11.11') == []


def test_a_target_that_is_not_a_version_blocks_with_a_reason():
    assert downgrade_blockers([], 'latest') == ["target version 'latest' is not a nats-server version"]
