# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# Simplified BSD License (see LICENSES/BSD-2-Clause.txt or https://opensource.org/licenses/BSD-2-Clause)
# SPDX-License-Identifier: BSD-2-Clause

"""nats_check thresholds: the measures of each check, which direction is worse, the
task's warn/crit dicts checked against them, io.nats.monitor.* metadata, and the
judgement of one value (pure; Nagios ranges: a higher-is-worse measure breaches when
the value is above its threshold, a lower-is-worse one when it is below)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

OK, WARNING, CRITICAL, UNKNOWN = 'ok', 'warning', 'critical', 'unknown'
# Overall status: the worst one; unknown ranks below a real warning or critical.
SEVERITY = {OK: 0, UNKNOWN: 1, WARNING: 2, CRITICAL: 3}
NAGIOS_CODE = {OK: 0, WARNING: 1, CRITICAL: 2, UNKNOWN: 3}

ABOVE, BELOW = 'above', 'below'


class Measure:
    """One number a check reports: ``worse`` is ABOVE (higher is worse) or BELOW."""

    def __init__(self, name, worse, unit='', help_text='', warn=None, crit=None):
        self.name = name
        self.worse = worse
        self.unit = unit
        self.help = help_text
        self.warn = warn
        self.crit = crit


def _m(name, worse, unit, help_text, warn=None, crit=None):
    return Measure(name, worse, unit, help_text, warn, crit)


def _raft_measures(members, member):
    """The measures of a Raft group's members (meta group, a stream's or a consumer's replicas)."""
    return [
        _m('peers', BELOW, '', '%s, the leader included' % members),
        _m('peers_offline', ABOVE, '', '%ss offline' % member, crit=0),
        _m('peer_lag', ABOVE, '', 'largest lag of a %s (Raft entries)' % member),
        _m('peer_seen_s', ABOVE, 's', 'longest time since a %s was last heard from' % member),
    ]


MEASURES = {
    'server': [
        _m('cpu_pct', ABOVE, '%', 'CPU use of the server process (%, of one core)'),
        _m('mem_bytes', ABOVE, 'B', 'resident memory of the server process'),
        _m('uptime_s', BELOW, 's', 'seconds since the server started'),
        _m('config_digests', ABOVE, '', 'distinct config_digest values among the servers given (2.11+)'),
        _m('config_changed', ABOVE, '', 'config_digest differs from the previous run: 1, else 0 (state_file, 2.11+)'),
    ],
    'connections': [
        _m('connections', ABOVE, '', 'client connections'),
        _m('connections_min', BELOW, '', 'client connections (lower is worse)'),
        _m('slow_consumers', ABOVE, '', 'slow consumers since the server started'),
        _m('slow_consumers_growth', ABOVE, '', 'slow consumers added since the previous run (state_file)'),
        _m('stale_connections', ABOVE, '', 'stale connections since the server started (2.11+)'),
        _m('stalled_clients', ABOVE, '', 'clients stalled on a full outbound buffer (2.11+)'),
    ],
    'jetstream': [
        _m('memory_pct', ABOVE, '%', 'JetStream memory store used, % of the limit (server and each account)', 75, 90),
        _m('storage_pct', ABOVE, '%', 'JetStream file store used, % of the limit (server and each account)', 75, 90),
        _m('api_errors', ABOVE, '', 'JetStream API errors since the previous run (state_file)'),
    ],
    'meta': [
        _m('leader', BELOW, '', 'a leader is elected: 1, else 0', crit=1),
    ] + _raft_measures('meta group peers', 'meta peer'),
    'stream': [
        _m('leader', BELOW, '', 'a leader is elected: 1, else 0', crit=1),
        _m('msgs', ABOVE, '', 'messages stored'),
        _m('msgs_min', BELOW, '', 'messages stored (lower is worse)'),
        _m('bytes_pct', ABOVE, '%', 'bytes stored, % of the stream max_bytes'),
        _m('msgs_pct', ABOVE, '%', 'messages stored, % of the stream max_msgs'),
        _m('age_max', ABOVE, 's', 'age of the newest message'),
        _m('subjects', ABOVE, '', 'subjects stored'),
    ] + _raft_measures('replicas', 'replica'),
    'consumer': [
        _m('leader', BELOW, '', 'a leader is elected: 1, else 0', crit=1),
        _m('num_pending', ABOVE, '', 'messages not yet delivered (backlog)'),
        _m('num_ack_pending', ABOVE, '', 'messages delivered, not yet acknowledged'),
        _m('num_redelivered', ABOVE, '', 'messages redelivered'),
        _m('num_waiting', ABOVE, '', 'pull requests waiting'),
        _m('last_delivery_s', ABOVE, 's', 'seconds since the last delivery'),
        _m('last_ack_s', ABOVE, 's', 'seconds since the last acknowledgement'),
    ] + _raft_measures('replicas', 'replica'),
    'leafnodes': [
        _m('leafnodes', ABOVE, '', 'leafnode connections'),
        _m('leafnodes_min', BELOW, '', 'leafnode connections (lower is worse)'),
    ],
    'tls': [
        _m('days_left', BELOW, 'd', 'days until the server certificate expires', 30, 7),
    ],
}
CHECKS = tuple(MEASURES)

