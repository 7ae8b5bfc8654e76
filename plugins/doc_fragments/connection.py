# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):

    # Connection options shared by every module (see module_utils/common.py).
    DOCUMENTATION = r'''
options:
  url:
    description:
      - Monitoring URL of the nats-server (its C(http_port) or C(https_port)).
      - May carry the server's C(http_base_path), for example V(http://nats1:8222/mon).
      - If not set, the environment variable E(NATS_MONITOR_URL) is used.
      - User information in the URL (V(http://user:pass@host:8222)) is taken out of it and used as O(url_username)
        and O(url_password); the password never appears in messages, results or facts.
    type: str
    default: http://127.0.0.1:8222
  timeout:
    description:
      - Seconds one HTTP request may take as a whole (connecting, the headers and the entire body).
        A server that answers slower, or drips its answer, fails the request with a timeout.
    type: float
    default: 10
  max_response_bytes:
    description:
      - Largest answer accepted, in bytes; reading stops there and the request fails. For a paged list
        (connections, subscriptions, JetStream accounts) this bounds all of its pages together.
      - The default is ten times the largest answer measured from real servers.
    type: int
    default: 67108864
  validate_certs:
    description:
      - Verify the server's TLS certificate when O(url) is https.
      - Set to V(false) only for servers with self-signed certificates you trust.
    type: bool
    default: true
  ca_path:
    description:
      - PEM file of the CA(s) that signed the monitoring port's certificate.
    type: path
  client_cert:
    description:
      - PEM client certificate, for a monitoring port (or proxy) that requires one.
      - May hold the private key too; otherwise set O(client_key).
    type: path
  client_key:
    description:
      - PEM private key of O(client_cert).
    type: path
  url_username:
    description:
      - User name for HTTP basic authentication, for a monitoring port behind an authenticating proxy.
      - nats-server itself does not authenticate monitoring requests.
    type: str
  url_password:
    description:
      - Password for HTTP basic authentication. Never logged.
    type: str
  headers:
    description:
      - Extra HTTP headers sent with every request (for example an C(Authorization) header). Never logged.
    type: dict
    default: {}
notes:
  - The HTTP client is a pooled C(requests) session when the Python library C(requests) is
    installed on the host that runs the module, otherwise Ansible's own C(open_url). Both behave alike.
  - Proxy settings from the environment are not used; the monitoring URL is contacted directly.
  - A redirect is followed only to the same scheme, host and port (at most 3 times); a redirect anywhere
    else fails the request, so credentials and headers only reach the host asked.
  - Answers are checked for the shape the module reads; a wrong shape fails with C(unexpected answer) and the URL.
    See the collection's C(docs/security.md) for what the collection trusts.
'''

    # The same connection options for the inventory plugin (it takes seed URLs in its own option).
    INVENTORY = r'''
options:
  timeout:
    description:
      - Seconds one HTTP request may take as a whole (connecting, the headers and the entire body).
    type: float
    default: 10
  max_response_bytes:
    description:
      - Largest answer accepted from a server, in bytes; reading stops there and that server's answer fails.
    type: int
    default: 67108864
  validate_certs:
    description:
      - Verify the servers' TLS certificates on https monitoring URLs.
      - Set to V(false) only for servers with self-signed certificates you trust.
    type: bool
    default: true
  ca_path:
    description:
      - PEM file of the CA(s) that signed the monitoring ports' certificates.
    type: path
  client_cert:
    description:
      - PEM client certificate, for monitoring ports (or proxies) that require one.
      - May hold the private key too; otherwise set O(client_key).
    type: path
  client_key:
    description:
      - PEM private key of O(client_cert).
    type: path
  url_username:
    description:
      - User name for HTTP basic authentication, for monitoring ports behind an authenticating proxy.
      - nats-server itself does not authenticate monitoring requests.
    type: str
  url_password:
    description:
      - Password for HTTP basic authentication. Never displayed, logged or cached.
    type: str
  headers:
    description:
      - Extra HTTP headers sent with every request to a trusted host (see O(credential_hosts)).
    type: dict
    default: {}
notes:
  - The HTTP client is a pooled C(requests) session when the Python library C(requests) is
    installed on the controller, otherwise Ansible's own C(open_url). Both behave alike.
  - Proxy settings from the environment are not used; the monitoring URLs are contacted directly.
  - A redirect is followed only to the same scheme, host and port; credentials and headers only reach the host asked.
'''

    # For modules that only read: full check mode, no diff, part of the nats action group.
    INFO_MODULE = r'''
attributes:
  check_mode:
    support: full
    details: The module only reads; it behaves the same in check mode.
  diff_mode:
    support: none
  platform:
    platforms: posix
  action_group:
    description: Use C(group/nats_tools.nats.nats) in C(module_defaults) to set the connection options once.
    support: full
    membership:
      - nats_tools.nats.nats
'''
