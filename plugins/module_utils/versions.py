# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# Simplified BSD License (see LICENSES/BSD-2-Clause.txt or https://opensource.org/licenses/BSD-2-Clause)
# SPDX-License-Identifier: BSD-2-Clause

"""Server versions: parsing and comparing them, and time units of the monitoring answers."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import calendar
import re

NANOSECONDS = 1e9


def parse_version(text):
    """(major, minor, patch) from '2.10.26', 'v2.11.0-RC.1' and the like; None if unreadable."""
    match = re.match(r'^\s*v?(\d+)\.(\d+)(?:\.(\d+))?', text or '')
    if not match:
        return None
    return tuple(int(part or 0) for part in match.groups())


def version_at_least(version, minimum):
    parsed = parse_version(version) if not isinstance(version, tuple) else version
    return parsed is not None and parsed >= minimum


def seconds(nanoseconds):
    """nats-server reports `active` as nanoseconds since last contact."""
    if nanoseconds is None:
        return None
    return round(nanoseconds / NANOSECONDS, 3)


def same_version(reported, expected):
    a, b = parse_version(reported), parse_version(expected)
    return a is not None and a == b


_RFC3339 = re.compile(r'^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$')


def timestamp(text):
    """Seconds since the epoch of an RFC 3339 time as nats-server writes it (/varz `start`, `now`:
    nanoseconds, 'Z' or an offset); None when it is not one."""
    match = _RFC3339.match(text) if isinstance(text, str) else None
    if not match:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        value = calendar.timegm((int(year), int(month), int(day), int(hour), int(minute), int(second), 0, 0, 0))
    except (ValueError, OverflowError):
        return None
    value += float('0.' + fraction) if fraction else 0.0
    if zone != 'Z':
        offset = int(zone[1:3]) * 3600 + int(zone[4:6]) * 60
        value -= offset if zone[0] == '+' else -offset
    return value


def uptime_seconds(varz):
    """How long the server has run, from its own clock (/varz `now` - `start`); None when unreadable."""
    start, now = timestamp((varz or {}).get('start')), timestamp((varz or {}).get('now'))
    if start is None or now is None or now < start:
        return None
    return round(now - start, 3)
