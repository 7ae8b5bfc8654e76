# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What every measurement of bench/run.py shares: the collection install, the local-cluster tool
(natslab, tools/natslab) and the demo's rollout (tools/demo/local_rollout.py), ansible-playbook
runs, a module-process rusage wrapper, a /healthz side poller and statistics. Plain Python 3.11
(controller side), standard library only (nats-py through natslab)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from urllib.parse import urlsplit

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
# tools/: natslab (the local-cluster tool) and demo (the rollout against local processes, for rollout.py)
TOOLS = os.path.join(ROOT, 'tools')
if TOOLS not in sys.path:
    sys.path.insert(0, TOOLS)

from natslab.lab import Lab  # noqa: E402 pylint: disable=wrong-import-position

MIB = 1024.0 * 1024.0


def log(msg):
    sys.stderr.write('[bench %s] %s\n' % (time.strftime('%H:%M:%S'), msg))
    sys.stderr.flush()


class BenchError(Exception):
    """A set-up step failed; the measurement that needed it is reported as not run."""


# ---------------------------------------------------------------------------
# Statistics
# ---------------------------------------------------------------------------

def summary(values, digits=3):
    """{median, min, max, n, values} of the numbers (None values are dropped)."""
    values = [v for v in values if v is not None]
    if not values:
        return dict(median=None, min=None, max=None, n=0, values=[])
    return dict(median=round(statistics.median(values), digits), min=round(min(values), digits),
                max=round(max(values), digits), n=len(values), values=[round(v, digits) for v in values])


# ---------------------------------------------------------------------------
# Environment: tools on PATH, the collection where ansible-playbook finds it
# ---------------------------------------------------------------------------

def prepare_environment(workroot, collections_path=None):
    """PATH gets this interpreter's bin folder first (ansible-playbook of the same venv), and
    ANSIBLE_COLLECTIONS_PATH points at a fresh build of this checkout: `ansible-galaxy collection
    build` + `install` into <workroot>/collections (or at ``collections_path`` when given).
    Returns the collections path."""
    bindir = os.path.dirname(sys.executable)
    os.environ['PATH'] = bindir + os.pathsep + os.environ.get('PATH', '')
    for tool in ('ansible-playbook', 'ansible', 'ansible-galaxy'):
        if not shutil.which(tool):
            raise BenchError('%s not found next to %s or on PATH' % (tool, sys.executable))
    os.environ.setdefault('ANSIBLE_LOCALHOST_WARNING', 'false')
    os.environ.setdefault('ANSIBLE_INVENTORY_UNPARSED_WARNING', 'false')
    os.environ['ANSIBLE_NOCOLOR'] = '1'
    os.environ['PYTHONDONTWRITEBYTECODE'] = '1'
    if collections_path:
        found = os.path.join(collections_path, 'ansible_collections', 'nats_tools', 'nats', 'galaxy.yml')
        found_manifest = os.path.join(collections_path, 'ansible_collections', 'nats_tools', 'nats', 'MANIFEST.json')
        if not (os.path.exists(found) or os.path.exists(found_manifest)):
            raise BenchError('no nats_tools.nats collection under %s' % collections_path)
        os.environ['ANSIBLE_COLLECTIONS_PATH'] = os.path.abspath(collections_path)
        return os.environ['ANSIBLE_COLLECTIONS_PATH']
    target = os.path.join(workroot, 'collections')
    dist = os.path.join(workroot, 'dist')
    os.makedirs(dist, exist_ok=True)
    started = time.monotonic()
    run_checked(['ansible-galaxy', 'collection', 'build', '--force', '--output-path', dist, ROOT], cwd=workroot)
    tarballs = [n for n in os.listdir(dist) if n.endswith('.tar.gz')]
    if len(tarballs) != 1:
        raise BenchError('ansible-galaxy collection build left %s in %s' % (tarballs, dist))
    run_checked(['ansible-galaxy', 'collection', 'install', '--force', '--offline', '-p', target,
                 os.path.join(dist, tarballs[0])], cwd=workroot)
    os.environ['ANSIBLE_COLLECTIONS_PATH'] = target
    log('collection built and installed into %s in %.1f s' % (target, time.monotonic() - started))
    return target


def run_checked(cmd, cwd=None, timeout=600):
    proc = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, timeout=timeout, check=False)
    if proc.returncode != 0:
        raise BenchError('%s failed (exit %d):\n%s' % (' '.join(cmd), proc.returncode, proc.stdout[-3000:]))
    return proc.stdout


def collection_import_path():
    """Make ansible_collections.nats_tools.nats (the installed build) importable here."""
    for path in os.environ.get('ANSIBLE_COLLECTIONS_PATH', '').split(os.pathsep):
        if path and path not in sys.path:
            sys.path.append(path)


