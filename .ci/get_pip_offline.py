# nats_tools-get-pip-standin (marker used by the Makefile: a copy carrying it is kept up to date)
"""Offline stand-in for get-pip.py, used by ansible-test to put pip into its virtual environments.

ansible-test (sanity, and units/integration with --requirements) creates venvs without pip and
bootstraps pip with a get-pip.py script it downloads from the internet, which this machine
cannot reach. ansible-test first looks for a cached copy at
~/.ansible/test/cache/get_pip_<pip version with underscores>.py, so the Makefile (target
`get-pip`) copies this file there. ansible-test runs it as __main__ with pip-install style
arguments, e.g. "--disable-pip-version-check pip==24.2 --no-setuptools --no-wheel".

Here pip comes from the wheel bundled with the interpreter (ensurepip, no network). Then the
exact pip version ansible-test asked for is installed through the configured package index
(PyPI is reachable); if that fails, the bundled pip is kept, which ansible-test accepts.
"""
import ensurepip
import importlib.util
import os
import subprocess
import sys

argv = sys.argv[1:]
args = [a for a in argv if a not in ('--no-setuptools', '--no-wheel')]
# ensurepip of Python < 3.12 also installs setuptools, which get-pip.py --no-setuptools would not.
drop_setuptools = ('--no-setuptools' in argv and sys.version_info < (3, 12)
                   and importlib.util.find_spec('setuptools') is None)

# ensurepip removes PIP_* variables from os.environ and points PIP_CONFIG_FILE at /dev/null;
# keep the caller's pip configuration (index, certificates, constraints) for the steps below.
env = dict(os.environ)

ensurepip.bootstrap(upgrade=True, default_pip=True)

wanted = [a for a in args if not a.startswith('-')]
if wanted:
    rc = subprocess.call([sys.executable, '-m', 'pip', 'install', '--quiet'] + args, env=env)
    if rc:
        sys.stderr.write('get-pip stand-in: could not install %s, keeping the bundled pip\n' % ' '.join(wanted))

if drop_setuptools:
    subprocess.call([sys.executable, '-m', 'pip', 'uninstall', '--quiet', '--yes', 'setuptools'], env=env)
