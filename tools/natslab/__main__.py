# Copyright: contributors to the nats_tools.nats collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""`python tools/natslab COMMAND ...` (this folder run as a script) or `python -m natslab` with
tools/ on sys.path: the natslab command line."""

from __future__ import absolute_import, division, print_function

import os
import sys

__metaclass__ = type  # pylint: disable=invalid-name

if __package__ in (None, ''):
    # Run as `python tools/natslab`: sys.path[0] is this folder; import the package from its parent
    # instead (and keep this folder off the path, so that its files never shadow other modules).
    HERE = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or '.') != HERE]
    sys.path.insert(0, os.path.dirname(HERE))

from natslab.cli import main  # noqa: E402 pylint: disable=wrong-import-position

if __name__ == '__main__':
    sys.exit(main())
