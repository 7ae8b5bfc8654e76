# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# Simplified BSD License (see LICENSES/BSD-2-Clause.txt or https://opensource.org/licenses/BSD-2-Clause)
# SPDX-License-Identifier: BSD-2-Clause

"""nats_check verdicts read from /varz (pure): server, connections, leafnodes, tls."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime

from ansible_collections.nats_tools.nats.plugins.module_utils.checks_state import growth, previous_entry, remember
from ansible_collections.nats_tools.nats.plugins.module_utils.checks_thresholds import (
    CRITICAL,
    OK,
    make_row,
    status_row,
)
from ansible_collections.nats_tools.nats.plugins.module_utils.versions import version_at_least

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def parse_time(text):
    """Seconds since the epoch from an RFC 3339 time as nats-server writes it (nanoseconds, Z or
    an offset); None for an unreadable or zero time (Go's 0001-01-01)."""
    if not isinstance(text, str) or not text or text.startswith('0001-'):
        return None
    text = text.strip().replace('Z', '+00:00').replace('z', '+00:00')
    main, sep, rest = text.partition('.')
    if sep:
        digits = ''
        while rest and rest[0].isdigit():
            digits, rest = digits + rest[0], rest[1:]
        text = main + '.' + (digits + '000000')[:6] + rest
    try:
        moment = datetime.datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return (moment - EPOCH).total_seconds()


def age(now_text, then_text):
    now, then = parse_time(now_text), parse_time(then_text)
    if now is None or then is None:
        return None
    return round(max(0.0, now - then), 3)


def _not_reported(server, field, since):
    return '%s not reported by nats-server %s (%s)' % (field, server.version or '?', since)


def _no_digest(server):
    """Why a server reports no config_digest: too old a version, or (2.11+) no configuration file -
    the digest is taken over the file (nats-server conf/parse.go), so a server started with flags
    only has none (seen on 2.15.1: ``nats-server -js -m 8222``)."""
    if version_at_least(server.version, (2, 11)):
        return 'nats-server %s reports no config_digest: it runs without a configuration file' % server.version
    return _not_reported(server, 'config_digest', '2.11+')


def server_rows(servers, warn, crit, state=None):
    rows = []
    for server in servers:
        varz = server.varz
        uptime = age(varz.get('now'), varz.get('start'))
        rows += [
            make_row('server', 'cpu_pct', server.label, varz.get('cpu'), warn, crit, url=server.url,
                     reason=_not_reported(server, 'cpu', 'all versions')),
            make_row('server', 'mem_bytes', server.label, varz.get('mem'), warn, crit, url=server.url,
                     reason=_not_reported(server, 'mem', 'all versions')),
            make_row('server', 'uptime_s', server.label, uptime, warn, crit, url=server.url,
                     reason=_not_reported(server, 'start/now', 'all versions')),
            config_changed_row(server, warn, crit, state),
        ]
    if len(servers) > 1:
        rows.append(config_digest_row(servers, warn, crit))
    return rows


def config_digest_row(servers, warn, crit):
    """How many distinct config_digest values the servers report (1 when all agree)."""
    missing = [s for s in servers if not s.varz.get('config_digest')]
    subject = ', '.join(s.label for s in servers)
    if missing:
        return make_row('server', 'config_digests', subject, None, warn, crit, reason='; '.join(
            '%s: %s' % (s.label, _no_digest(s)) for s in missing))
    groups = {}
    for server in servers:
        groups.setdefault(server.varz['config_digest'], []).append(server.label)
    row = make_row('server', 'config_digests', subject, len(groups), warn, crit)
    if len(groups) > 1:
        row['message'] += ': ' + '; '.join('%s %s' % (', '.join(names), digest[:20])
                                           for digest, names in sorted(groups.items(), key=lambda kv: kv[1]))
    return row


def config_changed_row(server, warn, crit, state):
    """1 when the server's config_digest differs from the one of the previous run (state file)."""
    digest = server.varz.get('config_digest')
    if state is None or not digest:
        reason = 'needs state_file' if state is None else _no_digest(server)
        return make_row('server', 'config_changed', server.label, None, warn, crit, url=server.url, reason=reason)
    previous = previous_entry(state, server).get('config_digest')
    remember(state, server, 'config_digest', digest)
    changed = 1 if previous is not None and previous != digest else 0
    row = make_row('server', 'config_changed', server.label, changed, warn, crit, url=server.url)
    if changed:
        row['message'] += ': config_digest %s, was %s' % (digest[:20], previous[:20])
    return row


def connections_rows(servers, warn, crit, state=None):
    rows = []
    for server in servers:
        varz = server.varz
        slow = varz.get('slow_consumers')
        grown, _note = growth(state, server, 'slow_consumers', slow)
        rows += [
            make_row('connections', 'connections', server.label, varz.get('connections'), warn, crit, url=server.url),
            make_row('connections', 'connections_min', server.label, varz.get('connections'), warn, crit,
                     url=server.url),
            make_row('connections', 'slow_consumers', server.label, slow, warn, crit, url=server.url),
            make_row('connections', 'slow_consumers_growth', server.label, grown, warn, crit, url=server.url,
                     reason='needs state_file (growth since the previous run)'),
            make_row('connections', 'stale_connections', server.label, varz.get('stale_connections'), warn, crit,
                     url=server.url, reason=_not_reported(server, 'stale_connections', '2.11+')),
            make_row('connections', 'stalled_clients', server.label, varz.get('stalled_clients'), warn, crit,
                     url=server.url, reason=_not_reported(server, 'stalled_clients', '2.11+')),
        ]
    return rows


def leafnodes_rows(servers, warn, crit):
    rows = []
    for server in servers:
        count = server.varz.get('leafnodes')
        rows += [make_row('leafnodes', 'leafnodes', server.label, count, warn, crit, url=server.url),
                 make_row('leafnodes', 'leafnodes_min', server.label, count, warn, crit, url=server.url)]
    return rows


def tls_rows(servers, warn, crit, peer_not_after=None):
    """Days until the certificate expires: /varz tls_cert_not_after (2.14+), else the certificate the
    monitoring port showed (``peer_not_after``: {url: epoch seconds or None})."""
    rows = []
    peer_not_after = peer_not_after or {}
    for server in servers:
        now = parse_time(server.varz.get('now'))
        not_after, source = parse_time(server.varz.get('tls_cert_not_after')), 'tls_cert_not_after'
        if not_after is None and peer_not_after.get(server.url) is not None:
            not_after, source = peer_not_after[server.url], 'the monitoring port certificate'
        if not_after is None or now is None:
            reason = '%s, and %s' % (_not_reported(server, 'tls_cert_not_after', '2.14+'),
                                     'the monitoring URL is not https' if not server.url.startswith('https:')
                                     else 'the monitoring port certificate could not be read (validate_certs off?)')
            rows.append(make_row('tls', 'days_left', server.label, None, warn, crit, url=server.url, reason=reason))
            continue
        row = make_row('tls', 'days_left', server.label, round((not_after - now) / 86400.0, 2), warn, crit,
                       url=server.url)
        row['message'] += ' (from %s)' % source
        rows.append(row)
    return rows


def unreachable_rows(servers):
    return [status_row('reachable', 'reachable', server.label, CRITICAL, '%s: %s' % (server.url, server.error),
                       value=0, url=server.url) for server in servers if not server.reachable] + \
        [status_row('reachable', 'reachable', server.label, OK, '%s reachable (%s)' % (server.label, server.version),
                    value=1, url=server.url) for server in servers if server.reachable]
