# Copyright: contributors to the nats_tools.nats collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Client load with nats-py: the connection holder behind load-connections, and a publisher with
acks plus a consumer (Publisher) and a read-back of the stream (stored_ids) for the demo and bench."""

from __future__ import absolute_import, division, print_function

import asyncio
import os
import signal
import sys
import threading
import time

from .common import abspath, import_nats, write_json
from .procs import raise_nofile
from .state import STATE_FILE, get_state
from .tls import client_tls_context

__metaclass__ = type  # pylint: disable=invalid-name


def cmd_load_helper(args):
    """Runs in the background: hold ``count`` NATS connections open until killed."""
    limits = raise_nofile()
    nats = import_nats()

    state = get_state(abspath(args.workdir)) if os.path.exists(os.path.join(args.workdir, STATE_FILE)) else {}
    ctx = client_tls_context(state) if (state.get('tls') or args.url.startswith('tls:')) else None
    print('load helper pid %d: %d connections to %s, %d subs each, RLIMIT_NOFILE=%s' % (
        os.getpid(), args.count, args.url, args.subs_per_conn, limits), flush=True)
    counters = {'disconnected': 0, 'reconnected': 0, 'errors': 0}

    async def main():
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)

        async def on_error(exc):
            counters['errors'] += 1
            if counters['errors'] <= 5:
                print('client error: %r' % (exc,), flush=True)

        async def on_disconnect():
            counters['disconnected'] += 1

        async def on_reconnect():
            counters['reconnected'] += 1

        sem = asyncio.Semaphore(max(1, args.batch))
        conns = []

        async def one(i):
            async with sem:
                nc = await nats.connect(
                    servers=[args.url], name='%s-%d' % (args.name_prefix, i), connect_timeout=10, tls=ctx,
                    allow_reconnect=not args.no_reconnect, max_reconnect_attempts=-1, reconnect_time_wait=1,
                    error_cb=on_error, disconnected_cb=on_disconnect, reconnected_cb=on_reconnect)
                for k in range(args.subs_per_conn):
                    await nc.subscribe('load.%s.%d.%d' % (args.name_prefix, i, k))
                if args.subs_per_conn:
                    await nc.flush(timeout=10)
                conns.append(nc)

        t0 = time.time()
        try:
            await asyncio.gather(*(one(i) for i in range(args.count)))
        except Exception as exc:  # pylint: disable=broad-except
            write_json(args.failed_file, {'error': repr(exc), 'connected': len(conns)})
            print('failed after %d connections: %r' % (len(conns), exc), flush=True)
            return 1
        write_json(args.ready_file, {'pid': os.getpid(), 'connected': len(conns),
                                     'subscriptions': len(conns) * args.subs_per_conn,
                                     'seconds': round(time.time() - t0, 2)})
        print('ready: %d connections in %.2fs' % (len(conns), time.time() - t0), flush=True)
        await stop.wait()
        print('signalled; exiting (%s)' % counters, flush=True)
        return 0

    rc = asyncio.run(main())
    sys.stdout.flush()
    os._exit(rc or 0)  # do not wait for 1000s of graceful closes


# ---------------------------------------------------------------------------
# A publisher with acks at a steady rate and a consumer that acks (the demo's and bench's load)
# ---------------------------------------------------------------------------

class Publisher:
    """Publishes to ``subject`` with JetStream acks at ``rate`` msg/s (a Nats-Msg-Id per message)
    and pulls + acks from the durable ``consumer``, in its own thread and asyncio loop, until
    stop(). Connection errors while servers restart are counted, not printed."""

    def __init__(self, client_urls, rate, subject='orders.demo', stream='ORDERS', consumer='PROC'):
        self.client_urls = client_urls
        self.rate = rate
        self.subject = subject
        self.stream = stream
        self.consumer = consumer
        self.sent = 0
        self.acked = {}          # message id -> stream sequence
        self.errors = []         # (time, exception type name)
        self.consumed = 0
        self.connection_errors = 0
        self.stopping = False
        self.thread = None
        self.failure = None

    def start(self):
        self.thread = threading.Thread(target=self._run, name='load', daemon=True)
        self.thread.start()

    def stop(self):
        self.stopping = True
        self.thread.join(timeout=60)

    def _run(self):
        try:
            asyncio.run(self._main())
        except Exception as exc:  # pylint: disable=broad-except  # reported by the caller, never silently
            self.failure = repr(exc)

    async def _connect(self, name):
        nats = import_nats()

        async def note_error(_exc):
            self.connection_errors += 1

        return await nats.connect(servers=self.client_urls, name=name, max_reconnect_attempts=-1,
                                  reconnect_time_wait=0.2, connect_timeout=2, allow_reconnect=True,
                                  error_cb=note_error)

    async def _main(self):
        pub = await self._connect('natslab-publisher')
        sub = await self._connect('natslab-consumer')
        try:
            await asyncio.gather(self._publish(pub.jetstream(timeout=2)), self._consume(sub.jetstream(timeout=2)))
        finally:
            for nc in (pub, sub):
                try:
                    await nc.close()
                except Exception:  # pylint: disable=broad-except
                    pass

    async def _publish(self, js):
        interval = 1.0 / self.rate
        next_at = time.monotonic()
        while not self.stopping:
            msg_id = 'm%d' % self.sent
            self.sent += 1
            try:
                ack = await js.publish(self.subject, msg_id.encode(), headers={'Nats-Msg-Id': msg_id})
                self.acked[msg_id] = ack.seq
            except Exception as exc:  # pylint: disable=broad-except
                self.errors.append((time.time(), type(exc).__name__))
            next_at += interval
            delay = next_at - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            else:
                next_at = time.monotonic()  # fell behind during an outage: do not burst

    async def _consume(self, js):
        psub = None
        while not self.stopping:
            try:
                if psub is None:
                    psub = await js.pull_subscribe(self.subject, durable=self.consumer, stream=self.stream)
                for msg in await psub.fetch(50, timeout=1):
                    await msg.ack()
                    self.consumed += 1
            except Exception:  # pylint: disable=broad-except
                await asyncio.sleep(0.2)

    def error_window(self):
        """Seconds from the first to the last failed publish (0.0 when none failed)."""
        if not self.errors:
            return 0.0
        return round(self.errors[-1][0] - self.errors[0][0], 2)


class ReadBackFailed(Exception):
    """The read-back found no stream to read within its deadline; the message lists every attempt."""


async def stored_ids(client_urls, subject='orders.demo', stream='ORDERS', deadline_s=60, attempts=None):
    """(every message id stored on ``subject``, the stream's total message count), read back through
    a fresh ordered consumer. The total includes messages on other subjects (the seed messages of
    the cluster topology on orders.created).

    ``client_urls`` must name servers that run JetStream: a leafnode server without it answers every
    $JS.API request with "no responders" (ServiceUnavailableError; the cause of a CI failure: the
    connection had landed on the supercluster's leaf). Right after a rollout a server may still be
    taking its place in the groups and answer 503 for a moment. Each attempt opens its own connection
    (nats-py picks a server at random, so a retry may ask another server) and the attempts go on for
    ``deadline_s``; when they run out, ReadBackFailed says what each attempt saw and which server it
    asked. A list given as ``attempts`` receives a line per failed attempt (for the caller's report)."""
    started = time.monotonic()
    attempts = [] if attempts is None else attempts
    while True:
        try:
            return await _read_stream_ids(client_urls, subject, stream, attempts, started)
        except _AttemptFailed:
            if time.monotonic() - started > deadline_s:
                raise ReadBackFailed('read-back of stream %s failed %d times in %.0f s: %s' % (
                    stream, len(attempts), time.monotonic() - started, '; '.join(attempts[-6:])))
            await asyncio.sleep(0.5)


class _AttemptFailed(Exception):
    pass


async def _read_stream_ids(client_urls, subject, stream, attempts, started):
    nats = import_nats()

    async def quiet(_exc):
        return None  # nats-py would print "nats: encountered error" for each reconnect attempt

    nc = await nats.connect(servers=client_urls, name='natslab-verify', max_reconnect_attempts=5, error_cb=quiet)
    try:
        js = nc.jetstream(timeout=5)
        try:
            info = await js.stream_info(stream)
            sub = await js.subscribe(subject, ordered_consumer=True, stream=stream)
        except Exception as exc:  # pylint: disable=broad-except  # nats-py raises several types for this
            server = nc.connected_url.netloc if nc.connected_url else '?'
            # str(), not repr(): nats-py's API errors keep code, err_code and description out of their args
            attempts.append('+%.1fs %s via %s: %s: %s' % (time.monotonic() - started, stream, server,
                                                          type(exc).__name__, exc))
            raise _AttemptFailed() from exc
        ids = set()
        last = info.state.last_seq
        seen_seq = 0
        while seen_seq < last:
            try:
                msg = await sub.next_msg(timeout=5)
            except Exception:  # pylint: disable=broad-except  # no more messages on this subject
                break
            seen_seq = msg.metadata.sequence.stream
            ids.add(msg.data.decode())
        try:
            await sub.unsubscribe()
        except Exception:  # pylint: disable=broad-except  # the ordered consumer is ephemeral: it goes anyway
            pass
        return ids, info.state.messages
    finally:
        try:
            await nc.close()
        except Exception:  # pylint: disable=broad-except
            pass
