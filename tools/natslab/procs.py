# Copyright: contributors to the nats_tools.nats collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Process control: is a recorded pid still ours, signals, waits for exits, file limits."""

from __future__ import absolute_import, division, print_function

import os
import resource
import signal
import time

from .common import LabError, log

__metaclass__ = type  # pylint: disable=invalid-name


SIGNALS = {
    'KILL': signal.SIGKILL, 'TERM': signal.SIGTERM, 'INT': signal.SIGINT,
    'QUIT': signal.SIGQUIT, 'HUP': signal.SIGHUP, 'USR1': signal.SIGUSR1,
    'USR2': signal.SIGUSR2, 'STOP': signal.SIGSTOP, 'CONT': signal.SIGCONT,
    # friendly aliases, as nats-server --signal spells them
    'LDM': signal.SIGUSR2, 'RELOAD': signal.SIGHUP, 'REOPEN': signal.SIGUSR1,
}
# signals after which the process is expected to exit (waited for by default)
EXITING_SIGNALS = (signal.SIGKILL, signal.SIGTERM, signal.SIGINT, signal.SIGQUIT)


def cmdline(pid):
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
            args = cmdline(pid)
            if args is None or marker not in args:
                return False  # the pid was reused by an unrelated process
    return True


def reap(pid):
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
            reap(pid)
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


def parse_signal(name):
    key = name.upper()
    if key.startswith('SIG'):
        key = key[3:]
    if key not in SIGNALS:
        raise LabError('unknown signal %r (one of %s)' % (name, ', '.join(sorted(SIGNALS))))
    return SIGNALS[key]
