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
METADATA = {ANY_KEY: str}
CONSUMER = {'name': str, 'cluster': GROUP, 'config': {'metadata': METADATA},
            'num_pending': int, 'num_ack_pending': int, 'num_redelivered': int, 'num_waiting': int,
            'delivered': {'last_active': str}, 'ack_floor': {'last_active': str}}
HEALTH_ERROR = {'type': str, 'account': str, 'stream': str, 'consumer': str, 'error': str}

SHAPES = {
    'varz': {
        'server_id': str, 'server_name': str, 'version': str, 'go': str, 'host': str, 'port': int,
        'connections': int, 'leafnodes': int, 'routes': int, 'tls_required': bool, 'config_load_time': str,
        'config_digest': str,
        # nats_check
        'cpu': NUMBER, 'mem': int, 'start': str, 'now': str, 'slow_consumers': int, 'stale_connections': int,
        'stalled_clients': int, 'tls_cert_not_after': str,
        'cluster': {'name': str, 'addr': str, 'cluster_port': int, 'urls': [str]},
        'gateway': {'name': str, 'host': str, 'gateways': [{'name': str, 'urls': [str]}]},
        'jetstream': {'config': {'max_memory': int, 'max_storage': int}, 'stats': dict, 'meta': dict},
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
            'memory': int, 'storage': int, 'reserved_memory': int, 'reserved_storage': int,
            'stream_detail': [{'name': str, 'cluster': GROUP, 'consumer_detail': [CONSUMER],
                               'config': {'max_bytes': int, 'max_msgs': int, 'metadata': METADATA},
                               'state': {'messages': int, 'bytes': int, 'num_subjects': int, 'last_ts': str}}],
        }],
        # nats_check
        'now': str, 'config': {'max_memory': int, 'max_storage': int}, 'api': {'errors': int},
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


def _leaf_types(shape):
    """The exact types of a leaf shape (JSON gives exact types), or None for a list or object shape."""
    if isinstance(shape, (list, dict)):
        return None
    if shape is NUMBER:
        return frozenset((int, float))
    return frozenset((shape,))


def _predicate(shape):
    """A function telling whether a value surely fits ``shape``, for answers as json.loads makes them.

    Checking a /jsz of 1,200 streams and consumers with shape_problem took 50 ms (a path string built
    for every item): most of a gate round over 100 servers. This predicate checks exact types (False
    may be wrong for an int subclass, never True for a wrong type); answer_problem asks shape_problem
    whenever it says False, so the verdict and the message are shape_problem's."""
    leaf = _leaf_types(shape)
    if leaf is not None:
        return lambda value: type(value) in leaf
    if isinstance(shape, list):
        item_leaf = _leaf_types(shape[0])
        if item_leaf is not None:
            return lambda value: isinstance(value, list) and all(type(item) in item_leaf for item in value)
        fits_item = _predicate(shape[0])
        return lambda value: isinstance(value, list) and all(item is not None and fits_item(item) for item in value)
    if ANY_KEY in shape:
        fits_any = _predicate(shape[ANY_KEY])
        return lambda value: isinstance(value, dict) and all(item is None or fits_any(item) for item in value.values())
    keyed = tuple((key, _leaf_types(sub), _predicate(sub)) for key, sub in shape.items())

    def fits_object(value):
        if not isinstance(value, dict):
            return False
        for key, types, fits in keyed:
            item = value.get(key)
            if item is None:
                continue
            if types is not None:
                if type(item) not in types:
                    return False
            elif not fits(item):
                return False
        return True
    return fits_object


_PREDICATES = dict((name, _predicate(shape)) for name, shape in SHAPES.items())


def answer_problem(endpoint_name, document):
    """Why an endpoint's parsed answer cannot be used, or None (endpoints without a shape pass)."""
    shape = SHAPES.get(endpoint_name)
    if shape is None or _PREDICATES[endpoint_name](document):
        return None
    return shape_problem(document, shape)
