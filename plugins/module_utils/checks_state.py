# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# Simplified BSD License (see LICENSES/BSD-2-Clause.txt or https://opensource.org/licenses/BSD-2-Clause)
# SPDX-License-Identifier: BSD-2-Clause

"""nats_check's state file: counters of the previous run (slow consumers, JetStream API
errors) and the config_digest, per monitoring URL, so a run can judge what changed since. Written atomically
(a temporary file in the same folder, then rename), mode 0600.

Keyed by the monitoring URL the task gives, not by server_id: nats-server makes a new server_id at every
start, so a config changed together with a restart would never be seen, and every restart would add an
entry to the file. The server_id is kept inside each entry to tell a restart (counters start again from 0)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import tempfile

STATE_VERSION = 1
# the values kept as text; every other value is an integer counter
TEXT_KEYS = ('config_digest', 'server_id')


def load_state(path):
    """({server key: {counter: value}}, problem or None); a missing file is a first run."""
    if not os.path.exists(path):
        return {}, None
    try:
        with open(path) as handle:
            document = json.load(handle)
    except (IOError, OSError, ValueError) as exc:
        return {}, 'state_file %s could not be read (%s); starting a new baseline' % (path, exc)
    servers = document.get('servers') if isinstance(document, dict) else None
    if document.get('version') != STATE_VERSION or not isinstance(servers, dict):
        return {}, 'state_file %s is not a nats_check state file; starting a new baseline' % path
    clean = {}
    for key, counters in servers.items():
        if isinstance(counters, dict):
            clean[key] = dict((k, v) for k, v in counters.items() if _kept(k, v))
    return clean, None


def _kept(key, value):
    if key in TEXT_KEYS:
        return isinstance(value, str)
    return isinstance(value, int) and not isinstance(value, bool)


def previous_entry(state, server):
    """What the previous run kept for this server ({} when nothing)."""
    return (state.get('previous') or {}).get(server.url) or {}


def remember(state, server, key, value):
    """Keep ``value`` for the next run, in this server's entry (with its server_id)."""
    entry = state.setdefault('current', {}).setdefault(server.url, {})
    if server.id:
        entry['server_id'] = server.id
    entry[key] = value


def growth(state, server, key, current):
    """(value, note): growth of a counter since the previous run kept in ``state``; None without a
    state file. After a restart (another server_id, or the counter went down) the counters count from
    the server's start, so the growth is the counter itself."""
    if state is None or current is None:
        return None, None
    before = previous_entry(state, server)
    remember(state, server, key, current)
    previous = before.get(key)
    if previous is None:
        return 0, 'first run, baseline recorded'
    if before.get('server_id') not in (None, server.id) or current < previous:
        return current, 'the server restarted since the previous run'
    return current - previous, None


def save_state(path, servers, previous=None):
    """Write the counters (merged over those of servers not read this time), atomically, 0600."""
    merged = dict(previous or {})
    for key, counters in servers.items():
        merged[key] = dict(merged.get(key) or {}, **counters)
    folder = os.path.dirname(os.path.abspath(path))
    fd, temp = tempfile.mkstemp(prefix='.nats_check.', dir=folder)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, 'w') as handle:
            json.dump(dict(version=STATE_VERSION, servers=merged), handle, indent=1, sort_keys=True)
            handle.flush()
            os.fsync(handle.fileno())
        os.rename(temp, path)
    except Exception:
        if os.path.exists(temp):
            os.unlink(temp)
        raise
