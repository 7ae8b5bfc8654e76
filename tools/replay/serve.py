# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Serving the simulation: one threaded HTTP/1.1 listener (keep-alive) per simulated server, each
on the server's own loopback address, all on the same port, in one process.

Linux routes all of 127.0.0.0/8 to the loopback interface, so 127.x.y.z binds without any set-up."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import socket
import socketserver
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from .answers import Answers
from .recorded import Recorded

# What nats_gate reads of every server in one round (plugins/module_utils/gate.py, ClusterReader),
# rendered before the first request so that a measured round does not pay for the rendering.
GATE_QUERIES = (
    ('/varz', ''), ('/routez', ''), ('/gatewayz', ''), ('/leafz', ''),
    ('/healthz', 'details=true&js-meta-only=true'),
    ('/jsz', 'accounts=true&consumers=true&limit=10000&streams=true'),
)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    server_version = 'nats-replay'
    sys_version = ''

    def do_GET(self):  # noqa: N802 (http.server's name)
        parts = urlsplit(self.path)
        status, content_type, body = self.server.answers.answer(self.server.sim_name, parts.path, parts.query)
        self.send_response(status)
        self.send_header('Content-Type', content_type)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.server.requests += 1

    def log_message(self, *_args):  # quiet: one line per request would cost more than the answer
        pass


class _Listener(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256
    allow_reuse_address = True

    def __init__(self, address, answers, sim_name):
        self.answers = answers
        self.sim_name = sim_name
        self.requests = 0
        ThreadingHTTPServer.__init__(self, address, _Handler)

    def server_bind(self):
        # HTTPServer.server_bind() looks the address up in DNS (socket.getfqdn): ~50 ms per address.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]


class ReplayServer:
    """Every server of ``sim`` listening at http://<its address>:<port>/ until stop()."""

    def __init__(self, sim, recorded=None, port=0, attempts=20):
        self.sim = sim
        self.answers = Answers(sim, recorded or Recorded())
        self.listeners = []
        self.threads = []
        self.port = self._bind_all(port, attempts)
        self.answers.port = self.port

    def _bind_all(self, port, attempts):
        """Bind every address on one port: the first address's free port, tried on all the others."""
        for _attempt in range(attempts):
            chosen = port or _free_port(self.sim.servers[0].address)
            try:
                for server in self.sim.servers:
                    self.listeners.append(_Listener((server.address, chosen), self.answers, server.name))
                return chosen
            except OSError:
                self.close()
                if port:
                    raise
        raise OSError('no port free on all %d addresses after %d attempts' % (len(self.sim.servers), attempts))

    def url(self, server):
        return 'http://%s:%d' % (server.address, self.port)

    def urls(self):
        return dict((s.name, self.url(s)) for s in self.sim.servers)

    def warm(self, queries=GATE_QUERIES):
        """Render the answers to ``queries`` of every server now; returns the seconds it took."""
        started = time.monotonic()
        for server in self.sim.servers:
            for path, query in queries:
                self.answers.answer(server.name, path, query)
        return time.monotonic() - started

    def start(self):
        for listener in self.listeners:
            thread = threading.Thread(target=listener.serve_forever, kwargs=dict(poll_interval=0.5),
                                      name='replay-%s' % listener.sim_name, daemon=True)
            thread.start()
            self.threads.append(thread)
        return self

    def requests(self):
        return sum(listener.requests for listener in self.listeners)

    def stop(self):
        if self.threads:  # shutdown() waits for serve_forever(), which only runs once started
            # Each shutdown() waits up to one poll interval: all at once, not one after another.
            stoppers = [threading.Thread(target=listener.shutdown) for listener in self.listeners]
            for stopper in stoppers:
                stopper.start()
            for stopper in stoppers + self.threads:
                stopper.join(timeout=10)
            self.threads = []
        self.close()

    def close(self):
        for listener in self.listeners:
            listener.server_close()
        self.listeners = []


def _free_port(address):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind((address, 0))
        return sock.getsockname()[1]
    finally:
        sock.close()
