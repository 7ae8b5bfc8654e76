# Copyright: contributors to the nats_tools.nats collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Peers that are *not* a nats-server monitoring port, for the error cases of the
integration targets nats_healthz, nats_info and nats_jsz.

One process, three ports on 127.0.0.1, written as JSON to ``--ready-file`` once all
of them listen (the file is the readiness signal):

``fake_http_port``
    An HTTP server:
      ``/html/...``       200, an HTML page (a body that is not JSON)
      ``/status500/...``  500, plain text
      ``/echo/...``       200, JSON ``{"status": "ok", "server_name": "fake", "user_agent": ...}``
    Every request is appended to ``--log`` as ``<path>\\t<User-Agent>`` so a playbook
    can tell which transport a module used (``python-requests/...`` or ``ansible-httpget``).
``fake_silent_port``
    Accepts TCP connections and never answers (a server slower than any ``timeout``).
``fake_refused_port``
    A port that was bound and released again: nothing listens there (connection refused).

It stops by itself when ``--owner-pid`` (the runme.sh shell) is gone or exited (checked
twice a second, zombies count as gone), after ``--ttl`` seconds, or on SIGTERM/SIGINT,
so it never outlives a failed test run.  Python 3.8+, standard library only.
"""

from __future__ import absolute_import, division, print_function

import argparse
import json
import os
import signal
import socket
import sys
import threading
import time

from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

__metaclass__ = type  # pylint: disable=invalid-name

HOST = '127.0.0.1'
HTML = (b'<!DOCTYPE html>\n<html><head><title>Welcome</title></head>\n'
        b'<body><h1>This is a web page, not a NATS monitoring port</h1></body></html>\n')


def owner_alive(pid):
    """True while pid runs (a zombie counts as gone: PID 1 may never reap it)."""
    try:
        with open('/proc/%d/stat' % pid) as handle:
            stat = handle.read()
    except (IOError, OSError):
        try:
            os.kill(pid, 0)
        except OSError:
            return False
        return True
    # state is the first field after the parenthesised command name
    return stat.rsplit(')', 1)[-1].split()[0] not in ('Z', 'X')


class Handler(BaseHTTPRequestHandler):
    server_version = 'fake-monitor/1.0'
    protocol_version = 'HTTP/1.1'

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        pass  # the request log below is the one that matters

    def _send(self, status, body, content_type):
        self.send_response(status)
        self.send_header('Content-Type', content_type)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):  # pylint: disable=invalid-name
        agent = self.headers.get('User-Agent', '')
        with self.server.log_lock:
            with open(self.server.request_log, 'a') as handle:
                handle.write('%s\t%s\n' % (self.path, agent))
        path = self.path.split('?', 1)[0]
        if path.startswith('/html'):
            self._send(200, HTML, 'text/html; charset=utf-8')
        elif path.startswith('/status500'):
            self._send(500, b'internal error (fake_monitor answers 500 on purpose)\n', 'text/plain; charset=utf-8')
        elif path.startswith('/echo'):
            body = json.dumps({'status': 'ok', 'server_name': 'fake', 'server_id': 'FAKE', 'version': '0.0.0',
                               'path': self.path, 'user_agent': agent}).encode('utf-8')
            self._send(200, body, 'application/json')
        else:
            self._send(404, b'404 page not found\n', 'text/plain; charset=utf-8')


def silent_server(sock, stop):
    """Accept and hold connections without ever sending a byte."""
    held = []
    sock.settimeout(0.5)
    while not stop.is_set():
        try:
            conn, _addr = sock.accept()
            held.append(conn)
        except socket.timeout:
            continue
        except OSError:
            break
    for conn in held:
        conn.close()


def free_port():
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((HOST, 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    parser.add_argument('--ready-file', required=True)
    parser.add_argument('--log', required=True, help='request log: <path>\\t<User-Agent> per line')
    parser.add_argument('--owner-pid', type=int, required=True)
    parser.add_argument('--ttl', type=float, default=3600.0)
    args = parser.parse_args(argv)

    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_a: stop.set())

    httpd = ThreadingHTTPServer((HOST, 0), Handler)
    httpd.daemon_threads = True
    httpd.request_log = os.path.abspath(args.log)
    httpd.log_lock = threading.Lock()
    open(httpd.request_log, 'a').close()

    silent = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    silent.bind((HOST, 0))
    silent.listen(16)

    threads = [threading.Thread(target=httpd.serve_forever, kwargs={'poll_interval': 0.2}),
               threading.Thread(target=silent_server, args=(silent, stop))]
    for thread in threads:
        thread.daemon = True
        thread.start()

    ready = {
        'fake_http_port': httpd.server_address[1],
        'fake_silent_port': silent.getsockname()[1],
        'fake_refused_port': free_port(),
        'fake_request_log': httpd.request_log,
        'fake_pid': os.getpid(),
    }
    tmp = args.ready_file + '.tmp'
    with open(tmp, 'w') as handle:
        json.dump(ready, handle)
    os.replace(tmp, args.ready_file)
    print('fake_monitor pid %d ready: %s' % (os.getpid(), json.dumps(ready)), flush=True)

    started = time.time()
    reason = 'signal'
    while not stop.wait(0.5):
        if not owner_alive(args.owner_pid):
            reason = 'owner pid %d is gone' % args.owner_pid
            break
        if time.time() - started > args.ttl:
            reason = 'ttl of %ss passed' % args.ttl
            break
    stop.set()
    httpd.shutdown()
    httpd.server_close()
    silent.close()
    print('fake_monitor pid %d stopped: %s' % (os.getpid(), reason), flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
