# Copyright: contributors to the nats_tools.nats collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""TLS material for the tls topology (made with openssl) and the matching client context."""

from __future__ import absolute_import, division, print_function

import os
import shutil
import ssl
import subprocess

from .common import LabError

__metaclass__ = type  # pylint: disable=invalid-name


def openssl(args, cwd):
    exe = shutil.which('openssl')
    if not exe:
        raise LabError('the tls topology needs the openssl command line tool')
    proc = subprocess.run([exe] + args, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False)
    if proc.returncode != 0:
        raise LabError('openssl %s failed:\n%s' % (' '.join(args), proc.stdout.decode('utf-8', 'replace')))


def make_tls(workdir, days=30):
    """Test CA, server cert (127.0.0.1, localhost) and client cert, EC P-256, valid ``days`` days
    (the CA 30 days or more; a short-lived server certificate is what nats_check's tls check sees)."""
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
        openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
                 '-config', cnf, '-subj', '/O=nats_tools.nats tests/CN=%s' % cn,
                 '-keyout', '%s-key.pem' % name, '-out', '%s.csr' % name], workdir)
        if name == 'ca':
            sign = ['-signkey', 'ca-key.pem', '-out', 'ca.pem']
        else:
            sign = ['-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-out', '%s-cert.pem' % name]
        valid = max(days, 30) if name == 'ca' else days
        openssl(['x509', '-req', '-in', '%s.csr' % name, '-days', str(valid), '-extfile', cnf, '-extensions', name] + sign,
                workdir)
    return {
        'ca': os.path.join(workdir, 'ca.pem'),
        'ca_key': os.path.join(workdir, 'ca-key.pem'),
        'server_cert': os.path.join(workdir, 'server-cert.pem'),
        'server_key': os.path.join(workdir, 'server-key.pem'),
        'client_cert': os.path.join(workdir, 'client-cert.pem'),
        'client_key': os.path.join(workdir, 'client-key.pem'),
    }


def client_tls_context(state):
    tls = state.get('tls')
    if not tls:
        return None
    ctx = ssl.create_default_context(cafile=tls['ca'])
    ctx.load_cert_chain(tls['client_cert'], tls['client_key'])
    return ctx
