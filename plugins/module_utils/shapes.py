# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# Simplified BSD License (see LICENSES/BSD-2-Clause.txt or https://opensource.org/licenses/BSD-2-Clause)
# SPDX-License-Identifier: BSD-2-Clause

"""The shape each monitoring answer must have for the code that reads it.

Checked once, where an answer is parsed (client.NatsMonitor.get): every field the
collection reads has the type it is read as, so no verdict, fact or inventory
code meets a list where it expects an object. A field that is absent or null is
fine (nats-server leaves out empty fields); a wrong type is an InvalidResponse
``unexpected answer: 'version' is a number, text expected``.

Notation: a type; a dict = an object whose listed keys are checked; a one-item
list = a list whose items are checked; ``{ANY_KEY: shape}`` = an object whose
every value is checked."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

ANY_KEY = '*'
NUMBER = (int, float)

REPLICA = {'name': str, 'current': bool, 'offline': bool, 'active': int, 'lag': int}
GROUP = {'name': str, 'leader': str, 'replicas': [REPLICA]}
HEALTH_ERROR = {'type': str, 'account': str, 'stream': str, 'consumer': str, 'error': str}

SHAPES = {
    'varz': {
        'server_id': str, 'server_name': str, 'version': str, 'go': str, 'host': str, 'port': int,
        'connections': int, 'leafnodes': int, 'routes': int, 'tls_required': bool, 'config_load_time': str,
        'config_digest': str,
        'cluster': {'name': str, 'addr': str, 'cluster_port': int, 'urls': [str]},
        'gateway': {'name': str, 'host': str, 'gateways': [{'name': str, 'urls': [str]}]},
        'jetstream': {'config': dict, 'stats': dict, 'meta': dict},
    },
    'routez': {'num_routes': int, 'routes': [{'remote_id': str, 'remote_name': str, 'ip': str}]},
    'gatewayz': {
        'name': str,
        'outbound_gateways': {ANY_KEY: {'connection': {'name': str, 'ip': str}}},
        'inbound_gateways': {ANY_KEY: [{'connection': {'name': str, 'ip': str}}]},
    },
    'leafz': {'leafnodes': int, 'leafs': [dict]},
    'connz': {'num_connections': int, 'total': int, 'offset': int, 'limit': int, 'connections': [dict]},
    'subsz': {'num_subscriptions': int, 'total': int, 'offset': int, 'limit': int, 'subscriptions_list': [dict]},
    'accountz': dict,
    'accstatz': dict,
    'jsz': {
        'disabled': bool, 'streams': int, 'consumers': int, 'messages': int, 'bytes': int, 'memory': int,
        'storage': int, 'accounts': int, 'total': int,
        'meta_cluster': {'leader': str, 'cluster_size': int, 'replicas': [REPLICA]},
        'account_details': [{
            'name': str, 'id': str,
            'stream_detail': [{'name': str, 'cluster': GROUP, 'consumer_detail': [{'name': str, 'cluster': GROUP}]}],
        }],
    },
    'healthz': {'status': str, 'error': str, 'errors': [HEALTH_ERROR]},
    'raftz': dict,
    'ipqueuesz': dict,
    'expvarz': dict,
}


def _type_name(value):
    if value is None:
        return 'null'
    if isinstance(value, bool):
        return 'true/false'
    if isinstance(value, (int, float)):
        return 'a number'
    if isinstance(value, str):
        return 'text'
    if isinstance(value, list):
        return 'a list'
    if isinstance(value, dict):
        return 'an object'
    return type(value).__name__


def _wanted(shape):
    if isinstance(shape, list):
        return 'a list'
    if isinstance(shape, dict) or shape is dict:
        return 'an object'
    return {str: 'text', int: 'a whole number', bool: 'true/false', list: 'a list'}.get(shape, 'a number')


def _is(value, kind):
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind is NUMBER:
        return isinstance(value, NUMBER) and not isinstance(value, bool)
    return isinstance(value, kind)


def shape_problem(value, shape, path=''):
    """Why ``value`` does not fit ``shape`` ("'a.b[0]' is text, a number expected"), or None."""
    if isinstance(shape, list):
        if not isinstance(value, list):
            return _mismatch(path, value, shape)
        for index, item in enumerate(value):
            if item is None:
                return "'%s[%d]' is null, %s expected" % (path, index, _wanted(shape[0]))
            problem = shape_problem(item, shape[0], '%s[%d]' % (path, index))
            if problem:
                return problem
        return None
    if isinstance(shape, dict):
        if not isinstance(value, dict):
            return _mismatch(path, value, shape)
        if ANY_KEY in shape:
            items = [(key, shape[ANY_KEY]) for key in value]
        else:
            items = [(key, sub) for key, sub in shape.items() if key in value]
        for key, sub in items:
            if value[key] is None:
                continue  # absent and null read the same
            problem = shape_problem(value[key], sub, '%s.%s' % (path, key) if path else key)
            if problem:
                return problem
        return None
    if not _is(value, shape):
        return _mismatch(path, value, shape)
    return None


def _mismatch(path, value, shape):
    if not path:
        return 'the answer is %s, %s expected' % (_type_name(value), _wanted(shape))
    return "'%s' is %s, %s expected" % (path, _type_name(value), _wanted(shape))


def answer_problem(endpoint_name, document):
    """Why an endpoint's parsed answer cannot be used, or None (endpoints without a shape pass)."""
    shape = SHAPES.get(endpoint_name)
    if shape is None:
        return None
    return shape_problem(document, shape)
