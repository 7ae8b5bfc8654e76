# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# Simplified BSD License (see LICENSES/BSD-2-Clause.txt or https://opensource.org/licenses/BSD-2-Clause)
# SPDX-License-Identifier: BSD-2-Clause

"""nats_check's state file: counters of the previous run (slow consumers, JetStream API
errors) and the config_digest, per server id, so a run can judge their growth. Written atomically (a temporary
file in the same folder, then rename), mode 0600."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import tempfile

STATE_VERSION = 1


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
            clean[key] = dict((k, v) for k, v in counters.items()
                              if (isinstance(v, int) and not isinstance(v, bool)) or (k == 'config_digest'
                                                                                      and isinstance(v, str)))
    return clean, None


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
