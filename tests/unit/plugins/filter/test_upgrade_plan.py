# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.nats_tools.nats.plugins.filter.upgrade_plan import FilterModule, upgrade_plan

SERVERS = [
    dict(url='http://a:8222', name='n1', version='2.10.26'),
    dict(url='http://b:8222', name='n2', version='2.11.11'),
    dict(url='http://c:8222', name='n3', version='2.10.26'),
]


def test_meta_leader_last_and_target_version_skipped():
    plan = upgrade_plan(SERVERS, ['ha', 'hb', 'hc'], '2.11.11', meta_leader='n1')
    assert [(p['host'], p['name'], p['skip'], p['meta_leader']) for p in plan] == [
        ('hb', 'n2', True, False), ('hc', 'n3', False, False), ('ha', 'n1', False, True)]
    assert plan[0]['url'] == 'http://b:8222'


def test_without_meta_leader_keeps_the_order():
    plan = upgrade_plan(SERVERS, ['ha', 'hb', 'hc'], 'v2.10.26')
    assert [p['name'] for p in plan] == ['n1', 'n2', 'n3']
    assert [p['skip'] for p in plan] == [True, False, True]


def test_hosts_and_servers_must_match():
    with pytest.raises(AnsibleFilterError, match='3 servers but 2 hosts'):
        upgrade_plan(SERVERS, ['ha', 'hb'], '2.11.11')


def test_registered_name():
    assert FilterModule().filters()['upgrade_plan'] is upgrade_plan


def test_restart_and_reload_do_every_server_on_its_own_version():
    for mode in ('restart', 'reload'):
        plan = upgrade_plan(SERVERS, ['ha', 'hb', 'hc'], None, meta_leader='n2', mode=mode)
        assert [(p['name'], p['skip'], p['target']) for p in plan] == [
            ('n1', False, '2.10.26'), ('n3', False, '2.10.26'), ('n2', False, '2.11.11')]


def test_upgrade_needs_a_version_and_a_known_mode():
    with pytest.raises(AnsibleFilterError, match='needs a target version'):
        upgrade_plan(SERVERS, ['ha', 'hb', 'hc'], None)
    with pytest.raises(AnsibleFilterError, match='mode must be one of'):
        upgrade_plan(SERVERS, ['ha', 'hb', 'hc'], '2.11.11', mode='reboot')


SUPER = [
    dict(url='http://a1', name='a1', version='2.11.11', cluster='A'),
    dict(url='http://b1', name='b1', version='2.11.11', cluster='B'),
    dict(url='http://a2', name='a2', version='2.11.11', cluster='A'),
    dict(url='http://b2', name='b2', version='2.11.11', cluster='B'),
    dict(url='http://c1', name='c1', version='2.11.11', cluster='C'),
]


def test_cluster_order_cluster_by_cluster_meta_leader_last_overall():
    plan = upgrade_plan(SUPER, ['a1', 'b1', 'a2', 'b2', 'c1'], '2.12.8', meta_leader='b1', cluster_order=['B', 'A'])
    assert [p['name'] for p in plan] == ['b2', 'a1', 'a2', 'c1', 'b1']
    assert plan[0]['cluster'] == 'B' and plan[0]['target'] == '2.12.8'


def test_cluster_order_unknown_cluster_fails():
    with pytest.raises(AnsibleFilterError, match='cluster_order names X, but the servers report the clusters A, B, C'):
        upgrade_plan(SUPER, ['a1', 'b1', 'a2', 'b2', 'c1'], '2.12.8', cluster_order=['A', 'X'])
