# Copyright: contributors to the nats_tools.nats collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rolling-upgrade demo (``make demo``): rollout_under_load.py, and local_rollout.py with the
task files that let the collection's rolling_upgrade playbook drive natslab processes (also used
by bench/)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name
