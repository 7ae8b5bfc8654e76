# Copyright: contributors to the nats_tools.nats collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Writes the scenario of untrusted_inventory (hostile_server.py serve --scenario): a seed that needs
credentials and whose /varz strings are Jinja that would create marker files, and peers found through its
/routez on other loopback addresses. Usage: make_scenario.py MARKER_DIR USER PASSWORD HEADER_VALUE > scenario.json"""

from __future__ import absolute_import, division, print_function

import json
import sys

__metaclass__ = type  # pylint: disable=invalid-name


def main():
    marker_dir, user, password, header_value = sys.argv[1:5]

    def jinja(marker):
        return "{{ lookup('pipe', 'touch %s/%s') }}" % (marker_dir, marker)

    peers = [
        # (scenario name, address, server_id, server_name, needs credentials)
        ('traversal', '127.0.4.2', 'NPEERTRAVERSAL', '../../../../x', False),
        ('long', '127.0.4.3', 'NPEERLONG', 'a' * 2000, False),
        ('locked', '127.0.4.4', 'NPEERLOCKED', 'locked-peer', True),
        ('trusted', '127.0.4.5', 'NPEERTRUSTED', 'trusted-peer', True),
        ('extra', '127.0.4.6', 'NPEEREXTRA', 'extra-peer', False),
    ]
    cluster = jinja('MARKER_cluster')
    routes = [dict(remote_id=p[2], remote_name=p[3], ip=p[1]) for p in peers]
    servers = {
        'seed': dict(address='127.0.4.1', nats=dict(
            server_id='NSEED', server_name=jinja('MARKER_name'), version=jinja('MARKER_version'),
            cluster=cluster, routes=routes, jetstream=True),
            # answers only with the seed's credentials and header
            paths={'*': dict(kind='auth', status=401, accept=dict(user=user, password=password),
                             accept_header={'X-Api-Key': header_value})}),
    }
    for name, address, server_id, server_name, locked in peers:
        seed_route = dict(remote_id='NSEED', remote_name=jinja('MARKER_name'), ip='127.0.4.1')
        settings = dict(server_id=server_id, server_name=server_name, version='2.10.26', cluster=cluster,
                        routes=[seed_route], jetstream=True, meta_leader=jinja('MARKER_name'))
        spec = dict(address=address, nats=settings)
        if locked:
            spec['paths'] = {'*': dict(kind='auth', status=401, accept=dict(user=user, password=password))}
        servers[name] = spec
    # seeds that bound the inventory plugin's reading: a body that never ends, a 1 GiB body
    servers['drip'] = dict(address='127.0.4.7', paths={'*': dict(kind='drip', rate=1)})
    servers['huge'] = dict(address='127.0.4.8', paths={'*': dict(kind='huge', size=1 << 30, framing='close')})
    json.dump(dict(port=0, servers=servers), sys.stdout, indent=1, sort_keys=True)


if __name__ == '__main__':
    main()
