# Copyright: contributors to the nats_tools.nats collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Prints, one per line, the checks that failed in the output of an ansible-playbook run (-v) of
untrusted_servers: the `failed_checks` list that its last task ("Every check passed") shows.
Usage: failed_checks.py LOG [WIDTH]"""

from __future__ import absolute_import, division, print_function

import ast
import json
import sys

__metaclass__ = type  # pylint: disable=invalid-name


def main():
    width = int(sys.argv[2]) if len(sys.argv) > 2 else 240
    found = 0
    with open(sys.argv[1]) as handle:
        for line in handle:
            if 'check(s) failed: [' not in line:
                continue
            try:
                if '=>' in line:  # fatal: [localhost]: FAILED! => {...} on one line
                    msg = json.loads(line.split('=>', 1)[1])['msg']
                elif line.strip().startswith('"msg":'):  # the result printed over several lines
                    msg = json.loads('{%s}' % line.strip().rstrip(','))['msg']
                else:
                    continue
                checks = ast.literal_eval(msg.split(' failed: ', 1)[1])
            except (ValueError, KeyError, SyntaxError, IndexError):
                continue
            for check in checks:
                found += 1
                print('  FAILED CHECK: %s' % (check if len(check) <= width else check[:width] + '...'))
    return 0 if found == 0 else 1


if __name__ == '__main__':
    sys.exit(main())
