# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Marking what a server sent as unsafe, so that Ansible never templates it.

ansible-core 2.16-2.18 template any string of a host variable, group or host name that
looks like Jinja (a server named ``{{ lookup('pipe', ...) }}`` would run a command on the
controller); 2.19 trusts nothing by default, but the collection does not rely on it:
every string from a server is wrapped with ``wrap_var`` on every version, as the inventory
plugins of community.general and community.docker do."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from collections.abc import Mapping, Set

from ansible.utils.unsafe_proxy import wrap_var


def make_unsafe(value):
    """``value`` with every string in it (keys included) marked unsafe; other scalars as they are."""
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, Mapping):
        return dict((make_unsafe(key), make_unsafe(item)) for key, item in value.items())
    if isinstance(value, Set):
        return set(make_unsafe(item) for item in value)
    if isinstance(value, (list, tuple)):
        return type(value)(make_unsafe(item) for item in value)
    if isinstance(value, (str, bytes)):
        return wrap_var(value)
    return value
