# -*- coding: utf-8 -*-
# Copyright (c) nats_tools.nats contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""plot_scale.py SWEEP.json OUT.png: the gate's cost against servers and streams (measurement 5h of
bench/run.py, bench/replay_scale.py). Runs in the bench venv (matplotlib, bench/requirements.txt)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import sys

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402 pylint: disable=wrong-import-position


def series(points, axis, key):
    chosen = sorted((p for p in points if p['axis'] == axis), key=lambda p: p[axis])
    xs = [p[axis] for p in chosen]
    mid = [p[key]['median'] for p in chosen]
    low = [m - p[key]['min'] for m, p in zip(mid, chosen)]
    high = [p[key]['max'] - m for m, p in zip(mid, chosen)]
    return xs, mid, [low, high]


def main(source, target):
    with open(source) as handle:
        sweep = json.load(handle)
    points = sweep['points']
    fig, axes = plt.subplots(2, 2, figsize=(10, 7), constrained_layout=True)
    panels = (
        (0, 'servers', 'module_s', 'seconds', 'gate round vs. servers (1,000 R3 streams, 3,000 consumers)', 3.0),
        (1, 'servers', 'maxrss_mib', 'MiB', 'peak RSS vs. servers', 300),
        (2, 'streams', 'module_s', 'seconds', 'gate round vs. streams (100 servers, 3 consumers per stream)', 3.0),
        (3, 'streams', 'maxrss_mib', 'MiB', 'peak RSS vs. streams', 300),
    )
    for index, axis, key, unit, title, target_line in panels:
        ax = axes[index // 2][index % 2]
        xs, mid, err = series(points, axis, key)
        if not xs:
            continue
        ax.errorbar(xs, mid, yerr=err, marker='o', capsize=3, label='nats_gate module process (median, min-max)')
        if key == 'module_s':
            chosen = sorted((p for p in points if p['axis'] == axis), key=lambda p: p[axis])
            ax.plot([p[axis] for p in chosen], [p['read_s'] + p['judge_s'] for p in chosen], marker='s',
                    linestyle=':', label='the round alone, in the benchmark process (read + judge)')
        ax.axhline(target_line, color='grey', linestyle='--', linewidth=1, label='target at 100 servers / 10,000 streams')
        ax.set_title(title, fontsize=10)
        ax.set_xlabel(axis)
        ax.set_ylabel(unit)
        ax.set_ylim(bottom=0)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7, loc='upper left')
    fig.suptitle('nats_gate (wait: false) against the replay of tools/replay, %d run(s) per point' % sweep.get('reps', 1),
                 fontsize=11)
    fig.savefig(target, dpi=100)
    print(target)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1], sys.argv[2]))
