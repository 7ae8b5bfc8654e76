# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""python tools/replay [options]: serve a simulated deployment until SIGTERM, SIGINT or --ttl.

Prints one line of JSON on stdout once every address listens and the gate's answers are
rendered: port, urls (server name -> monitoring URL), meta_leader, lagging replicas, totals."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import argparse
import json
import os
import signal
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from replay.model import DEFAULT_LAG, Simulation  # noqa: E402 pylint: disable=wrong-import-position
from replay.recorded import DEFAULT_VERSION, Recorded  # noqa: E402 pylint: disable=wrong-import-position
from replay.serve import ReplayServer  # noqa: E402 pylint: disable=wrong-import-position


def main(argv=None):
    parser = argparse.ArgumentParser(prog='replay', description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--clusters', type=int, default=4)
    parser.add_argument('--per-cluster', type=int, default=25, help='servers per cluster')
    parser.add_argument('--streams', type=int, default=10000)
    parser.add_argument('--replicas', type=int, default=3)
    parser.add_argument('--consumers', type=int, default=30000, help='consumers over all streams')
    parser.add_argument('--accounts', type=int, default=1)
    parser.add_argument('--connections', type=int, default=0, help='client connections on every server')
    parser.add_argument('--no-lagging', action='store_true', help='every replica current')
    parser.add_argument('--lag', type=int, default=DEFAULT_LAG)
    parser.add_argument('--octet', type=int, default=77, help='addresses 127.OCTET.<cluster>.<server>')
    parser.add_argument('--port', type=int, default=0, help='monitoring port of every server (default: a free one)')
    parser.add_argument('--version', default=DEFAULT_VERSION, help='recordings of this nats-server version')
    parser.add_argument('--no-warm', action='store_true', help='render answers on first request only')
    parser.add_argument('--ttl', type=float, default=3600, help='exit after this many seconds (default 3600)')
    args = parser.parse_args(argv)

    sim = Simulation(clusters=args.clusters, per_cluster=args.per_cluster, streams=args.streams,
                     replicas=args.replicas, consumers=args.consumers, accounts=args.accounts,
                     connections=args.connections, lagging=not args.no_lagging, lag=args.lag, octet=args.octet)
    replay = ReplayServer(sim, Recorded(args.version), port=args.port)
    done = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda _s, _f: done.set())
    try:
        warm_s = 0.0 if args.no_warm else replay.warm()
        replay.start()
        print(json.dumps(dict(port=replay.port, urls=replay.urls(), meta_leader=sim.meta_leader,
                              lagging=[dict(stream=s.name, account=s.account, replica=r, lag=lag, leader=s.leader)
                                       for s, r, lag in sim.lagging_replicas()],
                              totals=sim.totals(), warm_s=round(warm_s, 2), pid=os.getpid())), flush=True)
        done.wait(args.ttl)
    finally:
        replay.stop()
    return 0


if __name__ == '__main__':
    sys.exit(main())
