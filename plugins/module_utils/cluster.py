# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# Simplified BSD License (see LICENSES/BSD-2-Clause.txt or https://opensource.org/licenses/BSD-2-Clause)
# SPDX-License-Identifier: BSD-2-Clause

"""Reading every server of a cluster at once for the gate (the I/O half;
the verdict is health.evaluate_gate)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from functools import partial

from ansible_collections.nats_tools.nats.plugins.module_utils.health import GateSnapshot, healthz_params
from ansible_collections.nats_tools.nats.plugins.module_utils.monitor import run_concurrently

# What the gate reads of each server besides /varz.
GATE_JSZ_QUERY = dict(accounts=True, streams=True, consumers=True)


class ClusterReader:
    """Snapshots of a fixed list of servers, one concurrent round per attempt.

    Remembers each server's name and version between attempts, so that a
    server that goes down is still named, and /healthz can be asked in the
    same round as the rest (its meta-only option depends on the version)."""

    def __init__(self, monitors, names=None, max_workers=16):
        self.monitors = monitors
        self.max_workers = max_workers
        self.expected = dict(zip([m.url for m in monitors], names or []))
        self.known = dict((m.url, dict(name=None, version=None)) for m in monitors)

    def healthz_query(self, version):
        return healthz_params(version=version, js_meta_only=True, details=True)

    def read(self, with_jetstream=True):
        """One GateSnapshot per server, all servers and endpoints at once."""
        calls, slots = [], []
        for monitor in self.monitors:
            version = self.known[monitor.url]['version']
            calls.append(monitor.varz)
            slots.append((monitor, 'varz', None))
            if version is not None:
                query = self.healthz_query(version)
                calls.append(partial(monitor.healthz, **query))
                slots.append((monitor, 'healthz', version))
            calls.append(monitor.routez)
            slots.append((monitor, 'routez', None))
            if with_jetstream:
                calls.append(partial(monitor.jsz, max_items=0, **GATE_JSZ_QUERY))
                slots.append((monitor, 'jsz', None))
        outcomes = run_concurrently(calls, self.max_workers)

        answers = dict((m.url, {}) for m in self.monitors)
        for (monitor, what, version), outcome in zip(slots, outcomes):
            answers[monitor.url][what] = outcome
            if what == 'healthz':
                answers[monitor.url]['healthz_version'] = version

        # /healthz again where the version was unknown or has changed (a restarted server).
        again = []
        for monitor in self.monitors:
            got = answers[monitor.url]
            varz = got['varz'][0]
            if varz is None:
                continue
            version = varz.get('version')
            self.known[monitor.url] = dict(name=varz.get('server_name'), version=version)
            if 'healthz' not in got or got.get('healthz_version') != version:
                again.append((monitor, self.healthz_query(version)))
        for (monitor, _query), outcome in zip(again, run_concurrently(
                [partial(m.healthz, **q) for m, q in again], self.max_workers)):
            answers[monitor.url]['healthz'] = outcome

        return [self._snapshot(monitor, answers[monitor.url]) for monitor in self.monitors]

    def _snapshot(self, monitor, got):
        varz, varz_error = got['varz']
        if varz_error is not None:
            return GateSnapshot(monitor.url, name=self.known[monitor.url]['name'], error=varz_error.reason,
                                expected_name=self.expected.get(monitor.url))
        healthz, healthz_error = got.get('healthz', (None, None))
        routez, routez_error = got.get('routez', (None, None))
        jsz, jsz_error = got.get('jsz', (None, None))
        return GateSnapshot(
            monitor.url, varz=varz,
            healthz_status=healthz[0] if healthz else None, healthz=healthz[1] if healthz else None,
            healthz_error=healthz_error.reason if healthz_error else None,
            routez=routez, routez_error=routez_error.reason if routez_error else None,
            jsz=jsz, jsz_error=jsz_error.reason if jsz_error else None,
            expected_name=self.expected.get(monitor.url))
