# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The hostile fake-server library of the integration tests (setup_hostile), for unit tests:
real sockets on 127.0.0.1, served by threads, stopped by the ``hostile`` fixture."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import importlib.util
import os

_PATH = os.path.join(os.path.dirname(__file__), '..', '..', '..', 'integration', 'targets', 'setup_hostile',
                     'files', 'hostile_server.py')


def load():
    spec = importlib.util.spec_from_file_location('hostile_server', os.path.abspath(_PATH))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


HostileServer = load().HostileServer
