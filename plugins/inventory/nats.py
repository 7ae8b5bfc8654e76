# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: nats
short_description: NATS servers discovered from a seed monitoring URL
version_added: 0.1.0
description:
  - Builds an inventory of nats-servers from one or more seed monitoring URLs - one host per server,
    named by its C(server_name) - by following the routes of each server to the rest of its cluster
    (O(discover_routes)) and, if asked, its gateways into the linked clusters (O(discover_gateways)).
  - Every server found is read at once, round by round (breadth first), on the controller.
  - "Host variables: C(ansible_host) (the host of the server's monitoring URL), C(nats_monitor_url),
    C(nats_rolling_upgrade_monitor_url) (the same, for the role P(nats_tools.nats.rolling_upgrade#role)),
    C(nats_server_name), C(nats_server_id), C(nats_version), C(nats_cluster), C(nats_gateway),
    C(nats_jetstream), C(nats_is_meta_leader), C(nats_client_url), C(nats_reachable),
    C(nats_discovered_from), and C(nats_unreachable_reason) for a server that could not be read."
  - "Groups: C(nats) (every server), C(nats_cluster_<name>) (cluster name with characters other than letters,
    digits and C(_) replaced by C(_)), C(nats_meta_leader) (the JetStream meta leader, as its own C(/jsz)
    says), C(nats_unreachable); plus whatever O(groups) and O(keyed_groups) make."
  - A seed that cannot be read is an error naming it. A discovered server that cannot be read is a
    warning and still a host, with C(nats_reachable=false) and the reason in C(nats_unreachable_reason).
  - Everything a server reports is untrusted. Host names, host variables, group names and what O(compose),
    O(groups) and O(keyed_groups) see are marked unsafe (never templated). A server name that is not a plain
    name (whitespace, C(/), C(..), quotes, template or control characters, over 255 characters) is replaced
    by the server id as host name, with a warning.
  - The configuration file name must end in C(nats.yml) or C(nats.yaml).
options:
  plugin:
    description: Marks the file as this plugin's configuration.
    type: str
    required: true
    choices: [nats_tools.nats.nats]
  urls:
    description:
      - Seed monitoring URLs (C(http_port) or C(https_port) of a nats-server), for example V(http://nats1:8222).
        May carry the servers' C(http_base_path).
      - One reachable seed per cluster is enough; every seed listed must be reachable.
    type: list
    elements: str
    required: true
  discover_routes:
    description:
      - Follow C(/routez) (and the routes configured in C(/varz)) to the other servers of each cluster.
      - A peer's monitoring URL is its route address with O(monitor_port), O(monitor_scheme) and the base path
        of the server that names it. Every address a peer is seen at is tried until one answers as that server.
    type: bool
    default: true
  discover_gateways:
    description:
      - Follow C(/gatewayz) (and the gateways configured in C(/varz)) into the clusters linked by gateways.
    type: bool
    default: false
  monitor_port:
    description:
      - Monitoring port of the discovered servers.
      - Default is the port of the URL of the server that names the peer (for the first round, the seed's own port).
    type: int
  monitor_scheme:
    description:
      - Scheme of the discovered servers' monitoring URLs. Default is that of the server that names the peer.
    type: str
    choices: [http, https]
  credential_hosts:
    description:
      - Hosts, besides the seeds' own, that receive O(url_username), O(url_password) and O(headers), as CIDR
        blocks (V(10.0.0.0/24)) or glob patterns of host names (V(*.nats.example.com)).
      - A discovered server on any other host is read without them; if it answers 401 or 403, a warning names it.
      - User information in a seed URL counts as O(url_username) and O(url_password).
    type: list
    elements: str
    default: []
  max_servers:
    description:
      - Discovery stops after this many servers, with a warning.
    type: int
    default: 1000
extends_documentation_fragment:
  - constructed
  - inventory_cache
  - nats_tools.nats.connection.INVENTORY
notes:
  - A server found only through a route configured on another server, where nothing answers, is named by its
    address (for example C(10.0.0.12)); a stopped server drops out of C(/routez) at once, its configured route stays.
  - Values of the configuration file may be vault-encrypted (for example O(url_password)).
author:
  - nats_tools.nats developers (@nats-tools)
seealso:
  - module: nats_tools.nats.nats_facts
  - name: NATS monitoring
    description: What C(/routez), C(/gatewayz) and C(/varz) report.
    link: https://docs.nats.io/running-a-nats-service/nats_admin/monitoring
'''

EXAMPLES = r'''
---
# nats.yml: the cluster of one seed (ansible-inventory -i nats.yml --graph)
plugin: nats_tools.nats.nats
urls:
  - http://nats1.example.com:8222

---
# supercluster.nats.yml: every cluster linked by gateways, grouped by version, over TLS
plugin: nats_tools.nats.nats
urls:
  - https://nats1.example.com:8222
discover_gateways: true
ca_path: /etc/nats/ca.pem
keyed_groups:
  - key: nats_version
    prefix: nats_version
compose:
  ansible_user: "'nats'"
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: ~/.cache/ansible-nats-inventory
'''

import fnmatch
import ipaddress

from ansible.errors import AnsibleParserError
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable
from ansible.utils.display import Display

from ansible_collections.nats_tools.nats.plugins.module_utils.client import NatsMonitor
from ansible_collections.nats_tools.nats.plugins.module_utils.module_client import (
    check_connection_params,
    credentials_from_urls,
    transport_options,
)
from ansible_collections.nats_tools.nats.plugins.module_utils.monitor_urls import display_url, validate_url
from ansible_collections.nats_tools.nats.plugins.module_utils.transport import make_transport
from ansible_collections.nats_tools.nats.plugins.plugin_utils.discovery import DEFAULT_MAX_WORKERS, Discovery, url_host
from ansible_collections.nats_tools.nats.plugins.plugin_utils.inventory_hosts import inventory_hosts
from ansible_collections.nats_tools.nats.plugins.plugin_utils.unsafe import make_unsafe

display = Display()

CONNECTION_OPTIONS = ('timeout', 'validate_certs', 'ca_path', 'client_cert', 'client_key', 'url_username',
                      'url_password', 'headers', 'max_response_bytes')


def printable(text):
    """Server-reported text for a warning: control characters (terminal escapes) shown as '?'."""
    return ''.join(c if c.isprintable() else '?' for c in str(text))


class TrustedHosts:
    """Which hosts receive credentials and headers: the seeds' hosts and credential_hosts (CIDR or glob)."""

    def __init__(self, seed_urls, patterns):
        self.hosts = set(url_host(url).lower() for url in seed_urls)
        self.networks, self.globs = [], []
        for pattern in patterns or []:
            try:
                self.networks.append(ipaddress.ip_network(pattern, strict=False))
            except ValueError:
                self.globs.append(pattern.lower())

    def __call__(self, url):
        host = url_host(url).lower()
        if not host:
            return False
        if host in self.hosts or any(fnmatch.fnmatchcase(host, glob) for glob in self.globs):
            return True
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        return any(address in network for network in self.networks)


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):

    NAME = 'nats_tools.nats.nats'

    # The transport (tests replace it); None: requests when importable, else open_url.
    transport_factory = None

    def verify_file(self, path):
        if super(InventoryModule, self).verify_file(path):
            return path.endswith(('nats.yml', 'nats.yaml'))
        return False

    def parse(self, inventory, loader, path, cache=True):
        super(InventoryModule, self).parse(inventory, loader, path, cache)
        self._read_config_data(path)

        cache_key = self.get_cache_key(path)
        use_cache = self.get_option('cache') and cache
        update_cache = self.get_option('cache') and not cache
        entries = None
        if use_cache:
            try:
                entries = self._cache[cache_key]
            except KeyError:
                update_cache = True
        if entries is None:
            entries = self.discover(path)
        if update_cache:
            self._cache[cache_key] = entries
        self.populate(entries)

    def settings(self, path):
        """Seeds (without user information), options and the trust rule, checked; AnsibleParserError names what is wrong."""
        urls = [u for u in (self.get_option('urls') or []) if u]
        if not urls:
            raise AnsibleParserError('%s: urls needs at least one seed monitoring URL' % path)
        for url in urls:
            reason = validate_url(url)
            if reason:
                raise AnsibleParserError('%s: seed %s: %s' % (path, display_url(url), reason))
        params = dict((name, self.get_option(name)) for name in CONNECTION_OPTIONS)
        urls, user, password, problems = credentials_from_urls(urls, params)
        reason = check_connection_params(params)
        if reason or problems:
            raise AnsibleParserError('%s: %s' % (path, '; '.join(problems + ([reason] if reason else []))))
        port = self.get_option('monitor_port')
        if port is not None and not 0 < port < 65536:
            raise AnsibleParserError('%s: monitor_port must be 1 to 65535' % path)
        if self.get_option('max_servers') < 1:
            raise AnsibleParserError('%s: max_servers must be 1 or more' % path)
        return urls, transport_options(params, user, password), TrustedHosts(urls, self.get_option('credential_hosts'))

    def discover(self, path):
        """[{name, vars, groups}] of every server the seeds lead to."""
        urls, options, trusted = self.settings(path)
        factory = self.transport_factory or make_transport
        with_credentials = factory(options, pool_size=DEFAULT_MAX_WORKERS)
        # Hosts not trusted with the credentials are read without them (and without headers).
        without = factory(options.without_credentials(), pool_size=DEFAULT_MAX_WORKERS) \
            if options.has_credentials else with_credentials

        def monitor_for(url):
            transport = with_credentials if trusted(url) else without
            return NatsMonitor(url, options=transport.options, transport=transport)

        try:
            discovery = Discovery(
                urls, monitor_for,
                discover_routes=self.get_option('discover_routes'),
                discover_gateways=self.get_option('discover_gateways'),
                monitor_port=self.get_option('monitor_port'),
                monitor_scheme=self.get_option('monitor_scheme'),
                max_workers=DEFAULT_MAX_WORKERS, max_servers=self.get_option('max_servers'),
                trusted=trusted if options.has_credentials else None)
            result = discovery.run()
        finally:
            with_credentials.close()
            without.close()

        if result.seed_errors:
            raise AnsibleParserError(printable('%s: cannot read seed %s' % (path, '; '.join(
                '%s (%s)' % (display_url(url), error) for url, error in result.seed_errors.items()))))
        for warning in result.warnings:
            display.warning(printable('nats inventory: %s' % warning))
        for peer in result.unreachable:
            display.warning(printable('nats inventory: server %s (found by %s) cannot be read: %s; it is in the '
                                      'inventory with nats_reachable=false' % (peer.name, peer.origin, peer.reason)))
        entries, warnings = inventory_hosts(result)
        for warning in warnings:
            display.warning(printable('nats inventory: %s' % warning))
        display.vvv('nats inventory: %d servers (%d unreachable) in %d rounds, %d URLs read' % (
            len(result.servers), len(result.unreachable), result.rounds, result.probed))
        return entries

    def populate(self, entries):
        """Hosts, groups and variables, every server-reported value marked unsafe (also when read from the cache)."""
        strict = self.get_option('strict')
        for entry in entries:
            name = make_unsafe(entry['name'])
            self.inventory.add_host(name)
            for group in entry['groups']:
                group = make_unsafe(group)
                self.inventory.add_group(group)
                self.inventory.add_child(group, name)
            for key, value in entry['vars'].items():
                self.inventory.set_variable(name, key, make_unsafe(value))
            hostvars = self.inventory.get_host(name).get_vars()
            self._set_composite_vars(self.get_option('compose'), hostvars, name, strict=strict)
            self._add_host_to_composed_groups(self.get_option('groups'), hostvars, name, strict=strict)
            self._add_host_to_keyed_groups(self.get_option('keyed_groups'), hostvars, name, strict=strict)
