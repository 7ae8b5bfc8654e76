# Copyright: contributors to the nats_tools.nats collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Plain HTTP GETs of a monitoring port (urllib; https with the lab CA)."""

from __future__ import absolute_import, division, print_function

import json
import socket
import ssl
import urllib.error
import urllib.request

__metaclass__ = type  # pylint: disable=invalid-name


def http_get(url, cafile=None, timeout=2.0):
    """Return (status, body_text) or (None, error_text) when the port does not answer."""
    ctx = None
    if url.startswith('https:'):
        ctx = ssl.create_default_context(cafile=cafile) if cafile else ssl.create_default_context()
    try:
        with urllib.request.urlopen(url, timeout=timeout, context=ctx) as resp:  # nosec - loopback test servers
            return resp.status, resp.read().decode('utf-8', 'replace')
    except urllib.error.HTTPError as exc:
        try:
            body = exc.read().decode('utf-8', 'replace')
        except Exception:  # pylint: disable=broad-except
            body = ''
        return exc.code, body
    except (urllib.error.URLError, socket.timeout, ConnectionError, ssl.SSLError, OSError) as exc:
        return None, str(exc)


def http_json(url, cafile=None, timeout=2.0):
    status, body = http_get(url, cafile, timeout)
    if status != 200:
        return None
    try:
        return json.loads(body)
    except ValueError:
        return None
