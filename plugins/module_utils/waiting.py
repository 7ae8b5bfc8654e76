# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# Simplified BSD License (see LICENSES/BSD-2-Clause.txt or https://opensource.org/licenses/BSD-2-Clause)
# SPDX-License-Identifier: BSD-2-Clause

"""Waiting, the same way in every module (docs/module-contract.md): ``wait``,
``wait_timeout`` (the whole run, the last request included) and ``wait_interval``."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time


def wait_option_problems(params):
    """Option errors of wait_timeout / wait_interval (names the option), as a list."""
    problems = []
    if params.get('wait_interval') is not None and params['wait_interval'] <= 0:
        problems.append('wait_interval must be more than 0 seconds (got %g)' % params['wait_interval'])
    if params.get('wait_timeout') is not None and params['wait_timeout'] < 0:
        problems.append('wait_timeout must be 0 seconds or more (got %g)' % params['wait_timeout'])
    return problems


def poll(check, timeout, interval, clock=time.monotonic, sleep=time.sleep):
    """Call ``check()`` until it returns (True, value) or ``timeout`` seconds pass.

    ``check`` may return a third item, True when waiting cannot mend what it saw
    (a permanent error): polling stops there. Returns (passed, value, attempts,
    elapsed) of the last attempt."""
    started = clock()
    attempts = 0
    while True:
        attempts += 1
        outcome = check()
        passed, value = outcome[0], outcome[1]
        permanent = len(outcome) > 2 and outcome[2]
        elapsed = clock() - started
        remaining = timeout - elapsed
        if passed or permanent or remaining <= 0:
            return passed, value, attempts, round(elapsed, 3)
        # The last attempt lands on the deadline rather than after it.
        sleep(max(min(interval, remaining), 0))


def attempt_until(params, attempt):
    """``attempt`` once, or with ``wait: true`` until it passes, a permanent error, or wait_timeout.
    Returns (passed, value, attempts, elapsed)."""
    if params.get('wait'):
        return poll(attempt, params['wait_timeout'], params['wait_interval'])
    outcome = attempt()
    return outcome[0], outcome[1], 1, 0.0
