#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: nats_check
short_description: Health checks of nats-servers with warning and critical thresholds (as C(nats server check))
version_added: 0.1.0
description:
  - Reads C(/varz) (and C(/jsz) for the JetStream checks) of one or more nats-servers and judges what they report
    against warning and critical thresholds, in the manner of natscli's C(nats server check).
  - Returns an overall RV(status) (V(ok), V(warning), V(critical) or V(unknown)), every measure in RV(checks),
    and the same as Nagios performance data (RV(perfdata), RV(summary)) and Prometheus text (RV(prometheus)).
  - Fails only when O(fail_on) is reached; the message lists every breached threshold with its value.
  - Thresholds follow Nagios ranges. For a measure where higher is worse (most of them) a value B(above) the
    threshold breaches it; for one where lower is worse (V(uptime_s), V(connections_min), V(leafnodes_min),
    V(msgs_min), V(peers), V(leader), V(days_left)) a value B(below) it does.
  - A measure the server's version does not report (for example C(config_digest) before 2.11,
    C(stale_connections) before 2.11, C(tls_cert_not_after) before 2.14) is V(unknown) with the reason when a
    threshold asks for it, and left out otherwise.
  - An unreachable server gives a V(critical) row of check V(reachable).
options:
  urls:
    description:
      - Monitoring URLs of several servers, instead of O(url) (ignored when this is given). Every check runs on each; V(server) then also
        counts the distinct C(config_digest) values, and V(meta), V(stream), V(consumer) read each group from its leader.
    type: list
    elements: str
  check:
    description:
      - What to check; one name or a list.
      - V(server) - C(cpu_pct), C(mem_bytes), C(uptime_s); C(config_changed) (1 when C(config_digest) differs
        from the previous run, also across a restart, needs O(state_file), 2.11+); C(config_digests) (distinct
        C(config_digest) values, 2.11+) when several URLs are given. The digest is a sha256 of the parsed
        configuration file, so servers whose files carry their own names and addresses always differ; set a
        C(config_digests) threshold of 1 only for servers meant to run the very same file (names and ports on
        the command line).
      - V(connections) - C(connections), C(connections_min), C(slow_consumers), C(slow_consumers_growth)
        (since the previous run, needs O(state_file)), C(stale_connections), C(stalled_clients) (2.11+).
      - V(jetstream) - C(memory_pct), C(storage_pct) (use as % of the server's C(max_memory_store),
        C(max_file_store), and of each account's own C(max_mem), C(max_file), which C(/jsz) reports as
        C(reserved_memory), C(reserved_storage); warn 75, crit 90 by default), C(api_errors)
        (since the previous run, needs O(state_file)). The monitoring port does not report an account's
        C(max_streams) or C(max_consumers), so streams and consumers as % of them are not checked.
      - V(meta) - the JetStream meta group; C(leader) (critical without one), C(peers), C(peers_offline)
        (critical above 0 by default), C(peer_lag), C(peer_seen_s).
      - V(stream) - the stream O(stream); C(msgs), C(msgs_min), C(bytes_pct) and C(msgs_pct) (of its
        C(max_bytes), C(max_msgs)), C(age_max) (age of the newest message), C(subjects), and its replicas as
        for V(meta).
      - V(consumer) - the consumer O(consumer) of O(stream); C(num_pending), C(num_ack_pending),
        C(num_redelivered), C(num_waiting), C(last_delivery_s), C(last_ack_s), and its replicas.
      - V(leafnodes) - C(leafnodes), C(leafnodes_min).
      - V(tls) - C(days_left) until the certificate expires (warn 30, crit 7 by default), from C(tls_cert_not_after)
        of C(/varz) (2.14+), else the certificate the https monitoring port presents (needs O(validate_certs)).
    type: list
    elements: str
    required: true
    choices: [server, connections, jetstream, meta, stream, consumer, leafnodes, tls]
  warn:
    description:
      - Warning thresholds keyed by measure, for example C(storage_pct) 75 or C(num_pending) 1000.
      - Override the defaults and the stream's or consumer's C(io.nats.monitor.*) metadata.
      - A name no chosen check has fails the task with the list of valid names; a warning beyond the critical
        threshold in the wrong direction fails it too.
    type: dict
    default: {}
  crit:
    description: Critical thresholds keyed by measure, as O(warn).
    type: dict
    default: {}
  stream:
    description:
      - The stream V(stream) and V(consumer) check. Required by both.
      - Its metadata C(io.nats.monitor.msgs-warn), C(msgs-critical) (C(msgs_min)), C(peer-expect) (C(peers)),
        C(peer-lag-critical), C(peer-seen-critical), C(subjects-warn), C(subjects-critical) give thresholds
        (natscli's convention) unless the task sets them.
    type: str
  consumer:
    description:
      - The consumer V(consumer) checks. Required by it.
      - Its metadata C(io.nats.monitor.outstanding-ack-critical) (C(num_ack_pending)), C(unprocessed-critical)
        (C(num_pending)), C(waiting-critical), C(redelivery-critical), C(last-delivery-critical),
        C(last-ack-critical) give thresholds unless the task sets them.
    type: str
  account:
    description: The account of O(stream) and the only account V(jetstream) reads; default every account.
    type: str
  state_file:
    description:
      - A file on the managed node keeping the counters of the previous run (slow consumers, JetStream API
        errors) and each server's C(config_digest), per monitoring URL, to judge their change. Written atomically
        with mode 0600; not written in check mode.
    type: path
  fail_on:
    description:
      - V(critical) fails the task when any measure is critical, V(warning) when any is warning or critical,
        V(never) only reports. V(unknown) never fails the task.
    type: str
    choices: [critical, warning, never]
    default: critical
extends_documentation_fragment:
  - nats_tools.nats.connection
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: The module only reads; in check mode it does not update O(state_file).
  diff_mode:
    support: none
  platform:
    platforms: posix
  action_group:
    description: Use C(group/nats_tools.nats.nats) in C(module_defaults) to set the connection options once.
    support: full
    membership:
      - nats_tools.nats.nats
notes:
  - Read-only; the task never reports a change.
  - natscli compares with C(>=); this module with C(>) (Nagios ranges). Metadata thresholds are used as given.
author:
  - nats_tools.nats developers (@nats-tools)
seealso:
  - module: nats_tools.nats.nats_gate
  - module: nats_tools.nats.nats_jsz
'''

EXAMPLES = r'''
- name: Gate a deployment on the consumer backlog
  nats_tools.nats.nats_check:
    url: http://127.0.0.1:8222
    check: consumer
    stream: ORDERS
    consumer: PROC
    crit: {num_pending: 100, num_ack_pending: 50}

- name: JetStream headroom before an upgrade (defaults warn 75 %, crit 90 %), fail on warnings too
  nats_tools.nats.nats_check:
    urls: [http://n1:8222, http://n2:8222, http://n3:8222]
    check: [jetstream, meta, server]
    fail_on: warning

- name: Monitoring run (cron), report only, Prometheus text for node_exporter's textfile collector
  nats_tools.nats.nats_check:
    url: http://127.0.0.1:8222
    check: [server, connections, jetstream]
    crit: {slow_consumers_growth: 0}
    state_file: /var/lib/nats_check/state.json
    fail_on: never
  register: health

- name: Write the metrics
  ansible.builtin.copy:
    content: "{{ health.prometheus }}"
    dest: /var/lib/node_exporter/textfile/nats_check.prom
    mode: "0644"
'''

RETURN = r'''
status:
  description: The worst status of all rows; V(unknown) ranks below V(warning) and V(critical).
  returned: always
  type: str
  sample: warning
checks:
  description: One row per measure and subject (server, account, stream, consumer).
  returned: always
  type: list
  elements: dict
  contains:
    check:
      description: The check (or V(reachable) for a server that could not be read).
      type: str
    measure:
      description: The measure, the key of O(warn) and O(crit).
      type: str
    subject:
      description: What was measured (server name, account, stream, consumer).
      type: str
    value:
      description: The value; null when it could not be read.
      type: raw
    unit:
      description: Unit of the value (C(%), C(s), C(B), C(d) or empty).
      type: str
    warn:
      description: The warning threshold applied.
      type: raw
    crit:
      description: The critical threshold applied.
      type: raw
    threshold_source:
      description: Where the thresholds came from (V(task), V(metadata), V(default)) or null.
      type: str
    status:
      description: V(ok), V(warning), V(critical) or V(unknown).
      type: str
    message:
      description: What was found, with the thresholds when breached and the reason when unknown.
      type: str
    url:
      description: Monitoring URL of the server whose answer was judged.
      type: str
  sample:
    - {check: jetstream, measure: memory_pct, subject: n1, value: 80.2, unit: "%", warn: 75, crit: 90,
       threshold_source: default, status: warning, message: "n1 memory_pct is 80.2 % (warn above 75, crit above 90)",
       url: "http://127.0.0.1:8222"}
summary:
  description: "One Nagios plugin output line: C(NATS <STATUS>: <problems> | <perfdata>)."
  returned: always
  type: str
  sample: "NATS OK: 4 checks ok | 'server_cpu_pct_n1'=0.5%;;"
perfdata:
  description: Nagios performance data of every row with a number (C('label'=value[UOM];warn;crit)).
  returned: always
  type: str
  sample: "'jetstream_memory_pct_n1'=80.2%;75;90"
error_kind:
  description:
    - When a server could not be read, the kind of the first such error (C(unreachable), C(timeout), C(tls), C(auth),
      C(redirect), C(too_large), C(invalid_response), C(http), C(not_served)); its row of check V(reachable) is critical.
  returned: when a server could not be read
  type: str
  sample: unreachable
prometheus:
  description: Prometheus text exposition (C(nats_check_value), C(nats_check_status), C(nats_check_overall_status)).
  returned: always
  type: str
  sample: "nats_check_overall_status 1\n"
'''

import socket
import ssl

from urllib.parse import urlsplit

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.nats_tools.nats.plugins.module_utils.checks import (
    FAIL_ON,
    breaches,
    failure_message,
    jsz_query,
    perfdata,
    prometheus,
    run_checks,
    summary_line,
)
from ansible_collections.nats_tools.nats.plugins.module_utils.checks_state import load_state, save_state
from ansible_collections.nats_tools.nats.plugins.module_utils.checks_thresholds import CHECKS, threshold_problems
from ansible_collections.nats_tools.nats.plugins.module_utils.module_client import (
    NatsModuleClient,
    connection_argument_spec,
)
from ansible_collections.nats_tools.nats.plugins.module_utils.reader import read_servers
from ansible_collections.nats_tools.nats.plugins.module_utils.server import NatsServer


def argument_spec():
    spec = connection_argument_spec()
    spec.update(
        urls=dict(type='list', elements='str'),
        check=dict(type='list', elements='str', required=True, choices=list(CHECKS)),
        warn=dict(type='dict', default={}),
        crit=dict(type='dict', default={}),
        stream=dict(type='str'),
        consumer=dict(type='str'),
        account=dict(type='str'),
        state_file=dict(type='path'),
        fail_on=dict(type='str', default='critical', choices=list(FAIL_ON)),
    )
    return spec


def option_problems(p):
    checks = p['check']
    problems = []
    if not checks:
        problems.append('check must name at least one of %s' % ', '.join(CHECKS))
    if ('stream' in checks or 'consumer' in checks) and not p['stream']:
        problems.append('check %s needs the option stream' % ('consumer' if 'consumer' in checks else 'stream'))
    if 'consumer' in checks and not p['consumer']:
        problems.append('check consumer needs the option consumer')
    if p['urls'] is not None and not p['urls']:
        problems.append('urls must name at least one monitoring URL')
    problems.extend(threshold_problems(checks, p['warn'], p['crit']))
    return problems


def peer_certificate_not_after(url, options):
    """Epoch seconds of notAfter of the certificate an https monitoring port presents, verified; else None."""
    if not url.startswith('https://') or not options.validate_certs:
        return None
    try:
        parts = urlsplit(url)
        host = parts.hostname
        context = ssl.create_default_context(cafile=options.ca_path)
        with socket.create_connection((host, parts.port or 443), timeout=options.timeout) as sock:
            with context.wrap_socket(sock, server_hostname=host) as tls:
                not_after = tls.getpeercert().get('notAfter')
        return ssl.cert_time_to_seconds(not_after) if not_after else None
    except (OSError, ValueError, ssl.SSLError):
        return None


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    p = module.params
    p['check'] = list(dict.fromkeys(p['check'] or []))
    problems = option_problems(p)
    if problems:
        module.fail_json(msg='; '.join(problems))
    state = None
    previous = {}
    if p['state_file']:
        previous, problem = load_state(p['state_file'])
        if problem:
            module.warn(problem)
        state = dict(previous=previous)

    with NatsModuleClient(module, urls=p['urls'] or None) as client:
        query = jsz_query(p['check'], p['account'])
        plans = []
        for monitor in client.monitors:
            plan = [('varz', monitor.varz)]
            if query is not None:
                plan.append(('jsz', lambda m=monitor: m.jsz(**query)))
            plans.append(plan)
        answers = read_servers(plans)
        servers = [NatsServer.from_outcomes(monitor.url, outcomes) for monitor, outcomes in zip(client.monitors, answers)]
        # The kind of the first server that could not be read (module contract: error_kind on failure).
        error_kinds = [outcomes['varz'][1].kind for outcomes in answers if outcomes['varz'][1] is not None]
        peer_not_after = {}
        if 'tls' in p['check']:
            for server in servers:
                if server.reachable and not server.varz.get('tls_cert_not_after'):
                    peer_not_after[server.url] = peer_certificate_not_after(server.url, client.options)
        verdict = run_checks(p['check'], servers, warn=p['warn'], crit=p['crit'], stream=p['stream'],
                             consumer=p['consumer'], account=p['account'], state=state, peer_not_after=peer_not_after)
        if state is not None and state.get('current') and not module.check_mode:
            try:
                save_state(p['state_file'], state['current'], previous)
            except (IOError, OSError) as exc:
                module.warn('state_file %s could not be written: %s' % (p['state_file'], exc))
        rows = verdict['checks']
        result = dict(changed=False, status=verdict['status'], checks=rows, perfdata=perfdata(rows),
                      prometheus=prometheus(rows, verdict['status']),
                      summary=summary_line(verdict['status'], rows))
        if error_kinds:
            result['error_kind'] = error_kinds[0]
        if breaches(rows, p['fail_on']):
            client.warn_collected()
            module.fail_json(msg=failure_message(rows, verdict['status']), **result)
        client.exit(**result)


if __name__ == '__main__':
    main()
