# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# Simplified BSD License (see LICENSES/BSD-2-Clause.txt or https://opensource.org/licenses/BSD-2-Clause)
# SPDX-License-Identifier: BSD-2-Clause

"""The one model of a nats-server as its monitoring port describes it: identity,
version, JetStream, meta view, cluster, routes, gateways, leafnodes, health.

Built once from the answers read (already shape-checked by the client), used by
the gate, facts, nats_info and discovery alike."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


def route_peers(routez):
    """Distinct remote server names: 2.10+ pools several routes per peer."""
    names = set()
    for route in (routez or {}).get('routes') or []:
        name = route.get('remote_name') or route.get('remote_id')
        if name:
            names.add(name)
    return sorted(names)


def gateway_names(gatewayz):
    """Names of the other clusters this server has a gateway connection with (either way)."""
    gatewayz = gatewayz or {}
    names = set(gatewayz.get('outbound_gateways') or {}) | set(gatewayz.get('inbound_gateways') or {})
    return sorted(names)


def jetstream_enabled(varz, jsz=None):
    """JetStream runs on this server: configured (/varz) and, when /jsz was read, not disabled.
    Without /varz, /jsz alone decides."""
    if varz is not None and not ((varz.get('jetstream') or {}).get('config')):
        return False
    if jsz is not None:
        return not jsz.get('disabled', False)
    return varz is not None


class NatsServer:
    """What one server said (on one round of reading).

    ``error`` is the text of why /varz could not be read (then the server is
    unreachable and nothing else counts); ``errors`` holds the text of every other
    endpoint that could not be read. ``name`` is used when /varz gave none (a
    server down since the first round), ``expected_name`` is the name the caller
    expects at this URL."""

    def __init__(self, url, varz=None, error=None, name=None, expected_name=None, healthz_status=None, healthz=None,
                 routez=None, gatewayz=None, leafz=None, jsz=None, errors=None, healthz_error=None, routez_error=None,
                 jsz_error=None, error_kind=None, error_permanent=False):
        self.url = url
        self.expected_name = expected_name
        self.varz = varz
        self.error = error
        # What kind of error kept /varz from being read (errors.MonitorError.kind), and whether waiting can mend it.
        self.error_kind = error_kind
        self.error_permanent = error_permanent
        self.healthz_status = healthz_status
        self.healthz = healthz
        self.routez = routez
        self.gatewayz = gatewayz
        self.leafz = leafz
        self.jsz = jsz
        self.errors = dict(errors or {})
        for endpoint, text in (('healthz', healthz_error), ('routez', routez_error), ('jsz', jsz_error)):
            if text:
                self.errors[endpoint] = text
        self.name = (varz or {}).get('server_name') or name or expected_name

    @classmethod
    def from_outcomes(cls, url, outcomes, name=None, expected_name=None):
        """From {endpoint: (answer, MonitorError or None)}; /healthz's answer is (status, document)."""
        varz, varz_error = outcomes.get('varz', (None, None))
        if varz_error is not None:
            return cls(url, error=varz_error.reason, name=name, expected_name=expected_name, error_kind=varz_error.kind,
                       error_permanent=varz_error.permanent)
        answers, errors = {}, {}
        for endpoint, (answer, error) in outcomes.items():
            if error is not None:
                errors[endpoint] = error.reason
            elif endpoint != 'varz':
                answers[endpoint] = answer
        healthz = answers.pop('healthz', None)
        return cls(url, varz=varz, name=name, expected_name=expected_name, errors=errors,
                   healthz_status=healthz[0] if healthz else None, healthz=healthz[1] if healthz else None,
                   **dict((k, v) for k, v in answers.items() if k in ('routez', 'gatewayz', 'leafz', 'jsz')))

    # -- identity -------------------------------------------------------------

    @property
    def reachable(self):
        return self.error is None and self.varz is not None

    @property
    def label(self):
        return self.name or self.url

    @property
    def id(self):
        return (self.varz or {}).get('server_id')

    @property
    def version(self):
        return (self.varz or {}).get('version')

    @property
    def cluster(self):
        return ((self.varz or {}).get('cluster') or {}).get('name') or None

    @property
    def gateway(self):
        return ((self.varz or {}).get('gateway') or {}).get('name') or None

    def identity(self):
        """{name, id, version, cluster, jetstream}."""
        return dict(name=(self.varz or {}).get('server_name'), id=self.id, version=self.version,
                    cluster=self.cluster, jetstream=self.jetstream)

    # -- what it reports ------------------------------------------------------------

    @property
    def healthz_error(self):
        return self.errors.get('healthz')

    @property
    def routez_error(self):
        return self.errors.get('routez')

    @property
    def jsz_error(self):
        return self.errors.get('jsz')

    @property
    def jetstream(self):
        """JetStream enabled, as far as was read (one definition for every module)."""
        if self.varz is None:
            return bool(self.jsz) and not self.jsz.get('disabled', False)
        return jetstream_enabled(self.varz, self.jsz)

    @property
    def meta(self):
        return (self.jsz or {}).get('meta_cluster') or {}

    @property
    def meta_leader(self):
        return self.meta.get('leader') or None

    @property
    def routes_to(self):
        return route_peers(self.routez)

    @property
    def gateways(self):
        return gateway_names(self.gatewayz)
