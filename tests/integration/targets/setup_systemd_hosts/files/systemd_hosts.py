# Copyright: contributors to the nats_tools.nats collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Real systemd hosts for tests: Debian bookworm trees booted as systemd-nspawn containers.

    systemd_hosts.py up --workdir DIR [--hosts nats1 nats2 nats3] [--net 127.0.2] [--cache DIR]
    systemd_hosts.py down --workdir DIR
    systemd_hosts.py tree [--cache DIR]

`up` (as root): installs debootstrap, systemd-container (the machine's systemd version) and
openssh-client with apt-get when missing; builds ONE bookworm minbase tree (cached under
<checkout>/.cache/systemd-hosts/base-<recipe hash>, rebuilt when the recipe changes); clones it per
host; gives host N the loopback address <net>.N with sshd on <net>.N:2222 (root by a key generated
for the run), an empty machine-id; boots each with `systemd-nspawn -b --register=no --keep-unit` in a
cgroup of its own (cgroup v1 hybrid paths); waits for `systemctl is-system-running` = running (through
nsenter) and for SSH; writes DIR/inventory.ini and DIR/state.json. On any failure it tears down what
it started before it exits non-zero.

`down`: SIGRTMIN+3 to each container's PID 1, waits, kills what is left in its cgroups, removes the
cgroups and the host trees. Safe to run twice, and after a failed `up`.

Follows ../../../../../../shared/systemd-hosts.md of the team (DANGER: never boot an init with this
machine's own root filesystem; only the debootstrap trees, with systemd-nspawn -D TREE).
Standard library only; Python 3.8+.
"""

from __future__ import annotations

import argparse
import errno
import fcntl
import glob
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

SUITE = 'bookworm'
# python3-apt: ansible.builtin.apt (the role's install method package) needs it on the host.
INCLUDE = ('systemd', 'systemd-sysv', 'dbus', 'python3', 'python3-apt', 'openssh-server', 'iproute2')
# Bump when the base tree is made differently; the hash of the recipe names the cached tree.
RECIPE = {'suite': SUITE, 'variant': 'minbase', 'include': INCLUDE, 'arch': 'host', 'revision': 2}
SSH_PORT = 2222
CHECK_PORTS = (SSH_PORT, 4222, 6222, 8222)
CGROUP_ROOTS = ('/sys/fs/cgroup/systemd', '/sys/fs/cgroup/unified')
BOOT_TIMEOUT = 120
SSH_TIMEOUT = 60
STOP_TIMEOUT = 30


class Failure(Exception):
    """A plain message for the operator; the script prints it and exits 1."""


T0 = time.monotonic()


def log(msg):
    print('[systemd_hosts %6.1fs] %s' % (time.monotonic() - T0, msg), flush=True)


class Phase:
    """with Phase('name'): prints the start, and `PHASE name: N.Ns` at the end (also on failure)."""

    timings = {}

    def __init__(self, name):
        self.name = name
        self.start = 0.0

    def __enter__(self):
        self.start = time.monotonic()
        log('--- %s' % self.name)
        return self

    def __exit__(self, exc_type, exc, tb):
        took = round(time.monotonic() - self.start, 1)
        Phase.timings[self.name] = took
        log('PHASE %s: %.1fs%s' % (self.name, took, '' if exc_type is None else ' (FAILED)'))
        return False


def run(cmd, check=True, capture=False, timeout=None, quiet=False):
    if not quiet:
        log('$ %s' % ' '.join(cmd))
    try:
        res = subprocess.run(cmd, check=False, timeout=timeout, universal_newlines=True,
                             stdout=subprocess.PIPE if capture else None,
                             stderr=subprocess.STDOUT if capture else None)
    except subprocess.TimeoutExpired:
        raise Failure('%s: no answer within %ss' % (' '.join(cmd), timeout))
    if check and res.returncode != 0:
        raise Failure('%s exited %d%s' % (' '.join(cmd), res.returncode,
                                          (': ' + res.stdout.strip()[-2000:]) if capture and res.stdout else ''))
    return res


# ---------------------------------------------------------------------------- machine checks

def check_machine():
    if os.geteuid() != 0:
        raise Failure('systemd hosts need root on this machine (debootstrap, systemd-nspawn, cgroups); '
                      'running as uid %d. This test cannot run here.' % os.geteuid())
    for root in CGROUP_ROOTS:
        if not os.path.isdir(root):
            raise Failure('no %s: this machine does not have the cgroup v1 hybrid layout the containers are '
                          'booted with (see systemd-hosts.md). This test cannot run here.' % root)
    if os.path.exists('/run/systemd/system'):
        log('note: this machine runs systemd itself; the recipe was made for machines without it')


def systemd_version():
    res = run(['dpkg-query', '-W', '-f=${Version}', 'systemd'], check=False, capture=True, quiet=True)
    if res.returncode != 0 or not res.stdout.strip():
        raise Failure('cannot read the version of the systemd package (dpkg-query): %s' % res.stdout.strip())
    return res.stdout.strip()


def ensure_packages():
    want = systemd_version()
    missing = []
    if not shutil.which('debootstrap'):
        missing.append('debootstrap')
    have = run(['dpkg-query', '-W', '-f=${Version}', 'systemd-container'], check=False, capture=True, quiet=True)
    if have.returncode != 0 or have.stdout.strip() != want or not shutil.which('systemd-nspawn'):
        missing.append('systemd-container=%s' % want)
    if not shutil.which('ssh') or not shutil.which('ssh-keygen'):
        missing.append('openssh-client')
    if not shutil.which('nsenter'):
        missing.append('util-linux')
    if not missing:
        log('packages present: debootstrap, systemd-container %s, openssh-client' % want)
        return
    env = dict(os.environ, DEBIAN_FRONTEND='noninteractive')
    for cmd in (['apt-get', 'update'], ['apt-get', 'install', '-y', '--no-install-recommends'] + missing):
        log('$ %s' % ' '.join(cmd))
        if subprocess.run(cmd, env=env, check=False).returncode != 0:
            raise Failure('%s failed: the packages %s could not be installed' % (' '.join(cmd), ' '.join(missing)))


def debian_mirror():
    """The Debian mirror apt on this machine uses for bookworm (its sources lists)."""
    files = ['/etc/apt/sources.list'] + sorted(glob.glob('/etc/apt/sources.list.d/*.list')) + \
        sorted(glob.glob('/etc/apt/sources.list.d/*.sources'))
    for path in files:
        try:
            with open(path) as f:
                text = f.read()
        except OSError:
            continue
        if path.endswith('.sources'):
            for stanza in text.split('\n\n'):
                fields = {}
                for line in stanza.splitlines():
                    if ':' in line and not line.startswith(('#', ' ')):
                        key, value = line.split(':', 1)
                        fields[key.strip().lower()] = value.split()
                if SUITE in fields.get('suites', []) and 'deb' in fields.get('types', []) and fields.get('uris'):
                    return fields['uris'][0]
        else:
            for line in text.splitlines():
                words = line.split('#', 1)[0].split()
                words = [w for w in words if not w.startswith('[')]
                if len(words) >= 3 and words[0] == 'deb' and words[2] == SUITE:
                    return words[1]
    raise Failure('no Debian %s mirror in /etc/apt/sources.list*: cannot choose where debootstrap downloads from' % SUITE)


# ---------------------------------------------------------------------------- the base tree (cached)

def find_cache(given):
    if given:
        return os.path.abspath(given)
    root = os.environ.get('NATS_SERVER_ROOT')
    if root and os.path.isdir(root):
        return os.path.dirname(os.path.abspath(root))
    here = os.path.dirname(os.path.abspath(__file__))
    while here != '/':
        if os.path.isdir(os.path.join(here, '.cache', 'nats-server')):
            return os.path.join(here, '.cache')
        here = os.path.dirname(here)
    raise Failure('cannot find the checkout\'s .cache (give --cache, or set NATS_SERVER_ROOT)')


def base_tree(cache):
    """Path of the base tree for RECIPE: built with debootstrap once, reused while the recipe is the same."""
    recipe = json.dumps(RECIPE, sort_keys=True)
    digest = hashlib.sha256(recipe.encode()).hexdigest()[:12]
    top = os.path.join(cache, 'systemd-hosts')
    os.makedirs(top, exist_ok=True)
    base = os.path.join(top, 'base-%s' % digest)
    marker = os.path.join(base, '.systemd-hosts-recipe.json')
    with open(os.path.join(top, '.lock'), 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)   # another checkout sharing .cache may be building it
        if os.path.exists(marker):
            log('base tree cached: %s (recipe %s)' % (base, digest))
            Phase.timings['debootstrap'] = 0.0
            return base
        with Phase('debootstrap'):
            for old in glob.glob(os.path.join(top, 'base-*')):
                log('removing a base tree of another recipe: %s' % old)
                shutil.rmtree(old, ignore_errors=True)
            building = base + '.building'
            shutil.rmtree(building, ignore_errors=True)
            mirror = debian_mirror()
            log('mirror: %s' % mirror)
            run(['debootstrap', '--variant=minbase', '--include=' + ','.join(INCLUDE), SUITE, building, mirror])
            # no package cache or lists in the clones (~60 MB less to copy)
            for sub in ('var/cache/apt/archives', 'var/lib/apt/lists'):
                for entry in glob.glob(os.path.join(building, sub, '*')):
                    if os.path.isfile(entry):
                        os.unlink(entry)
            with open(os.path.join(building, '.systemd-hosts-recipe.json'), 'w') as f:
                f.write(recipe + '\n')
            os.rename(building, base)
    return base


# ---------------------------------------------------------------------------- hosts

def check_free(addr):
    for port in CHECK_PORTS:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        # as the servers do: connections of an earlier run in TIME_WAIT do not count, listeners do
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((addr, port))
        except OSError as exc:
            raise Failure('%s:%d is in use on this machine (%s): another test run with systemd hosts? '
                          'Choose other addresses with --net' % (addr, port, exc.strerror))
        finally:
            s.close()


def write(path, text, mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write(text)
    os.chmod(path, mode)


def make_host(base, tree, name, addr, pubkey):
    run(['cp', '-a', base, tree])
    write(os.path.join(tree, 'etc/hostname'), name + '\n')
    write(os.path.join(tree, 'etc/hosts'), '127.0.0.1 localhost\n%s %s\n' % (addr, name))
    write(os.path.join(tree, 'etc/machine-id'), '', 0o444)   # empty: systemd makes one at boot
    dbus_id = os.path.join(tree, 'var/lib/dbus/machine-id')
    if os.path.lexists(dbus_id):
        os.unlink(dbus_id)
    os.makedirs(os.path.dirname(dbus_id), exist_ok=True)
    os.symlink('/etc/machine-id', dbus_id)
    ssh_dir = os.path.join(tree, 'root/.ssh')
    os.makedirs(ssh_dir, mode=0o700, exist_ok=True)
    write(os.path.join(ssh_dir, 'authorized_keys'), pubkey, 0o600)
    write(os.path.join(tree, 'etc/ssh/sshd_config.d/systemd-hosts.conf'),
          'ListenAddress %s:%d\nPermitRootLogin prohibit-password\nPasswordAuthentication no\n'
          'KbdInteractiveAuthentication no\nUseDNS no\n' % (addr, SSH_PORT))
    # host keys of its own (the base tree's were made once by the openssh-server package)
    for key in glob.glob(os.path.join(tree, 'etc/ssh/ssh_host_*')):
        os.unlink(key)
    run(['ssh-keygen', '-q', '-A', '-f', tree], quiet=True)
    # nothing on the console: the containers are booted with --console=passive
    for unit in ('getty.target', 'console-getty.service'):
        link = os.path.join(tree, 'etc/systemd/system', unit)
        if not os.path.lexists(link):
            os.symlink('/dev/null', link)


def descendants(pid):
    children = {}
    for stat in glob.glob('/proc/[0-9]*/stat'):
        try:
            with open(stat) as f:
                fields = f.read().rsplit(')', 1)[1].split()
        except (OSError, IndexError):
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.split('/')[2]))
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def container_init(nspawn_pid):
    """PID (as seen here) of the container's PID 1: a descendant of nspawn whose NSpid ends in 1."""
    for pid in descendants(nspawn_pid):
        try:
            with open('/proc/%d/status' % pid) as f:
                for line in f:
                    if line.startswith('NSpid:'):
                        ids = line.split()[1:]
                        if len(ids) > 1 and ids[-1] == '1':
                            return pid
        except OSError:
            continue
    return None


def alive(pid):
    try:
        os.kill(pid, 0)
    except OSError as exc:
        return exc.errno == errno.EPERM
    try:
        with open('/proc/%d/stat' % pid) as f:
            return f.read().rsplit(')', 1)[1].split()[0] != 'Z'
    except OSError:
        return False


def boot(host, workdir):
    cg = host['cgroup']
    for root in CGROUP_ROOTS:
        os.makedirs(os.path.join(root, cg), exist_ok=True)
    logf = open(os.path.join(workdir, '%s.log' % host['name']), 'w')
    script = ('echo $$ > %(s)s/%(cg)s/cgroup.procs && echo $$ > %(u)s/%(cg)s/cgroup.procs && '
              'exec systemd-nspawn -D %(tree)s -M %(name)s -b --register=no --keep-unit --console=passive'
              % {'s': CGROUP_ROOTS[0], 'u': CGROUP_ROOTS[1], 'cg': cg, 'tree': host['tree'], 'name': host['name']})
    log('boot %s: setsid bash -c "%s"' % (host['name'], script))
    proc = subprocess.Popen(['bash', '-c', script], stdin=subprocess.DEVNULL, stdout=logf, stderr=subprocess.STDOUT,
                            start_new_session=True, close_fds=True)
    logf.close()
    host['nspawn_pid'] = proc.pid
    return proc


def nsenter(host, cmd, timeout=20):
    return run(['nsenter', '-t', str(host['init_pid']), '-a'] + cmd, check=False, capture=True, timeout=timeout, quiet=True)


def wait_running(hosts, procs):
    deadline = time.monotonic() + BOOT_TIMEOUT
    waiting = list(hosts)
    while waiting:
        for host in list(waiting):
            proc = procs[host['name']]
            if proc.poll() is not None:
                raise Failure('systemd-nspawn of %s exited %s while booting; see %s/%s.log'
                              % (host['name'], proc.returncode, os.path.dirname(host['tree']), host['name']))
            if not host.get('init_pid'):
                host['init_pid'] = container_init(host['nspawn_pid'])
                if not host['init_pid']:
                    continue
                save_state()
            state = nsenter(host, ['systemctl', 'is-system-running']).stdout.strip()
            if state == 'running':
                log('%s: running (PID 1 here: %d)' % (host['name'], host['init_pid']))
                waiting.remove(host)
            elif state == 'degraded':
                failed = nsenter(host, ['systemctl', '--failed', '--no-legend', '--plain']).stdout.strip()
                raise Failure('%s booted degraded; failed units:\n%s' % (host['name'], failed))
        if waiting and time.monotonic() > deadline:
            raise Failure('not running after %ds: %s' % (BOOT_TIMEOUT, ', '.join(h['name'] for h in waiting)))
        if waiting:
            time.sleep(0.5)


def ssh_base(key):
    return ['ssh', '-i', key, '-p', str(SSH_PORT), '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null',
            '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=3', '-o', 'LogLevel=ERROR']


def wait_ssh(hosts, key):
    deadline = time.monotonic() + SSH_TIMEOUT
    for host in hosts:
        while True:
            res = run(ssh_base(key) + ['root@' + host['addr'], 'hostname'], check=False, capture=True, timeout=15, quiet=True)
            if res.returncode == 0 and res.stdout.strip() == host['name']:
                log('%s: ssh root@%s:%d ok' % (host['name'], host['addr'], SSH_PORT))
                break
            if time.monotonic() > deadline:
                raise Failure('no SSH to %s (%s:%d) within %ds: %s'
                              % (host['name'], host['addr'], SSH_PORT, SSH_TIMEOUT, res.stdout.strip()))
            time.sleep(0.5)


# ---------------------------------------------------------------------------- state, teardown

STATE = {}


def save_state():
    path = os.path.join(STATE['workdir'], 'state.json')
    with open(path + '.tmp', 'w') as f:
        json.dump(STATE, f, indent=1)
    os.rename(path + '.tmp', path)


def cgroup_procs(cg):
    pids = set()
    for root in CGROUP_ROOTS:
        for dirpath, _dirs, files in os.walk(os.path.join(root, cg)):
            if 'cgroup.procs' in files:
                try:
                    with open(os.path.join(dirpath, 'cgroup.procs')) as f:
                        pids.update(int(p) for p in f.read().split())
                except OSError:
                    pass
    return pids


def remove_cgroup(cg):
    for root in CGROUP_ROOTS:
        top = os.path.join(root, cg)
        if not os.path.isdir(top):
            continue
        for dirpath, _dirs, _files in sorted(os.walk(top), key=lambda w: -w[0].count('/')):
            try:
                os.rmdir(dirpath)
            except OSError as exc:
                log('cannot remove cgroup %s: %s' % (dirpath, exc.strerror))
        parent = os.path.dirname(top)
        if parent != root:
            try:
                os.rmdir(parent)   # natstest-<run>, when empty
            except OSError:
                pass


def mounts_under(path):
    with open('/proc/self/mounts') as f:
        return [line.split()[1] for line in f if line.split()[1].startswith(path.rstrip('/') + '/')]


def teardown(state, keep_trees=False):
    hosts = state.get('hosts', [])
    with Phase('teardown'):
        for host in hosts:
            pid = host.get('init_pid') or (container_init(host['nspawn_pid']) if host.get('nspawn_pid') else None)
            if pid and alive(pid):
                log('%s: SIGRTMIN+3 to PID 1 (here %d)' % (host['name'], pid))
                try:
                    os.kill(pid, signal.SIGRTMIN + 3)
                except OSError:
                    pass
        deadline = time.monotonic() + STOP_TIMEOUT
        for host in hosts:
            npid = host.get('nspawn_pid')
            while npid and alive(npid) and time.monotonic() < deadline:
                time.sleep(0.2)
                try:
                    os.waitpid(npid, os.WNOHANG)
                except ChildProcessError:
                    pass
            left = cgroup_procs(host['cgroup'])
            if npid and alive(npid):
                left.add(npid)
            if left:
                log('%s: killing what is left: %s' % (host['name'], ' '.join(str(p) for p in sorted(left))))
                for p in left:
                    try:
                        os.kill(p, signal.SIGKILL)
                    except OSError:
                        pass
                end = time.monotonic() + 10
                while cgroup_procs(host['cgroup']) and time.monotonic() < end:
                    time.sleep(0.2)
            remove_cgroup(host['cgroup'])
            log('%s: stopped%s' % (host['name'], ' (killed)' if left else ''))
        if not keep_trees:
            for host in hosts:
                tree = host.get('tree')
                if tree and os.path.isdir(tree):
                    busy = mounts_under(tree)
                    if busy:
                        log('%s: NOT removing %s, still mounted: %s' % (host['name'], tree, ' '.join(busy)))
                    else:
                        shutil.rmtree(tree, ignore_errors=True)


# ---------------------------------------------------------------------------- commands

def cmd_up(args):
    check_machine()
    workdir = os.path.abspath(args.workdir)
    os.makedirs(workdir, exist_ok=True)
    run_id = '%d-%d' % (os.getpid(), int(time.time()))
    STATE.update({'workdir': workdir, 'run_id': run_id, 'hosts': []})
    with Phase('packages'):
        ensure_packages()
    cache = find_cache(args.cache)
    base = base_tree(cache)
    hosts = [{'name': name, 'addr': '%s.%d' % (args.net, i + 1), 'cgroup': 'natstest-%s/%s' % (run_id, name),
              'tree': os.path.join(workdir, 'trees', name)} for i, name in enumerate(args.hosts)]
    for host in hosts:
        check_free(host['addr'])
    key = os.path.join(workdir, 'id_ed25519')
    procs = {}
    try:
        with Phase('clone'):
            for path in (key, key + '.pub'):
                if os.path.exists(path):
                    os.unlink(path)
            run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', 'systemd-hosts-' + run_id, '-f', key], quiet=True)
            with open(key + '.pub') as f:
                pubkey = f.read()
            os.makedirs(os.path.join(workdir, 'trees'), exist_ok=True)
            for host in hosts:
                if os.path.exists(host['tree']):
                    shutil.rmtree(host['tree'])
                STATE['hosts'].append(host)   # first: a half-made tree is removed by the teardown too
                save_state()
                make_host(base, host['tree'], host['name'], host['addr'], pubkey)
        with Phase('boot'):
            for host in hosts:
                procs[host['name']] = boot(host, workdir)
                save_state()
            wait_running(hosts, procs)
            save_state()
        with Phase('ssh ready'):
            wait_ssh(hosts, key)
        inventory = os.path.join(workdir, 'inventory.ini')
        with open(inventory, 'w') as f:
            f.write('[nats]\n')
            for host in hosts:
                f.write('%s ansible_host=%s ansible_port=%d ansible_user=root\n' % (host['name'], host['addr'], SSH_PORT))
            f.write('\n[nats:vars]\nansible_ssh_private_key_file=%s\n'
                    'ansible_ssh_common_args="-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null"\n'
                    'ansible_python_interpreter=/usr/bin/python3\n' % key)
        STATE['inventory'] = inventory
        STATE['timings'] = Phase.timings
        save_state()
        log('inventory: %s' % inventory)
        log('TIMINGS %s' % ' '.join('%s=%.1fs' % kv for kv in Phase.timings.items()))
    except BaseException:
        log('setup failed: tearing down what was started')
        teardown(STATE, keep_trees=args.keep)
        raise


def cmd_tree(args):
    check_machine()
    with Phase('packages'):
        ensure_packages()
    log('base tree: %s' % base_tree(find_cache(args.cache)))
    log('TIMINGS %s' % ' '.join('%s=%ss' % (k, v) for k, v in Phase.timings.items()))


def cmd_down(args):
    path = os.path.join(os.path.abspath(args.workdir), 'state.json')
    if not os.path.exists(path):
        log('nothing to stop (no %s)' % path)
        return
    with open(path) as f:
        state = json.load(f)
    teardown(state, keep_trees=args.keep)
    os.rename(path, path + '.done')


def on_signal(signum, _frame):
    raise KeyboardInterrupt('signal %d' % signum)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    sub = parser.add_subparsers(dest='cmd')
    up = sub.add_parser('up', help='build, boot and wait for the hosts')
    up.add_argument('--workdir', required=True)
    up.add_argument('--hosts', nargs='+', default=['nats1', 'nats2', 'nats3'])
    up.add_argument('--net', default='127.0.2', help='host N gets <net>.N (default 127.0.2)')
    up.add_argument('--cache', help='the checkout\'s .cache (default: found from NATS_SERVER_ROOT or above this file)')
    up.add_argument('--keep', action='store_true', help='keep the host trees after a failure')
    tree = sub.add_parser('tree', help='only install the packages and build (or find) the cached base tree; '
                          '`make test` starts it early, in the background, so that debootstrap overlaps other stages')
    tree.add_argument('--cache', help='the checkout\'s .cache (default: found from NATS_SERVER_ROOT or above this file)')
    down = sub.add_parser('down', help='stop the hosts of a workdir, remove their cgroups and trees')
    down.add_argument('--workdir', required=True)
    down.add_argument('--keep', action='store_true', help='keep the host trees')
    args = parser.parse_args()
    if not args.cmd:
        parser.error('up, tree or down')
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    try:
        {'up': cmd_up, 'tree': cmd_tree, 'down': cmd_down}[args.cmd](args)
    except Failure as exc:
        log('FAILED: %s' % exc)
        return 1
    except KeyboardInterrupt as exc:
        log('interrupted (%s)' % exc)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
