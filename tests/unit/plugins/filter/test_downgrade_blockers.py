# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The downgrade_blockers filter (controller side): server names in its messages are never templates.
The blockers themselves are tested in tests/unit/plugins/module_utils/test_api_levels.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

from ansible.utils.unsafe_proxy import AnsibleUnsafe

try:  # 2.19: every string is data unless trusted as a template
    from ansible.template import is_trusted_as_template
except ImportError:  # 2.16-2.18: strings are templates unless wrapped as AnsibleUnsafe
    is_trusted_as_template = None

from ansible_collections.nats_tools.nats.plugins.filter.downgrade_blockers import FilterModule

FIXTURES = os.path.join(os.path.dirname(__file__), '..', '..', 'fixtures')


def recorded(version):
    with open(os.path.join(FIXTURES, version, 'api_levels', 'jsz_all.json')) as handle:
        return json.load(handle)


def test_the_filter_marks_server_names_unsafe():
    answer = recorded('2.12.8')
    answer['account_details'][0]['stream_detail'][1]['name'] = "{{ lookup('pipe', 'id') }}"
    blockers = FilterModule().filters()['downgrade_blockers']([answer, 'not a mapping'], '2.11.11')
    assert len(blockers) == 1 and "{{ lookup('pipe', 'id') }}" in blockers[0]
    if is_trusted_as_template is not None:
        assert not is_trusted_as_template(blockers[0])
    else:
        assert isinstance(blockers[0], AnsibleUnsafe)
