# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Write a static inventory (JSON is YAML) of the harness' servers, plus a host without a server.

    python write_inventory.py ENV_YML OUT_YML PYTHON

Every host runs locally (connection local, PYTHON as interpreter: ansible-test sets a bogus
default) and carries nats_monitor_url; nats-gone points at a port where nothing listens."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import sys


def main(env_path, out_path, python):
    with open(env_path) as handle:
        env = json.load(handle)
    hosts = dict((name, dict(nats_monitor_url=env['nats_servers'][name]['monitor_url']))
                 for name in env['nats_server_names'])
    hosts['nats-gone'] = dict(nats_monitor_url='http://127.0.0.1:1')
    local = dict(ansible_connection='local', ansible_python_interpreter=python)
    inventory = dict(
        nats=dict(hosts=hosts, vars=local),
        local=dict(hosts=dict(localhost=local)),
    )
    with open(out_path, 'w') as handle:
        json.dump(inventory, handle, indent=2, sort_keys=True)


if __name__ == '__main__':
    main(*sys.argv[1:])