def machine_info():
    info = dict(nproc=os.cpu_count(), python=sys.version.split()[0])
    try:
        with open('/proc/cpuinfo') as handle:
            for line in handle:
                if line.startswith('model name'):
                    info['cpu'] = line.split(':', 1)[1].strip()
                    break
        with open('/proc/meminfo') as handle:
            for line in handle:
                if line.startswith('MemTotal'):
                    info['memory_gib'] = round(int(line.split()[1]) / 1024.0 / 1024.0, 1)
                    break
        with open('/proc/loadavg') as handle:
            info['loadavg_at_start'] = handle.read().split()[:3]
    except (IOError, OSError):
        pass
    try:
        from ansible.release import __version__ as ansible_version  # pylint: disable=import-outside-toplevel
        info['ansible_core'] = ansible_version
    except ImportError:
        info['ansible_core'] = None
    try:
        import nats  # pylint: disable=import-outside-toplevel
        info['nats_py'] = getattr(nats, '__version__', None) or _dist_version('nats-py')
    except ImportError:
        info['nats_py'] = None
    info['requests'] = _dist_version('requests')
    info['kernel'] = os.uname().release
    return info


def _dist_version(name):
    try:
        from importlib.metadata import version  # pylint: disable=import-outside-toplevel
        return version(name)
    except Exception:  # pylint: disable=broad-except
        return None


# What bench/requirements.txt brings: nats-tools (measurement 2) and matplotlib (the plot of measurement 5).
BENCH_IMPORTS = ('nats_tools.monitor', 'matplotlib')


def bench_python(options):
    """An interpreter that imports BENCH_IMPORTS: this one, or the bench venv (options.natstools_venv,
    .cache/bench-venv), created or completed with bench/requirements.txt when it lacks one of them.
    Returns (python, None) or (None, reason)."""
    check = '; '.join('import %s' % name for name in BENCH_IMPORTS)
    if subprocess.call([sys.executable, '-c', check], cwd='/', stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL) == 0:
        return sys.executable, None
    venv = options.natstools_venv
    python = os.path.join(venv, 'bin', 'python')
    if os.path.exists(python) and subprocess.call([python, '-c', check], cwd='/', stdout=subprocess.DEVNULL,
                                                  stderr=subprocess.DEVNULL) == 0:
        return python, None
    log('installing bench/requirements.txt into %s' % venv)
    try:
        if not os.path.exists(python):
            run_checked([sys.executable, '-m', 'venv', venv], timeout=300)
        run_checked([python, '-m', 'pip', 'install', '-qq', '--disable-pip-version-check', '-r',
                     os.path.join(BENCH, 'requirements.txt')], timeout=900)
    except (BenchError, subprocess.TimeoutExpired, OSError) as exc:
        lines = [line for line in str(exc).splitlines() if line.strip()]
        return None, 'pip install -r bench/requirements.txt into %s failed: %s' % (venv, ' / '.join(lines[-3:]))
    proc = subprocess.run([python, '-c', check], cwd='/', stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, check=False)
    if proc.returncode != 0:
        return None, '%s does not work after the install: %s' % (check, proc.stdout.strip()[-300:])
    return python, None


# ---------------------------------------------------------------------------
# Real nats-server processes: natslab (tools/natslab)
# ---------------------------------------------------------------------------

class Harness(Lab):
    """natslab's Lab, failing with BenchError (a measurement that needed it is reported as not run),
    and a failed start tried once more by default."""

    error = BenchError

    def start(self, topology, version, ttl=3600, attempts=2, **options):
        return super(Harness, self).start(topology, version, ttl=ttl, attempts=attempts, **options)


# ---------------------------------------------------------------------------
# Running Ansible, and the module process's time and peak RSS
# ---------------------------------------------------------------------------

WRAPPER = '''#!%(python)s
# Written by bench/benchlib.py: runs the module with the real interpreter and appends its start,
# then its end with wall time and peak RSS (getrusage(RUSAGE_CHILDREN).ru_maxrss, KiB on Linux).
import json, resource, subprocess, sys, time
module = [a for a in sys.argv[1:] if 'AnsiballZ_' in a]
module = module[0].rsplit('AnsiballZ_', 1)[-1] if module else None
def note(**data):
    with open(%(log)r, 'a') as handle:
        handle.write(json.dumps(dict(data, module=module)) + '\\n')
started = time.time()
note(event='start', start=started)
rc = subprocess.call([%(python)r] + sys.argv[1:])
ended = time.time()
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
note(event='end', start=started, end=ended, rc=rc, maxrss_kib=usage.ru_maxrss, user_s=usage.ru_utime,
     sys_s=usage.ru_stime)
sys.exit(rc)
'''


