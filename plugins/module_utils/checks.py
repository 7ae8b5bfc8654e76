# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# Simplified BSD License (see LICENSES/BSD-2-Clause.txt or https://opensource.org/licenses/BSD-2-Clause)
# SPDX-License-Identifier: BSD-2-Clause

"""nats_check: which endpoints each check reads, the checks run over the servers read
(pure), the overall status, and the report forms (Nagios perfdata, Prometheus text).

The verdicts themselves are one file per subject: checks_server (server, connections,
leafnodes, tls), checks_jetstream, checks_assets (meta, stream, consumer); thresholds and
their checks in checks_thresholds; the state file in checks_state."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.nats_tools.nats.plugins.module_utils.checks_assets import (
    consumer_rows,
    meta_rows,
    stream_rows,
)
from ansible_collections.nats_tools.nats.plugins.module_utils.checks_jetstream import jetstream_rows
from ansible_collections.nats_tools.nats.plugins.module_utils.checks_server import (
    connections_rows,
    leafnodes_rows,
    server_rows,
    tls_rows,
    unreachable_rows,
)
from ansible_collections.nats_tools.nats.plugins.module_utils.checks_thresholds import (
    BELOW,
    CHECKS,
    CRITICAL,
    NAGIOS_CODE,
    OK,
    SEVERITY,
    UNKNOWN,
    WARNING,
    fmt,
    measure,
    worst,
)

FAIL_ON = ('critical', 'warning', 'never')


def jsz_query(checks, account=None):
    """The /jsz query the checks need, or None when no check reads /jsz."""
    if not set(checks) & {'jetstream', 'meta', 'stream', 'consumer'}:
        return None
    query = dict(accounts=True)
    if set(checks) & {'stream', 'consumer'}:
        query.update(streams=True, consumers=True, config=True)
    if account:
        query['acc'] = account
    return query


def run_checks(checks, servers, warn=None, crit=None, stream=None, consumer=None, account=None, state=None,
               peer_not_after=None):
    """Every row of the checks over the servers read (NatsServer), and the overall status."""
    rows = unreachable_rows(servers)
    up = [s for s in servers if s.reachable]
    if up:
        for check in checks:
            if check == 'server':
                rows += server_rows(up, warn, crit, state)
            elif check == 'connections':
                rows += connections_rows(up, warn, crit, state)
            elif check == 'leafnodes':
                rows += leafnodes_rows(up, warn, crit)
            elif check == 'tls':
                rows += tls_rows(up, warn, crit, peer_not_after)
            elif check == 'jetstream':
                rows += jetstream_rows(up, warn, crit, state)
            elif check == 'meta':
                rows += meta_rows(up, warn, crit)
            elif check == 'stream':
                rows += stream_rows(up, stream, warn, crit, account)
            elif check == 'consumer':
                rows += consumer_rows(up, stream, consumer, warn, crit, account)
    rows = [row for row in rows if row is not None]
    return dict(status=worst(row['status'] for row in rows), checks=rows)


def breaches(rows, fail_on):
    """The rows that make the task fail under ``fail_on``."""
    if fail_on == 'never':
        return []
    floor = SEVERITY[WARNING] if fail_on == 'warning' else SEVERITY[CRITICAL]
    return [row for row in rows if row['status'] != UNKNOWN and SEVERITY[row['status']] >= floor]


def failure_message(rows, status):
    """Every breached threshold with its value (warnings and criticals alike)."""
    bad = [row for row in rows if row['status'] in (WARNING, CRITICAL)]
    found = ['%s: %s' % (row['status'].upper(), row['message']) for row in bad]
    return 'nats_check %s: %s' % (status.upper(), '; '.join(found))


def summary_line(status, rows):
    """One Nagios-style line: 'NATS CRITICAL: <problems> | <perfdata>'."""
    bad = [row['message'] for row in rows if row['status'] != OK]
    text = '; '.join(bad) if bad else '%d checks ok' % len(rows)
    return 'NATS %s: %s | %s' % (status.upper(), text, perfdata(rows))


_LABEL = re.compile(r'[^A-Za-z0-9_.:-]+')


def _label(row):
    return _LABEL.sub('_', '%s_%s_%s' % (row['check'], row['measure'], row['subject'])).strip('_')


def _nagios_threshold(row, value):
    if value is None:
        return ''
    item = measure(row['check'], row['measure']) if row['check'] in CHECKS else None
    return ('%s:' % fmt(value)) if item is not None and item.worse == BELOW else fmt(value)


def perfdata(rows):
    """Nagios performance data: 'label'=value[UOM];warn;crit for each row with a number."""
    items = []
    for row in rows:
        if not isinstance(row['value'], (int, float)) or isinstance(row['value'], bool):
            continue
        unit = row['unit'] if row['unit'] in ('s', '%', 'B') else ''
        items.append("'%s'=%s%s;%s;%s" % (_label(row).replace("'", '_'), fmt(row['value']), unit,
                                          _nagios_threshold(row, row['warn']), _nagios_threshold(row, row['crit'])))
    return ' '.join(items)


def _prom_escape(text):
    return str(text).replace('\\', '\\\\').replace('"', '\\"').replace('\n', '\\n')


def prometheus(rows, status):
    """Prometheus text exposition: nats_check_value, nats_check_status (Nagios codes), nats_check_overall_status."""
    lines = ['# HELP nats_check_value The value of a nats_check measure.', '# TYPE nats_check_value gauge']
    status_lines = ['# HELP nats_check_status Status of a nats_check measure: 0 ok, 1 warning, 2 critical, 3 unknown.',
                    '# TYPE nats_check_status gauge']
    for row in rows:
        labels = 'check="%s",measure="%s",subject="%s"' % (
            _prom_escape(row['check']), _prom_escape(row['measure']), _prom_escape(row['subject']))
        if isinstance(row['value'], (int, float)) and not isinstance(row['value'], bool):
            lines.append('nats_check_value{%s} %s' % (labels, fmt(row['value'])))
        status_lines.append('nats_check_status{%s} %d' % (labels, NAGIOS_CODE[row['status']]))
    overall = ['# HELP nats_check_overall_status Worst status of the run: 0 ok, 1 warning, 2 critical, 3 unknown.',
               '# TYPE nats_check_overall_status gauge', 'nats_check_overall_status %d' % NAGIOS_CODE[status]]
    return '\n'.join(lines + status_lines + overall) + '\n'
