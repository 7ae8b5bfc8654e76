#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: nats_healthz
short_description: Check one nats-server's /healthz, optionally waiting until it is healthy
version_added: 0.1.0
description:
  - Asks the monitoring endpoint C(/healthz) of one nats-server whether it is ready for
    connections and, with JetStream, whether its meta group and every stream and consumer
    assigned to it are current.
  - Can wait until the server is healthy, for example after a restart during a rolling upgrade.
  - Reports an unhealthy or unreachable server as data with O(fail_on_unhealthy=false).
options:
  js_enabled_only:
    description:
      - Only check that JetStream is enabled, not the state of its assets.
    type: bool
    default: false
  js_server_only:
    description:
      - Sent to the server as C(js-server-only).
      - Its meaning changed in nats-server 2.11. Up to 2.10 it checks the JetStream meta group
        (as O(js_meta_only) does); from 2.11 on it only checks that the server accepts connections.
    type: bool
    default: false
  js_meta_only:
    description:
      - Only check the JetStream meta group (meta leader known, meta state current), not every stream and consumer.
      - Sent as C(js-meta-only) to nats-server 2.11 and later and as C(js-server-only) to 2.9 and 2.10,
        which is how those versions spell that check. The version is read from C(/varz).
    type: bool
    default: false
  account:
    description:
      - Only check JetStream assets of this account.
    type: str
  stream:
    description:
      - Only check this stream (needs O(account)).
    type: str
  consumer:
    description:
      - Only check this consumer (needs O(stream)).
    type: str
  details:
    description:
      - Ask the server for every problem it finds (returned in RV(errors)), not just the first.
    type: bool
    default: true
  wait:
    description:
      - Poll until the server is healthy or O(wait_timeout) passes.
    type: bool
    default: false
  wait_timeout:
    description:
      - Seconds to wait with O(wait=true).
    type: float
    default: 120
  wait_interval:
    description:
      - Seconds between attempts with O(wait=true).
    type: float
    default: 1
  fail_on_unhealthy:
    description:
      - Fail the task when the server is unhealthy or unreachable (after waiting, with O(wait=true)).
      - With V(false) the task succeeds and reports RV(healthy), RV(status) and RV(error).
    type: bool
    default: true
extends_documentation_fragment:
  - nats_tools.nats.connection
  - nats_tools.nats.connection.INFO_MODULE
  - ansible.builtin.action_common_attributes
author:
  - nats_tools.nats developers (@nats-tools)
seealso:
  - module: nats_tools.nats.nats_jsz
  - module: nats_tools.nats.nats_info
  - name: nats-server monitoring
    description: The /healthz endpoint and its options.
    link: https://docs.nats.io/running-a-nats-service/nats_admin/monitoring#health
'''

EXAMPLES = r'''
- name: Is the local server healthy?
  nats_tools.nats.nats_healthz:
    url: http://127.0.0.1:8222

- name: Wait up to 5 minutes for a restarted server to catch up
  nats_tools.nats.nats_healthz:
    url: "http://{{ inventory_hostname }}:8222"
    wait: true
    wait_timeout: 300

- name: Check one stream, report instead of failing
  nats_tools.nats.nats_healthz:
    url: https://nats1.example.com:8222
    ca_path: /etc/nats/ca.pem
    account: ORDERS_ACCOUNT
    stream: ORDERS
    fail_on_unhealthy: false
  register: orders_health

- name: Only the JetStream meta group, whatever the server version
  nats_tools.nats.nats_healthz:
    js_meta_only: true
'''

RETURN = r'''
healthy:
  description: Whether the server answered 200 with status ok.
  returned: always
  type: bool
  sample: true
status:
  description:
    - V(ok); V(error) (500, for example not ready for connections or in lame duck mode);
      V(unavailable) (503, JetStream not current, such as a stream catching up);
      V(unreachable) (no HTTP answer at all).
  returned: always
  type: str
  sample: ok
http_status:
  description: HTTP status of the last answer; absent when the server could not be reached.
  returned: when the server answered
  type: int
  sample: 200