# natscli's stream and consumer metadata (io.nats.monitor.<key>) -> (level, measure, parse).
METADATA = {
    'stream': {
        'msgs-warn': ('warn', 'msgs_min', 'int'),
        'msgs-critical': ('crit', 'msgs_min', 'int'),
        'peer-expect': ('crit', 'peers', 'int'),
        'peer-lag-critical': ('crit', 'peer_lag', 'int'),
        'peer-seen-critical': ('crit', 'peer_seen_s', 'duration'),
        'subjects-warn': ('warn', 'subjects', 'int'),
        'subjects-critical': ('crit', 'subjects', 'int'),
    },
    'consumer': {
        'outstanding-ack-critical': ('crit', 'num_ack_pending', 'int'),
        'waiting-critical': ('crit', 'num_waiting', 'int'),
        'unprocessed-critical': ('crit', 'num_pending', 'int'),
        'last-delivery-critical': ('crit', 'last_delivery_s', 'duration'),
        'last-ack-critical': ('crit', 'last_ack_s', 'duration'),
        'redelivery-critical': ('crit', 'num_redelivered', 'int'),
    },
}
METADATA_PREFIX = 'io.nats.monitor.'
DURATION_UNITS = {'ms': 0.001, 's': 1, 'm': 60, 'h': 3600, 'd': 86400, 'w': 604800, 'y': 31536000}


def measure(check, name):
    for item in MEASURES[check]:
        if item.name == name:
            return item
    return None


def measures_of(checks):
    """{measure name: [Measure of each check having it]} for the checks given."""
    found = {}
    for check in checks:
        for item in MEASURES[check]:
            found.setdefault(item.name, []).append(item)
    return found


def _number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def threshold_problems(checks, warn, crit):
    """Why the task's warn/crit dicts cannot be used with these checks ([] when they can)."""
    known = measures_of(checks)
    problems = []
    for label, given in (('warn', warn or {}), ('crit', crit or {})):
        unknown = sorted(k for k in given if k not in known)
        if unknown:
            problems.append('%s: unknown measure%s %s for check %s; valid: %s' % (
                label, 's' if len(unknown) > 1 else '', ', '.join(unknown), ', '.join(checks), ', '.join(sorted(known))))
        bad = sorted(k for k, v in given.items() if k in known and not _number(v))
        if bad:
            problems.append('%s: %s must be numbers' % (label, ', '.join(bad)))
    for name in sorted(set(warn or {}) & set(crit or {}) & set(known)):
        w, c = warn[name], crit[name]
        if not (_number(w) and _number(c)):
            continue
        problem = order_problem(known[name][0], w, c)
        if problem:
            problems.append(problem)
    return problems


def order_problem(item, warn, crit):
    """A warn threshold beyond crit in the wrong direction, as a sentence; None when in order."""
    if warn is None or crit is None:
        return None
    if item.worse == ABOVE and warn > crit:
        return ('%s: warn %s is above crit %s; higher is worse for %s, so warn must be at or below crit'
                % (item.name, _fmt(warn), _fmt(crit), item.name))
    if item.worse == BELOW and warn < crit:
        return ('%s: warn %s is below crit %s; lower is worse for %s, so warn must be at or above crit'
                % (item.name, _fmt(warn), _fmt(crit), item.name))
    return None


def parse_duration(text):
    """Seconds from '90', '90s', '5m', '1h30m', '1.5h', '2d' (natscli's units); None if unreadable."""
    text = (text or '').strip()
    if re.match(r'^\d+(\.\d+)?$', text):
        return float(text)
    parts = re.findall(r'(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)', text)
    if not parts or ''.join(n + u for n, u in parts) != text:
        return None
    return sum(float(n) * DURATION_UNITS[u] for n, u in parts)


