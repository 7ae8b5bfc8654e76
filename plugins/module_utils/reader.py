# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# Simplified BSD License (see LICENSES/BSD-2-Clause.txt or https://opensource.org/licenses/BSD-2-Clause)
# SPDX-License-Identifier: BSD-2-Clause

"""Reading several endpoints of several servers at once: the one path every
module and the inventory plugin read through.

``read_servers`` takes, per server, the calls to make (endpoint name ->
zero-argument callable) and returns, per server, ``{name: (answer, error)}``
with every call made concurrently (bounded threads), never one after another."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import gc

from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

from ansible_collections.nats_tools.nats.plugins.module_utils.errors import MonitorError

DEFAULT_MAX_WORKERS = 8


def run_concurrently(calls, max_workers=DEFAULT_MAX_WORKERS):
    """Run zero-argument callables at once (bounded); [(result, error)] in call order.

    A MonitorError is returned as the error of its call; anything else is a
    bug and is raised."""
    if not calls:
        return []
    if len(calls) == 1:
        return [_capture(calls[0])]
    with ThreadPoolExecutor(max_workers=min(max_workers, len(calls))) as pool:
        futures = [pool.submit(_capture, call) for call in calls]
        return [f.result() for f in futures]


def _capture(call):
    try:
        return call(), None
    except MonitorError as exc:
        return None, exc


def read_servers(plans, max_workers=DEFAULT_MAX_WORKERS):
    """[{name: (answer, MonitorError or None)}] for [[(name, call), ...] per server], all calls at once."""
    calls, slots = [], []
    for index, plan in enumerate(plans):
        for name, call in plan:
            calls.append(call)
            slots.append((index, name))
    results = [dict() for _plan in plans]
    for (index, name), outcome in zip(slots, run_concurrently(calls, max_workers)):
        results[index][name] = outcome
    return results


@contextmanager
def collection_paused():
    """Python's cyclic garbage collector off for the block (back on after, if it was on).

    Parsed monitoring answers hold no reference cycles, yet every few hundred objects parsed make the
    collector walk what is already held: a gate round over 100 servers with 10,000 R3 streams and
    30,000 consumers (120,000 stream and consumer entries) spent ~2 s of ~5 s in it (measured with the
    replay of bench/replay_scale.py). Whatever the block leaves unreferenced is freed by reference
    counting as usual."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