error:
  description: Why the server is not healthy, or why it could not be asked.
  returned: always
  type: str
  sample: "JetStream stream '$G > ORDERS' is not current"
errors:
  description: Every problem the server listed (O(details=true)).
  returned: always
  type: list
  elements: dict
  sample:
    - type: STREAM
      account: $G
      stream: ORDERS
      error: "JetStream stream '$G > ORDERS' is not current"
url:
  description: The URL asked, with its query.
  returned: always
  type: str
  sample: http://127.0.0.1:8222/healthz?details=true
error_kind:
  description:
    - Why the server could not be asked, when it could not (V(unreachable), V(timeout), V(tls), V(auth),
      V(redirect), V(too_large), V(invalid_response), V(http), V(not_served)); see the collection's
      C(docs/module-contract.md).
  returned: when the request failed
  type: str
  sample: unreachable
attempts:
  description: How many times /healthz was asked.
  returned: always
  type: int
  sample: 1
elapsed:
  description: Seconds from the first attempt to the last answer.
  returned: always
  type: float
  sample: 0.004
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.nats_tools.nats.plugins.module_utils.errors import MonitorError
from ansible_collections.nats_tools.nats.plugins.module_utils.healthz import (
    healthz_needs_version,
    healthz_params,
    healthz_verdict,
)
from ansible_collections.nats_tools.nats.plugins.module_utils.module_client import (
    NatsModuleClient,
    connection_argument_spec,
    wait_argument_spec,
)
from ansible_collections.nats_tools.nats.plugins.module_utils.waiting import attempt_until


def argument_spec():
    spec = connection_argument_spec()
    spec.update(wait_argument_spec(wait=False, wait_timeout=120, wait_interval=1))
    spec.update(
        js_enabled_only=dict(type='bool', default=False),
        js_server_only=dict(type='bool', default=False),
        js_meta_only=dict(type='bool', default=False),
        account=dict(type='str'),
        stream=dict(type='str'),
        consumer=dict(type='str'),
        details=dict(type='bool', default=True),
        fail_on_unhealthy=dict(type='bool', default=True),
    )
    return spec


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True,
                           required_by=dict(stream='account', consumer='stream'))
    p = module.params
    # Not mutually_exclusive in the spec: that would also refuse an explicit false beside a true.
    if p['js_server_only'] and p['js_meta_only']:
        module.fail_json(msg='parameters are mutually exclusive: js_server_only|js_meta_only')
    with NatsModuleClient(module, waits=True) as client:
        query = dict((k, p[k]) for k in ('js_enabled_only', 'js_server_only', 'js_meta_only',
                                         'account', 'stream', 'consumer', 'details'))
        version_needed = healthz_needs_version(**query)

        def attempt():
            try:
                version = client.monitor.server_version() if version_needed else None
                params = healthz_params(version=version, **query)
                http_status, document = client.monitor.healthz(**params)
                verdict = healthz_verdict(http_status, document)
                verdict['url'] = client.monitor.endpoint_url('healthz', params)
                # A 400 is an option this server does not know: waiting cannot mend it.
                return verdict['healthy'], verdict, http_status == 400
            except MonitorError as error:
                verdict = dict(healthy=False, status='unreachable' if error.status is None else 'error',
                               http_status=error.status, error=str(error), errors=[], url=error.url,
                               error_kind=error.kind)
                return False, verdict, error.permanent

        _passed, verdict, attempts, elapsed = attempt_until(p, attempt)
        if verdict.get('http_status') is None:
            verdict.pop('http_status')
        result = dict(changed=False, attempts=attempts, elapsed=elapsed, **verdict)

        if not verdict['healthy'] and p['fail_on_unhealthy']:
            waited = ' after %d attempts in %.1f s' % (attempts, elapsed) if p['wait'] else ''
            result.pop('error_kind', None)
            module.fail_json(msg='%s: not healthy%s: %s' % (client.url, waited, verdict['error'] or verdict['status']),
                             error_kind=verdict.get('error_kind'), **result)
        client.exit(**result)


if __name__ == '__main__':
    main()
