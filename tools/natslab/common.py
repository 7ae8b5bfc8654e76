# Copyright: contributors to the nats_tools.nats collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared by every natslab file: the error type, progress log, small file helpers."""

from __future__ import absolute_import, division, print_function

import json
import os
import sys
import time

__metaclass__ = type  # pylint: disable=invalid-name


HOST = '127.0.0.1'


class LabError(Exception):
    """A failure reported to the user with exit code 1 (no traceback)."""


def log(msg):
    print('[natslab %s] %s' % (time.strftime('%H:%M:%S'), msg), file=sys.stderr, flush=True)


def abspath(path):
    return os.path.abspath(os.path.expanduser(path))


def atomic_write(path, text):
    tmp = '%s.tmp.%d' % (path, os.getpid())
    with open(tmp, 'w') as handle:
        handle.write(text)
    os.replace(tmp, path)


def write_json(path, data):
    atomic_write(path, json.dumps(data, sort_keys=True) + '\n')


def tail(path, lines=40):
    try:
        with open(path, 'rb') as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - 65536))
            data = handle.read().decode('utf-8', 'replace')
    except (IOError, OSError):
        return '(no log at %s)' % path
    return '\n'.join(data.splitlines()[-lines:])


def import_nats():
    try:
        import nats  # pylint: disable=import-outside-toplevel
    except ImportError:
        raise LabError('this step needs nats-py in %s (pip install nats-py); '
                       'set NATS_HARNESS_PYTHON to an interpreter that has it' % sys.executable)
    return nats
