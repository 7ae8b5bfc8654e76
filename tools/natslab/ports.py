# Copyright: contributors to the nats_tools.nats collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Free TCP ports for a topology: from --port-base upwards, or picked by the kernel."""

from __future__ import absolute_import, division, print_function

import socket

from .common import HOST, LabError

__metaclass__ = type  # pylint: disable=invalid-name


class Ports:
    """Free TCP ports on 127.0.0.1: from --port-base upwards, or picked by the kernel."""

    def __init__(self, base=None):
        self.base = base
        self.next = base
        self.held = []

    def take(self):
        if self.base is not None:
            port = self.next
            self.next += 1
            return port
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind((HOST, 0))
        self.held.append(sock)  # keep bound until all are chosen so they are distinct
        return sock.getsockname()[1]

    def take_shared(self, hosts):
        """One port number free on every address of ``hosts`` (the supercluster topology)."""
        if self.base is not None:
            return self.take()
        for _attempt in range(100):
            first = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            first.bind((hosts[0], 0))
            port = first.getsockname()[1]
            held = [first]
            try:
                for host in list(hosts[1:]) + [HOST]:
                    if host == hosts[0]:
                        continue
                    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                    held.append(sock)
                    sock.bind((host, port))
            except OSError:
                for sock in held:
                    sock.close()
                continue
            self.held.extend(held)
            return port
        raise LabError('no port number free on all of %s' % ', '.join(hosts))

    def release(self):
        for sock in self.held:
            sock.close()
        self.held = []
