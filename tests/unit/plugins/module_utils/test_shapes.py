# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""answer_problem's fast path (a predicate per endpoint shape) gives shape_problem's verdict and
message: on every recorded answer and on answers broken at each depth."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import os

import pytest

from ansible_collections.nats_tools.nats.plugins.module_utils.shapes import SHAPES, answer_problem, shape_problem
from ansible_collections.nats_tools.nats.tests.unit.plugins.modules.utils import FIXTURES_DIR, load_fixture


def recorded_answers():
    """(endpoint, fixture name) of every recorded 200 JSON answer of an endpoint with a shape."""
    found = []
    for folder, _dirs, files in os.walk(FIXTURES_DIR):
        for name in sorted(files):
            if not name.endswith('.json') or name == 'MANIFEST.json' or name.count('.') > 1:
                continue
            endpoint = name.split('_')[0].split('.')[0]
            if endpoint in SHAPES:
                found.append((endpoint, os.path.relpath(os.path.join(folder, name), FIXTURES_DIR)))
    return sorted(found)


ANSWERS = recorded_answers()


def test_many_recordings_are_checked():
    assert len(ANSWERS) > 300
    assert set(e for e, _n in ANSWERS) >= {'varz', 'jsz', 'routez', 'gatewayz', 'connz', 'healthz'}


def test_recorded_answers_get_the_same_verdict():
    differ = []
    for endpoint, name in ANSWERS:
        document = load_fixture(name)
        if isinstance(document, dict) and '_status' in document:
            document = document['_body']
        if answer_problem(endpoint, document) != shape_problem(document, SHAPES[endpoint]):
            differ.append(name)
    assert differ == []


def jsz_with_streams():
    return load_fixture('2.15.1/super_healthy/b1/jsz.json')


BREAKS = [
    ('a list that is text', lambda d: d.update(account_details='APP'), "'account_details' is text, a list expected"),
    ('a top-level count', lambda d: d.update(streams='12'), "'streams' is text, a whole number expected"),
    ('a count that is true', lambda d: d.update(streams=True), "'streams' is true/false, a whole number expected"),
    ('a meta peer', lambda d: d['meta_cluster']['replicas'][1].update(current='yes'),
     "'meta_cluster.replicas[1].current' is text, true/false expected"),
    ('a null list item', lambda d: d['meta_cluster']['replicas'].append(None),
     "'meta_cluster.replicas[5]' is null, an object expected"),
    ('a consumer replica', lambda d: d['account_details'][0]['stream_detail'][0]['consumer_detail'][0]['cluster']
     ['replicas'][0].update(active=1.5),
     "'account_details[0].stream_detail[0].consumer_detail[0].cluster.replicas[0].active' is a number, "
     "a whole number expected"),
    ('a list where an object belongs', lambda d: d['account_details'][0].update(stream_detail={}),
     "'account_details[0].stream_detail' is an object, a list expected"),
]


@pytest.mark.parametrize('what, breaks, message', BREAKS, ids=[b[0] for b in BREAKS])
def test_broken_answers_get_shape_problems_message(what, breaks, message):
    document = jsz_with_streams()
    breaks(document)
    assert answer_problem('jsz', document) == shape_problem(document, SHAPES['jsz'])
    if message:
        assert answer_problem('jsz', document) == message, what


def test_a_whole_number_of_an_int_subclass_still_fits():
    class Count(int):
        pass
    document = jsz_with_streams()
    document['streams'] = Count(3)
    assert answer_problem('jsz', document) is None


def test_null_where_a_list_belongs_fits_like_absent():
    document = copy.deepcopy(jsz_with_streams())
    document['account_details'][0]['stream_detail'] = None
    assert answer_problem('jsz', document) is None


@pytest.mark.parametrize('endpoint', sorted(SHAPES))
def test_a_list_answer_is_refused(endpoint):
    problem = answer_problem(endpoint, [1, 2])
    assert problem == shape_problem([1, 2], SHAPES[endpoint])
    assert problem and 'a list' in problem
