# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: downgrade_blockers
short_description: Streams and consumers that need a newer JetStream API level than a target version serves
version_added: 0.1.0
description:
  - Takes C(/jsz) documents read with streams, consumers and config (RV(nats_tools.nats.nats_jsz#module:jsz) of
    every server, since each server lists only the streams it holds a replica of) and a target nats-server version,
    and returns one message per stream or consumer whose metadata C(_nats.req.level) is higher than the JetStream
    API level the target serves (0 before 2.11, 1 from 2.11.0, 2 from 2.12.0, 3 from 2.12.5, 4 from 2.14.0,
    5 from 2.15.0). A server on the target would not load them.
  - The messages quote names the servers sent; they are marked unsafe, never templated.
options:
  _input:
    description: C(/jsz) documents (C(streams=true), C(consumers=true), C(config=true)).
    type: list
    elements: dict
    required: true
  version:
    description: Target nats-server version.
    type: str
    required: true
author:
  - nats_tools.nats developers (@nats-tools)
'''

EXAMPLES = r'''
- name: JetStream of every server, with the configurations
  nats_tools.nats.nats_jsz:
    url: "{{ item }}"
    streams: true
    consumers: true
    config: true
  loop: "{{ monitor_urls }}"
  register: jsz

- name: Nothing needs more than 2.11.11 serves
  ansible.builtin.assert:
    that: blockers | length == 0
    fail_msg: "{{ blockers | join('; ') }}"
  vars:
    blockers: "{{ jsz.results | map(attribute='jsz') | nats_tools.nats.downgrade_blockers('2.11.11') }}"
'''

RETURN = r'''
_value:
  description: One message per stream or consumer the target cannot load, empty when there is none.
  type: list
  elements: str
'''

from ansible_collections.nats_tools.nats.plugins.module_utils.api_levels import downgrade_blockers as _blockers
from ansible_collections.nats_tools.nats.plugins.plugin_utils.unsafe import make_unsafe


def downgrade_blockers(jsz_answers, version):
    return make_unsafe(_blockers([j for j in jsz_answers or [] if isinstance(j, dict)], str(version)))


class FilterModule(object):

    def filters(self):
        return dict(downgrade_blockers=downgrade_blockers)
