# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# Simplified BSD License (see LICENSES/BSD-2-Clause.txt or https://opensource.org/licenses/BSD-2-Clause)
# SPDX-License-Identifier: BSD-2-Clause

"""nats_check's jetstream verdict (pure): store use as % of the server's and each account's
limits, API errors since the previous run."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.nats_tools.nats.plugins.module_utils.checks_state import growth
from ansible_collections.nats_tools.nats.plugins.module_utils.checks_thresholds import (
    UNKNOWN,
    make_row,
    status_row,
)

# An account without a JetStream limit reports its reservation as -1 in an unsigned field.
UNLIMITED = 2 ** 63


def pct(used, limit):
    if not isinstance(used, int) or not isinstance(limit, int) or limit <= 0 or limit >= UNLIMITED:
        return None
    return round(100.0 * used / limit, 2)


def jetstream_rows(servers, warn, crit, state=None):
    rows = []
    for server in servers:
        jsz = server.jsz
        if jsz is None or not server.jetstream:
            why = server.jsz_error or 'JetStream is not enabled'
            rows.append(status_row('jetstream', 'enabled', server.label, UNKNOWN, '%s: %s' % (server.label, why),
                                   url=server.url))
            continue
        config = jsz.get('config') or {}
        for name, used, limit in (('memory_pct', jsz.get('memory'), config.get('max_memory')),
                                  ('storage_pct', jsz.get('storage'), config.get('max_storage'))):
            rows.append(make_row('jetstream', name, server.label, pct(used, limit), warn, crit, url=server.url,
                                 reason='the server reports no %s limit' % name[:-len('_pct')]))
        for account in jsz.get('account_details') or []:
            subject = '%s account %s' % (server.label, account.get('name'))
            for name, used, limit in (('memory_pct', account.get('memory'), account.get('reserved_memory')),
                                      ('storage_pct', account.get('storage'), account.get('reserved_storage'))):
                value = pct(used, limit)
                if value is not None:  # accounts without a limit have nothing to judge
                    rows.append(make_row('jetstream', name, subject, value, warn, crit, url=server.url))
        errors = (jsz.get('api') or {}).get('errors')
        grown, _note = growth(state, server, 'api_errors', errors)
        rows.append(make_row('jetstream', 'api_errors', server.label, grown, warn, crit, url=server.url,
                             reason='needs state_file (API errors since the previous run)'))
    return [row for row in rows if row is not None]
