# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# Simplified BSD License (see LICENSES/BSD-2-Clause.txt or https://opensource.org/licenses/BSD-2-Clause)
# SPDX-License-Identifier: BSD-2-Clause

"""JetStream API levels: which level a server version serves, and which streams and consumers need
a higher one (what a downgrade would take offline).

Since 2.11 every stream and consumer records in its metadata the API level its configuration needs
(`_nats.req.level`, e.g. 2 for a 2.12 counter or atomic-batch stream); a server serving a lower level
does not load it (2.11.9+ and 2.12 keep it offline instead of failing). /jsz shows that metadata with
`config=true`, and the level the server serves as `api.level`."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.nats_tools.nats.plugins.module_utils.versions import parse_version

# First release serving each level (nats-server server/jetstream_versioning.go, JSApiLevel). Measured
# as /jsz `api.level` on real servers: 2.10.26 none (0), 2.11.11 1, 2.12.8 3, 2.15.1 5.
FIRST_RELEASE_OF_LEVEL = (
    ((2, 11, 0), 1),
    ((2, 12, 0), 2),
    ((2, 12, 5), 3),
    ((2, 14, 0), 4),
    ((2, 15, 0), 5),
)
REQUIRED_LEVEL_KEY = '_nats.req.level'


def api_level(version):
    """JetStream API level served by a nats-server version (0 before 2.11); None if unreadable."""
    parsed = parse_version(version) if not isinstance(version, tuple) else version
    if parsed is None:
        return None
    level = 0
    for first, lvl in FIRST_RELEASE_OF_LEVEL:
        if parsed >= first:
            level = lvl
    return level


def required_level(config):
    """The level an asset's configuration needs (0 when its metadata does not say, as before 2.11)."""
    metadata = (config or {}).get('metadata') if isinstance(config, dict) else None
    value = metadata.get(REQUIRED_LEVEL_KEY) if isinstance(metadata, dict) else None
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def assets_needing_level(jsz_answers):
    """(kind, account, stream, consumer, level) for every stream and consumer of these /jsz answers
    (streams, consumers and config requested) that needs level 1 or more, each asset once: a replicated
    stream is listed by every server holding a replica."""
    seen = {}
    for jsz in jsz_answers:
        for account in (jsz or {}).get('account_details') or []:
            account_name = account.get('name') or account.get('id') or '?'
            for stream in account.get('stream_detail') or []:
                stream_name = stream.get('name') or '?'
                level = required_level(stream.get('config'))
                if level:
                    seen[('stream', account_name, stream_name, None)] = level
                for consumer in stream.get('consumer_detail') or []:
                    level = required_level(consumer.get('config'))
                    if level:
                        seen[('consumer', account_name, stream_name, consumer.get('name') or '?')] = level
    return [key + (level,) for key, level in sorted(seen.items())]


def downgrade_blockers(jsz_answers, target_version):
    """Messages naming each stream and consumer that needs a higher API level than the target serves."""
    target_level = api_level(target_version)
    if target_level is None:
        return ['target version %r is not a nats-server version' % (target_version,)]
    blockers = []
    for kind, account, stream, consumer, level in assets_needing_level(jsz_answers):
        if level <= target_level:
            continue
        what = 'stream %s' % stream if kind == 'stream' else 'consumer %s of stream %s' % (consumer, stream)
        blockers.append('%s (account %s) needs JetStream API level %d, %s serves %d'
                        % (what, account, level, target_version, target_level))
    return blockers
