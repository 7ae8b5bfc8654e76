# Copyright: contributors to the nats_tools.nats collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The JetStream set-up of the cluster topology: R3 stream ORDERS, consumer PROC, seed messages
(nats-py)."""

from __future__ import absolute_import, division, print_function

import json
import time

from .common import LabError, import_nats
from .state import jetstream_client_urls
from .tls import client_tls_context

__metaclass__ = type  # pylint: disable=invalid-name


CLUSTER_STREAM = 'ORDERS'
CLUSTER_SUBJECTS = ['orders.>']
CLUSTER_CONSUMER = 'PROC'


def create_stream(state, timeout, messages):
    """R3 file stream ORDERS (orders.>), durable pull consumer PROC, ``messages`` published."""
    nats = import_nats()
    import asyncio  # pylint: disable=import-outside-toplevel
    from nats.js.api import AckPolicy, ConsumerConfig, StorageType, StreamConfig  # pylint: disable=import-outside-toplevel
    urls = [state['servers'][n]['client_url'] for n in state['order']]
    replicas = min(3, len(urls))

    async def retry(what, func):
        deadline = time.time() + timeout
        while True:
            try:
                return await func()
            except Exception as exc:  # pylint: disable=broad-except
                if time.time() >= deadline:
                    raise LabError('%s failed for %ss: %r' % (what, timeout, exc))
                await asyncio.sleep(0.25)

    async def main():
        async def quiet(*_args):
            return None
        nc = await nats.connect(servers=urls, connect_timeout=5, max_reconnect_attempts=10, reconnect_time_wait=0.5,
                                error_cb=quiet, tls=client_tls_context(state), name='natslab')
        try:
            js = nc.jetstream(timeout=5)
            await retry('creating stream %s' % CLUSTER_STREAM, lambda: js.add_stream(StreamConfig(
                name=CLUSTER_STREAM, subjects=list(CLUSTER_SUBJECTS), num_replicas=replicas,
                storage=StorageType.FILE)))
            await retry('creating consumer %s' % CLUSTER_CONSUMER, lambda: js.add_consumer(
                CLUSTER_STREAM, ConsumerConfig(durable_name=CLUSTER_CONSUMER, ack_policy=AckPolicy.EXPLICIT)))
            for i in range(messages):
                payload = json.dumps({'order': i}).encode()
                await retry('publishing', lambda p=payload: js.publish('orders.created', p))
        finally:
            await nc.close()

    asyncio.run(main())
    state['stream'] = {'name': CLUSTER_STREAM, 'subjects': list(CLUSTER_SUBJECTS), 'replicas': replicas,
                       'messages': messages, 'consumer': CLUSTER_CONSUMER}


def create_placed_streams(state, timeout, messages, specs):
    """One R<replicas> file stream per spec (name, cluster, subjects, consumer, replicas), placed in
    its cluster (placement by cluster name), a durable pull consumer each, ``messages`` published to
    each (the supercluster_js topology). Recorded in state['streams']."""
    nats = import_nats()
    import asyncio  # pylint: disable=import-outside-toplevel
    from nats.js.api import (AckPolicy, ConsumerConfig, Placement,  # pylint: disable=import-outside-toplevel
                             StorageType, StreamConfig)
    urls = jetstream_client_urls(state)

    async def retry(what, func):
        deadline = time.time() + timeout
        while True:
            try:
                return await func()
            except Exception as exc:  # pylint: disable=broad-except
                if time.time() >= deadline:
                    raise LabError('%s failed for %ss: %r' % (what, timeout, exc))
                await asyncio.sleep(0.25)

    async def main():
        async def quiet(*_args):
            return None
        nc = await nats.connect(servers=urls, connect_timeout=5, max_reconnect_attempts=10, reconnect_time_wait=0.5,
                                error_cb=quiet, name='natslab')
        try:
            js = nc.jetstream(timeout=5)
            for spec in specs:
                await retry('creating stream %s' % spec['name'], lambda s=spec: js.add_stream(StreamConfig(
                    name=s['name'], subjects=list(s['subjects']), num_replicas=s['replicas'],
                    storage=StorageType.FILE, placement=Placement(cluster=s['cluster']))))
                await retry('creating consumer %s' % spec['consumer'], lambda s=spec: js.add_consumer(
                    s['name'], ConsumerConfig(durable_name=s['consumer'], ack_policy=AckPolicy.EXPLICIT)))
                subject = spec['subjects'][0].replace('>', 'created')
                for i in range(messages):
                    payload = json.dumps({'order': i}).encode()
                    await retry('publishing', lambda p=payload, subj=subject: js.publish(subj, p))
        finally:
            await nc.close()

    asyncio.run(main())
    state['streams'] = [dict(spec, messages=messages) for spec in specs]
