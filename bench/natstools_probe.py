#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run by bench/run.py (measurement 2) with an interpreter that has the nats-tools library
(PyPI nats-tools, bench/requirements.txt): its NATSMonitor's default calls against one server.

Usage: natstools_probe.py MONITOR_URL REPS. Prints one JSON object: per call, the seconds and the number
of items returned of each repetition, and the process's peak RSS."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import resource
import sys
import time


def main():
    url, reps = sys.argv[1], int(sys.argv[2])
    try:
        from nats_tools.monitor import NATSMonitor  # pylint: disable=import-outside-toplevel
    except Exception as exc:  # pylint: disable=broad-except
        print(json.dumps(dict(error='cannot import nats_tools.monitor: %r' % (exc,))))
        return 1
    calls = (
        ('connz()', lambda m: m.connz(), lambda d: len(d.get('connections') or [])),
        ('jsz()', lambda m: m.jsz(), _streams),
        ('jsz(streams=True)', lambda m: m.jsz(streams=True), _streams),
    )
    out = dict(calls={})
    for label, call, count in calls:
        seconds, items = [], []
        for _rep in range(reps):
            monitor = NATSMonitor(url)  # a new client (and connection) each time, as a fresh process would
            started = time.perf_counter()
            try:
                data = call(monitor)
            except Exception as exc:  # pylint: disable=broad-except
                out['calls'][label] = dict(error=repr(exc))
                break
            seconds.append(time.perf_counter() - started)
            items.append(count(data))
        else:
            out['calls'][label] = dict(seconds=seconds, items=items)
    out['maxrss_mib'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(json.dumps(out))
    return 0


def _streams(jsz):
    return sum(len(acc.get('stream_detail') or []) for acc in jsz.get('account_details') or [])


if __name__ == '__main__':
    sys.exit(main())
