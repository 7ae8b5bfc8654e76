# Copyright: contributors to the nats_tools.nats collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The natslab command line as a Python object, for the demo and the benchmarks: every call runs
`python tools/natslab COMMAND` in a subprocess, bounded in time, as the integration tests do."""

from __future__ import absolute_import, division, print_function

import json
import os
import subprocess
import sys

from .helpers import PACKAGE_DIR
from .state import ENV_FILE

__metaclass__ = type  # pylint: disable=invalid-name

# Commands that take no --workdir
GLOBAL_COMMANDS = ('install', 'versions')


class LabCommandError(Exception):
    """A natslab command failed or timed out; the message ends with its stderr."""


def command(*args, **kwargs):
    """argv of a natslab command: [python, tools/natslab, *args] (``python`` = this interpreter)."""
    return [kwargs.get('python') or sys.executable, PACKAGE_DIR] + [str(a) for a in args]


class Lab:
    """Real nats-server processes in one folder (``workdir``). A failed command raises ``error``
    (LabCommandError; a subclass may name its own exception type)."""

    error = LabCommandError

    def __init__(self, workdir, python=None):
        self.workdir = os.path.abspath(workdir)
        self.python = python or sys.executable
        self.started = False

    def call(self, name, *args, **kwargs):
        """Run one command; CompletedProcess (text stdout/stderr). check=False keeps a failure quiet."""
        timeout = kwargs.pop('timeout', 300)
        check = kwargs.pop('check', True)
        argv = [name] + ([] if name in GLOBAL_COMMANDS else ['--workdir', self.workdir]) + list(args)
        try:
            proc = subprocess.run(command(*argv, python=self.python), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  universal_newlines=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            raise self.error('natslab %s timed out after %ss' % (name, timeout))
        if check and proc.returncode != 0:
            raise self.error('natslab %s %s failed:\n%s' % (name, ' '.join(str(a) for a in args),
                                                            proc.stderr[-3000:]))
        return proc

    def install(self, version):
        self.call('install', '--version', version, timeout=600)

    def start(self, topology, version, ttl=3600, attempts=1, **options):
        """Start a topology bound to this process (--owner-pid) and return its env.yml. A start that
        fails (natslab stops what it started) is tried again up to ``attempts`` times in a fresh
        folder, the failed one kept beside it as <workdir>.failed-<n>."""
        args = ['--topology', topology, '--version', version, '--owner-pid', os.getpid(), '--ttl', ttl]
        for key, value in options.items():
            args += ['--' + key.replace('_', '-'), value]
        for attempt in range(1, attempts + 1):
            self.started = True
            try:
                self.call('start', *args, timeout=180)
                return self.env()
            except self.error:
                self.stop()
                if attempt == attempts:
                    raise
                os.rename(self.workdir, '%s.failed-%d' % (self.workdir, attempt))
                os.makedirs(self.workdir)
        return None

    def env(self):
        with open(os.path.join(self.workdir, ENV_FILE)) as handle:
            return json.load(handle)

    def status(self):
        return json.loads(self.call('status').stdout)

    def stop(self):
        if self.started:
            self.call('stop', check=False, timeout=120)
            self.started = False
