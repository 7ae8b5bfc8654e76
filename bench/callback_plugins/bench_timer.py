# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Callback used by bench/run.py (measurement 4) to see where a playbook's wall time goes: appends
one JSON line per task start and per task result (wall clock) to the file named by
$BENCH_TIMER_FILE. Enabled only by the benchmark (ANSIBLE_CALLBACKS_ENABLED=bench_timer)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: bench_timer
type: aggregate
short_description: Task start and result times as JSON lines, for bench/run.py
description:
  - Appends one JSON line per task start and per task result to the file named by E(BENCH_TIMER_FILE).
requirements:
  - enabled in configuration (ANSIBLE_CALLBACKS_ENABLED=bench_timer)
'''

import json
import os
import time

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'bench_timer'
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super(CallbackModule, self).__init__(*args, **kwargs)
        self._path = os.environ.get('BENCH_TIMER_FILE')

    def _write(self, **data):
        if not self._path:
            return
        data['t'] = time.time()
        with open(self._path, 'a') as handle:
            handle.write(json.dumps(data) + '\n')

    def v2_playbook_on_start(self, playbook):
        self._write(event='start')

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._write(event='task', uuid=task._uuid, name=task.get_name(), action=task.action)

    def _result(self, result, status):
        task = result._task
        self._write(event='result', uuid=task._uuid, name=task.get_name(), action=task.action,
                    host=result._host.get_name(), status=status)

    def v2_runner_on_ok(self, result):
        self._result(result, 'ok')

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._result(result, 'failed')

    def v2_runner_on_skipped(self, result):
        self._result(result, 'skipped')

    def v2_runner_on_unreachable(self, result):
        self._result(result, 'unreachable')

    def v2_playbook_on_stats(self, stats):
        self._write(event='end')
