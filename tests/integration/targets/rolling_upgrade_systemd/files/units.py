# Copyright: contributors to the nats_tools.nats collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What systemd says of nats-server on each host of an inventory (over SSH), for the test log:

    units.py INVENTORY

one line per host: ActiveState/SubState, Result, NRestarts, ExecMainStatus, MainPID, the installed
binary's --version, and the unit's last journal lines. Information only: always exits 0.
"""

from __future__ import annotations

import re
import subprocess
import sys


def main(path):
    key = None
    hosts = []
    with open(path) as f:
        for line in f:
            m = re.match(r'^(\S+) ansible_host=(\S+) ansible_port=(\d+)', line)
            if m:
                hosts.append(m.groups())
            m = re.match(r'^ansible_ssh_private_key_file=(\S+)', line)
            if m:
                key = m.group(1)
    remote = ('systemctl show nats-server -p ActiveState,SubState,Result,NRestarts,ExecMainStatus,MainPID | paste -sd" "; '
              '/usr/bin/nats-server --version; dpkg-query -W nats-server 2>/dev/null; '
              'journalctl -u nats-server --no-pager -o cat | grep -v "^\\[" | tail -n 8 | sed "s/^/    /"')
    for name, addr, port in hosts:
        res = subprocess.run(['ssh', '-i', key, '-p', port, '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null',
                              '-o', 'BatchMode=yes', '-o', 'LogLevel=ERROR', 'root@' + addr, remote],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, check=False, timeout=30)
        print('unit %s: %s' % (name, res.stdout.rstrip()))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1]))