def metadata_thresholds(kind, metadata):
    """({'warn': {...}, 'crit': {...}}, [problems]) from a stream's or consumer's metadata."""
    found = dict(warn={}, crit={})
    problems = []
    for key, value in sorted((metadata or {}).items()):
        if not isinstance(key, str) or not key.startswith(METADATA_PREFIX):
            continue
        spec = METADATA.get(kind, {}).get(key[len(METADATA_PREFIX):])
        if spec is None:
            continue
        level, name, parse = spec
        number = parse_duration(value) if parse == 'duration' else _int(value)
        if number is None:
            problems.append('metadata %s=%r is not a %s' % (key, value, 'duration' if parse == 'duration' else 'number'))
            continue
        if number <= 0:
            continue  # natscli: 0 or less turns the check off
        found[level][name] = number
    return found, problems


def _int(value):
    try:
        return int(str(value).strip())
    except ValueError:
        return None


def thresholds_for(check, name, task_warn, task_crit, metadata=None):
    """(warn, crit, source) for one measure: task > metadata > default, level by level. A level
    from a lower source that would sit beyond the other level in the wrong direction is dropped
    (crit 50 given alone with a default warn of 75 means: no warning level)."""
    item = measure(check, name)
    metadata = metadata or dict(warn={}, crit={})
    sources = [('task', task_warn or {}, task_crit or {}), ('metadata', metadata['warn'], metadata['crit']),
               ('default', {name: item.warn} if item.warn is not None else {},
                {name: item.crit} if item.crit is not None else {})]
    levels = {}
    for rank, (source, warns, crits) in enumerate(sources):
        for level, given in (('warn', warns), ('crit', crits)):
            if name in given and level not in levels:
                levels[level] = (given[name], rank, source)
    warn, crit = levels.get('warn'), levels.get('crit')
    if warn and crit and warn[1] != crit[1] and order_problem(item, warn[0], crit[0]):
        if warn[1] > crit[1]:
            warn = None
        else:
            crit = None
    chosen = [level for level in (warn, crit) if level]
    source = min(chosen, key=lambda level: level[1])[2] if chosen else None
    return (warn[0] if warn else None), (crit[0] if crit else None), source


def breached(item, value, threshold):
    if threshold is None or value is None:
        return False
    return value > threshold if item.worse == ABOVE else value < threshold


def judge(item, value, warn, crit):
    """ok, warning or critical for a value against its thresholds."""
    if breached(item, value, crit):
        return CRITICAL
    if breached(item, value, warn):
        return WARNING
    return OK


def worst(statuses):
    statuses = list(statuses)
    return max(statuses, key=lambda s: SEVERITY[s]) if statuses else OK


def _fmt(value):
    if isinstance(value, float):
        return ('%.3f' % value).rstrip('0').rstrip('.')
    return str(value)


fmt = _fmt


def make_row(check, name, subject, value, warn=None, crit=None, metadata=None, reason=None, url=None):
    """One line of RV(checks): the value judged against task > metadata > default thresholds.

    ``value`` None: the measure could not be read (``reason`` says why): unknown when a threshold
    asks for it, else no row at all (None)."""
    item = measure(check, name)
    w, c, source = thresholds_for(check, name, warn, crit, metadata)
    row = dict(check=check, measure=name, subject=subject, value=value, unit=item.unit, warn=w, crit=c,
               threshold_source=source, url=url)
    if value is None:
        if w is None and c is None:
            return None
        return dict(row, status=UNKNOWN, message='%s %s: unknown: %s' % (subject, name, reason or 'not reported'))
    problem = order_problem(item, w, c)
    if problem:
        return dict(row, status=UNKNOWN, message='%s %s: thresholds from %s conflict: %s' % (
            subject, name, 'metadata and the task', problem))
    status = judge(item, value, w, c)
    limits = ['%s %s %s' % (level, 'below' if item.worse == BELOW else 'above', _fmt(t))
              for level, t in (('warn', w), ('crit', c)) if t is not None]
    message = '%s %s is %s%s' % (subject, name, _fmt(value), (' ' + item.unit) if item.unit else '')
    if status != OK:
        message += ' (%s)' % ', '.join(limits)
    return dict(row, status=status, message=message)


def status_row(check, name, subject, status, message, value=None, url=None):
    """A row that is a finding rather than a measure (not found, unreachable, not enabled)."""
    return dict(check=check, measure=name, subject=subject, value=value, unit='', warn=None, crit=None,
                threshold_source=None, url=url, status=status, message=message)
