# Copyright: contributors to the nats_tools.nats collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which servers were touched: /varz `start` of each monitoring URL, saved and compared.

    starts.py save FILE URL...                  {url: start} into FILE
    starts.py touched FILE --at-most N URL...   servers whose start changed (or that do not answer)
                                                since FILE; exit 1 when more than N
"""

from __future__ import annotations

import json
import sys
import urllib.request


def starts(urls):
    out = {}
    for url in urls:
        try:
            with urllib.request.urlopen(url + '/varz', timeout=5) as answer:
                out[url] = json.load(answer).get('start')
        except Exception as exc:  # pylint: disable=broad-except  # a server that does not answer counts as touched
            out[url] = 'no answer: %s' % exc
    return out


def main(argv):
    if len(argv) >= 4 and argv[1] == 'save':
        with open(argv[2], 'w') as f:
            json.dump(starts(argv[3:]), f)
        return 0
    if len(argv) >= 6 and argv[1] == 'touched' and argv[3] == '--at-most':
        with open(argv[2]) as f:
            before = json.load(f)
        now = starts(argv[5:])
        touched = [url for url in now if now[url] != before.get(url)]
        for url in now:
            print('%s: %s -> %s%s' % (url, before.get(url), now[url], '  TOUCHED' if url in touched else ''))
        print('touched %d server(s), at most %s expected' % (len(touched), argv[4]))
        return 0 if len(touched) <= int(argv[4]) else 1
    sys.exit(__doc__)


if __name__ == '__main__':
    sys.exit(main(sys.argv))
