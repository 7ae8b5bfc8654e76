# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# Simplified BSD License (see LICENSES/BSD-2-Clause.txt or https://opensource.org/licenses/BSD-2-Clause)
# SPDX-License-Identifier: BSD-2-Clause

"""Server versions: parsing and comparing them, and time units of the monitoring answers."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

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
