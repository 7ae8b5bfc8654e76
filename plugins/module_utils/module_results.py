# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# Simplified BSD License (see LICENSES/BSD-2-Clause.txt or https://opensource.org/licenses/BSD-2-Clause)
# SPDX-License-Identifier: BSD-2-Clause

"""How a module's result leaves the process: as AnsibleModule.exit_json / fail_json send it,
without copying every value of a large result when no secret can be in it.

exit_json runs ``remove_values(result, no_log_values)``, which copies every value of the
result to strip the module's no_log strings (url_password, header values, a password given in
a URL), even when there is none. For large answers that is most of the run: 81 % of main()
for 5,000 connections of /connz (cProfile, ansible-core 2.19; docs/performance.md). The copy
is skipped for the values the module returns - never for Ansible's own keys (``invocation``,
which holds the parameters, ``warnings``, ``deprecations``, ``exception``) - when no no_log
string can be among them:

- no no_log value was given (nothing to strip; remove_values would return an equal copy: the
  result is plain JSON data, str / int / float / bool / None / list / dict, from json.loads of
  the server's answers and the module's own counters); or
- every no_log value is a non-empty string without the characters JSON writes escaped (``"``,
  ``\\`` and control characters), and none occurs in the result serialised as JSON with
  ``ensure_ascii=False``. Then every string of the result (values and keys) appears verbatim
  in that text, so a no_log value inside any of them would be found there; remove_values
  (which looks at values only) would change nothing.

Otherwise - a no_log value found, one with an escaped character, a value JSON cannot encode
- the whole result goes through remove_values as before. Needs the
``_record_module_result`` hook of ansible-core 2.19+ (the one ansible.netcommon uses); with
older ansible-core everything goes through remove_values."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import tempfile

# Keys that AnsibleModule adds or handles itself: always through remove_values.
ANSIBLE_KEYS = frozenset(('invocation', 'warnings', 'deprecations', 'exception', 'path'))
# Characters json.dumps(ensure_ascii=False) writes as an escape sequence.
_JSON_ESCAPED = frozenset('"\\' + ''.join(chr(c) for c in range(32)))


def secrets_absent(result, secrets):
    """True when no string of ``result`` can hold any of ``secrets`` (see the module doc)."""
    secrets = list(secrets or ())
    if not secrets:
        return True
    if any(not isinstance(s, str) or not s or _JSON_ESCAPED.intersection(s) for s in secrets):
        return False
    try:
        text = json.dumps(result, ensure_ascii=False)
    except (TypeError, ValueError):
        return False
    return not any(s in text for s in secrets)


def send_results_without_copy(module):
    """Make ``module``'s exit_json / fail_json skip remove_values' copy of the module's own values
    when secrets_absent proves it needless. Returns whether the shortcut is in place."""
    record = getattr(module, '_record_module_result', None)
    original = getattr(module, '_return_formatted', None)
    if record is None or original is None:
        return False

    def return_formatted(kwargs):
        ours = dict((k, v) for k, v in kwargs.items() if k not in ANSIBLE_KEYS)
        if ours and 'path' not in kwargs and secrets_absent(ours, module.no_log_values):
            for key in ours:
                del kwargs[key]

            def record_with_ours(formatted):
                record(dict(ours, **formatted))
            module._record_module_result = record_with_ours
        return original(kwargs)

    module._return_formatted = return_formatted
    return True


def write_json_file(module, dest, document):
    """Write ``document`` as JSON to ``dest`` on the host running the module (nats_info ``dest``):
    atomically, mode 0600 (server answers can name users and accounts), no_log values masked as
    in a result. Returns whether the file changed (its content differs); in check mode nothing is
    written."""
    if not secrets_absent(document, module.no_log_values):
        from ansible.module_utils.common.parameters import remove_values  # pylint: disable=import-outside-toplevel
        document = remove_values(document, module.no_log_values)
    data = json.dumps(document, sort_keys=True).encode('utf-8')
    dest = os.path.abspath(os.path.expanduser(dest))
    try:
        with open(dest, 'rb') as handle:
            changed = handle.read() != data
    except (IOError, OSError):
        changed = True
    if not changed or module.check_mode:
        return changed
    folder = os.path.dirname(dest)
    if not os.path.isdir(folder):
        module.fail_json(msg='dest %s: folder %s does not exist' % (dest, folder))
    temporary = None
    try:
        # mkstemp creates the file 0600; os.replace keeps that mode, and readers see the old file or the new one.
        handle, temporary = tempfile.mkstemp(prefix='.nats_info.', dir=folder)
        with os.fdopen(handle, 'wb') as out:
            out.write(data)
        os.replace(temporary, dest)
    except (IOError, OSError) as exc:
        if temporary is not None and os.path.exists(temporary):
            os.unlink(temporary)
        module.fail_json(msg='dest %s: cannot write: %s' % (dest, exc))
    return True