class ModuleProbe:
    """An interpreter for ansible_python_interpreter that records every module process it runs."""

    def __init__(self, workdir, name='probe'):
        self.path = os.path.join(workdir, '%s-python' % name)
        self.log = os.path.join(workdir, '%s-rusage.jsonl' % name)
        with open(self.path, 'w') as handle:
            handle.write(WRAPPER % dict(python=sys.executable, log=self.log))
        os.chmod(self.path, 0o755)

    def entries(self, event='end'):
        if not os.path.exists(self.log):
            return []
        with open(self.log) as handle:
            lines = [json.loads(line) for line in handle if line.strip()]
        return [e for e in lines if e.get('event') == event]

    def clear(self):
        if os.path.exists(self.log):
            os.remove(self.log)


def write_json(path, data):
    with open(path, 'w') as handle:
        json.dump(data, handle, indent=2)


def run_ansible(cmd, workdir, log_name, timeout=600):
    """Run an ansible / ansible-playbook command; (rc, wall seconds, output file)."""
    out_path = os.path.join(workdir, log_name)
    started = time.monotonic()
    with open(out_path, 'w') as out:
        try:
            rc = subprocess.call(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=workdir, timeout=timeout)
        except subprocess.TimeoutExpired:
            rc = -1
    return rc, time.monotonic() - started, out_path


# ---------------------------------------------------------------------------
# Raw HTTP and the /healthz side poller
# ---------------------------------------------------------------------------

def raw_get(url, timeout=30):
    """One GET on a fresh connection; (status, body bytes, seconds to the last byte)."""
    parts = urlsplit(url)
    started = time.perf_counter()
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        conn.request('GET', parts.path + ('?' + parts.query if parts.query else ''))
        response = conn.getresponse()
        body = response.read()
        return response.status, body, time.perf_counter() - started
    finally:
        conn.close()


def healthz_status(url, timeout=0.5):
    """HTTP status of url + /healthz, 0 when nothing answers in time."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        conn.request('GET', parts.path.rstrip('/') + '/healthz')
        response = conn.getresponse()
        response.read()
        return response.status
    except (OSError, http.client.HTTPException):
        return 0
    finally:
        conn.close()


class HealthzPoller:
    """Samples /healthz of each server every ``interval`` seconds in a thread of its own:
    [(wall time, name, status)], status 0 = no answer. Stops on stop() or after max_seconds."""

    def __init__(self, urls_by_name, interval=0.05, max_seconds=900):
        self.urls = dict(urls_by_name)
        self.interval = interval
        self.max_seconds = max_seconds
        self.samples = []
        self._stop = threading.Event()
        self._thread = None

    def start(self):
        self._thread = threading.Thread(target=self._run, name='healthz-poller', daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        return self.samples

    def _run(self):
        deadline = time.monotonic() + self.max_seconds
        next_at = time.monotonic()
        while not self._stop.is_set() and time.monotonic() < deadline:
            for name, url in self.urls.items():
                self.samples.append((time.time(), name, healthz_status(url)))
            next_at += self.interval
            delay = next_at - time.monotonic()
            if delay > 0:
                self._stop.wait(delay)
            else:
                next_at = time.monotonic()

    def of(self, name):
        return [(t, s) for t, n, s in self.samples if n == name]


def make_tempdir(prefix):
    return tempfile.mkdtemp(prefix=prefix)


def run_module(module, args, probe, workdir, label, timeout=300):
    """One ad hoc module run (`ansible localhost -m`) through the probe interpreter: the ansible
    command's wall time, the module process's wall time and peak RSS, the log with its result."""
    probe.clear()
    cmd = ['ansible', 'localhost', '-i', 'localhost,', '-c', 'local', '-m', module, '-a', json.dumps(args),
           '-e', 'ansible_python_interpreter=%s' % probe.path]
    rc, wall, out_path = run_ansible(cmd, workdir, '%s.log' % label, timeout)
    ends = probe.entries()
    entry = ends[-1] if ends else {}
    return dict(rc=rc, ansible_s=wall, log=out_path,
                module_s=(entry['end'] - entry['start']) if entry else None,
                module_start=entry.get('start'), module_end=entry.get('end'),
                maxrss_mib=(entry['maxrss_kib'] / 1024.0) if entry else None)


def adhoc_result(path):
    """The result dict an ad hoc run printed (`localhost | SUCCESS => {...}`), or None."""
    with open(path) as handle:
        text = handle.read()
    marker = text.find(' => {')
    if marker < 0:
        return None
    try:
        return json.JSONDecoder().raw_decode(text[marker + 4:])[0]
    except ValueError:
        return None
