# Copyright: contributors to the nats_tools.nats collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Small JetStream driver for the nats_check target and its fixture recorder (nats-py).

  jsctl.py URL stream NAME [--memory] [--max-bytes N] [--meta k=v ...]   create (or update) a stream on NAME.>
  jsctl.py URL consumer STREAM NAME [--meta k=v ...]                       durable pull consumer, explicit ack
  jsctl.py URL publish STREAM COUNT [--size B]                              COUNT messages of B bytes
  jsctl.py URL consume STREAM NAME COUNT                                    fetch and ack up to COUNT messages
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import argparse
import asyncio
import json
import sys

import nats
from nats.js.api import AckPolicy, ConsumerConfig, DiscardPolicy, StorageType, StreamConfig


def meta(pairs):
    return dict(p.split('=', 1) for p in pairs or []) or None


async def run(args):
    nc = await nats.connect(servers=[args.url], connect_timeout=5)
    try:
        js = nc.jetstream(timeout=10)
        if args.cmd == 'stream':
            config = StreamConfig(name=args.name, subjects=['%s.>' % args.name.lower()],
                                  storage=StorageType.MEMORY if args.memory else StorageType.FILE,
                                  max_bytes=args.max_bytes, discard=DiscardPolicy.OLD, metadata=meta(args.meta))
            await js.add_stream(config)
            result = dict(stream=args.name)
        elif args.cmd == 'consumer':
            await js.add_consumer(args.stream, ConsumerConfig(durable_name=args.name, ack_policy=AckPolicy.EXPLICIT,
                                                              metadata=meta(args.meta)))
            result = dict(consumer=args.name)
        elif args.cmd == 'publish':
            payload = b'x' * args.size
            for _index in range(args.count):
                await js.publish('%s.data' % args.stream.lower(), payload)
            result = dict(published=args.count)
        else:
            sub = await js.pull_subscribe_bind(args.name, args.stream)
            done = 0
            while done < args.count:
                try:
                    msgs = await sub.fetch(min(100, args.count - done), timeout=2)
                except (nats.errors.TimeoutError, asyncio.TimeoutError):
                    break
                for msg in msgs:
                    await msg.ack_sync()
                done += len(msgs)
            result = dict(consumed=done)
    finally:
        await nc.close()
    print(json.dumps(result))


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument('url')
    sub = parser.add_subparsers(dest='cmd', required=True)
    p = sub.add_parser('stream')
    p.add_argument('name')
    p.add_argument('--memory', action='store_true')
    p.add_argument('--max-bytes', type=int, default=-1)
    p.add_argument('--meta', action='append')
    p = sub.add_parser('consumer')
    p.add_argument('stream')
    p.add_argument('name')
    p.add_argument('--meta', action='append')
    p = sub.add_parser('publish')
    p.add_argument('stream')
    p.add_argument('count', type=int)
    p.add_argument('--size', type=int, default=100)
    p = sub.add_parser('consume')
    p.add_argument('stream')
    p.add_argument('name')
    p.add_argument('count', type=int)
    asyncio.run(run(parser.parse_args(argv)))


if __name__ == '__main__':
    sys.exit(main())
