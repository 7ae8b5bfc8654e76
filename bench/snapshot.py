# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Measurement 1: a 3-node cluster snapshot through the modules vs. ansible.builtin.uri.

Five playbooks (bench/playbooks/) over an inventory of the three servers (hosts n1 n2 n3,
connection local, run in parallel as Ansible does with forks >= 3) and localhost for the gate;
each round runs every playbook once; the wall time of each ansible-playbook process is taken."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import sys

import benchlib

PLAYBOOKS = ('snapshot_info', 'snapshot_uri', 'gate_module', 'gate_uri', 'gate_healthz')


def queries(version):
    """The query strings the modules send: nats_info's connz page, the gate's healthz and jsz."""
    benchlib.collection_import_path()
    # pylint: disable=import-outside-toplevel
    from ansible_collections.nats_tools.nats.plugins.module_utils.client import DEFAULT_PAGE_SIZE, ENDPOINTS, build_query
    from ansible_collections.nats_tools.nats.plugins.module_utils.gate import GATE_JSZ_QUERY
    from ansible_collections.nats_tools.nats.plugins.module_utils.healthz import healthz_params
    return dict(
        bench_connz_query=build_query(ENDPOINTS['connz'], dict(limit=DEFAULT_PAGE_SIZE)),
        bench_healthz_query=build_query(ENDPOINTS['healthz'], healthz_params(version=version, js_meta_only=True,
                                                                             details=True)),
        bench_jsz_query=build_query(ENDPOINTS['jsz'], dict(GATE_JSZ_QUERY, limit=DEFAULT_PAGE_SIZE)),
    )


def write_inventory(path, env, extra):
    hosts = dict((n, dict(bench_url=env['nats_servers'][n]['monitor_url'])) for n in env['nats_server_names'])
    common = dict(ansible_connection='local', ansible_python_interpreter=sys.executable)
    group_vars = dict(common, **extra)
    benchlib.write_json(path, dict(
        nats=dict(hosts=hosts, vars=group_vars),
        local=dict(hosts=dict(localhost=dict(common, bench_urls=env['nats_urls'], **extra)))))


def measure(options, workroot, env):
    workdir = os.path.join(workroot, 'm1')
    os.makedirs(workdir)
    inventory = os.path.join(workdir, 'inventory.json')
    extra = queries(env['nats_server_version'])
    write_inventory(inventory, env, extra)
    walls = dict((p, []) for p in PLAYBOOKS)

    def play(name, label):
        cmd = ['ansible-playbook', '-i', inventory, os.path.join(benchlib.BENCH, 'playbooks', name + '.yml')]
        rc, wall, out = benchlib.run_ansible(cmd, workdir, '%s-%s.log' % (name, label), timeout=300)
        if rc != 0:
            raise benchlib.BenchError('%s failed (exit %d), see %s' % (name, rc, out))
        return wall

    for name in PLAYBOOKS:  # warm-up round, not counted (first imports, caches)
        play(name, 'warmup')
    for index in range(options.reps):
        order = PLAYBOOKS[index % len(PLAYBOOKS):] + PLAYBOOKS[:index % len(PLAYBOOKS)]
        for name in order:
            walls[name].append(play(name, index))
        benchlib.log('m1 round %d: %s' % (index, ', '.join('%s %.2fs' % (n, walls[n][-1]) for n in PLAYBOOKS)))
    return dict(walls=walls, queries=extra, version=env['nats_server_version'],
                ratios=dict(
                    info=[u / i for u, i in zip(walls['snapshot_uri'], walls['snapshot_info'])],
                    gate=[u / g for u, g in zip(walls['gate_uri'], walls['gate_module'])],
                    healthz=[h / g for h, g in zip(walls['gate_healthz'], walls['gate_module'])]))


def rows(result):
    walls = result['walls']

    def med(name):
        return benchlib.summary(walls[name], 2)['median']

    info = benchlib.summary(result['ratios']['info'], 2)
    gate = benchlib.summary(result['ratios']['gate'], 2)
    return [
        dict(id='1a', what='snapshot: uri (6 tasks x 3 servers) / nats_info (1 task x 3 servers)', stat=info, unit='x',
             absolute='uri %s s, nats_info %s s' % (med('snapshot_uri'), med('snapshot_info')),
             target='>= 4x', met=info['median'] is not None and info['median'] >= 4.0),
        dict(id='1b', what='gate: uri (4 tasks x 3 servers) / nats_gate (1 task)', stat=gate, unit='x',
             absolute='uri %s s, nats_gate %s s' % (med('gate_uri'), med('gate_module')),
             target='>= 4x', met=gate['median'] is not None and gate['median'] >= 4.0),
        dict(id='1c', what='reference: nats_healthz (1 task x 3 servers) / nats_gate', unit='x',
             stat=benchlib.summary(result['ratios']['healthz'], 2),
             absolute='nats_healthz %s s, nats_gate %s s' % (med('gate_healthz'), med('gate_module')),
             target=None, met=None),
    ]
