#!/usr/bin/env python3
"""Summarise a `make test` run from the saved ansible-test outputs.

    summary.py RESULTS_DIR               print per-stage counts and times; the last line is
                                         "TOTAL: N passed, N failed, N skipped"
    summary.py --check-units STAGE_DIR   fail unless the unit run executed at least one test

RESULTS_DIR (build/results) holds stages.txt ("<stage> <passed|failed> <seconds>" per line,
written by the Makefile; stages setup, sanity, units, units-2.16, integration, integration-2.16,
systemd-hosts-test, publish-check) and one copy of ansible-test's tests/output per stage:
  sanity/junit/ansible-test-sanity-*.xml   one file per sanity test (ansible-test --junit)
  sanity/ansible-lint.status               passed | failed | skipped (Makefile)
  units/junit/python*-units.xml            pytest junit files written by ansible-test units
  units-2.16/junit/python*-units.xml       the same with ansible-core 2.16
  integration/integration-targets.txt      targets selected (ansible-test --list-targets)
  integration/data/integration-*.json      targets that passed, with run_time_seconds
  integration-2.16/...                     the same with ansible-core 2.16
  publish-check/<tool>.status              passed | failed per tool: galaxy-importer, antsibull-docs
Standard library only.
"""

import glob
import json
import os
import sys
import xml.etree.ElementTree as ET


class Counts:
    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.skipped = 0
        self.failed_names = []

    def add(self, other):
        self.passed += other.passed
        self.failed += other.failed
        self.skipped += other.skipped
        self.failed_names.extend(other.failed_names)

    def line(self):
        return '%d passed, %d failed, %d skipped' % (self.passed, self.failed, self.skipped)


def junit_counts(paths):
    counts = Counts()
    for path in paths:
        try:
            root = ET.parse(path).getroot()
        except ET.ParseError as exc:
            counts.failed += 1
            counts.failed_names.append('%s (unreadable junit: %s)' % (os.path.basename(path), exc))
            continue
        for case in root.iter('testcase'):
            name = '::'.join(part for part in (case.get('classname'), case.get('name')) if part)
            if case.find('failure') is not None or case.find('error') is not None:
                counts.failed += 1
                counts.failed_names.append(name)
            elif case.find('skipped') is not None:
                counts.skipped += 1
            else:
                counts.passed += 1
    return counts


def sanity_counts(stage_dir):
    counts = junit_counts(sorted(glob.glob(os.path.join(stage_dir, 'junit', 'ansible-test-sanity-*.xml'))))
    status_file = os.path.join(stage_dir, 'ansible-lint.status')
    lint = 'not run'
    if os.path.exists(status_file):
        with open(status_file) as handle:
            lint = handle.read().strip()
        if lint == 'passed':
            counts.passed += 1
        elif lint == 'failed':
            counts.failed += 1
            counts.failed_names.append('ansible-lint')
        else:
            counts.skipped += 1
    return counts, 'sanity tests and ansible-lint (%s)' % lint


def units_counts(stage_dir):
    counts = Counts()
    per_python = {}
    for path in sorted(glob.glob(os.path.join(stage_dir, 'junit', 'python*-units.xml'))):
        # python3.11-modules-units.xml, python3.8-module_utils-units.xml, ...
        version = os.path.basename(path)[len('python'):].split('-', 1)[0]
        file_counts = junit_counts([path])
        file_counts.failed_names = ['[%s] %s' % (version, name) for name in file_counts.failed_names]
        per_python[version] = per_python.get(version, 0) + file_counts.passed + file_counts.failed
        counts.add(file_counts)
    detail = 'unit tests'
    if per_python:
        order = sorted(per_python, key=lambda v: tuple(int(p) for p in v.split('.')))
        detail += ' (run per Python: %s)' % ', '.join('%s: %d' % (v, per_python[v]) for v in order)
    return counts, detail


def integration_counts(stage_dir):
    counts = Counts()
    listed = []
    list_file = os.path.join(stage_dir, 'integration-targets.txt')
    if os.path.exists(list_file):
        with open(list_file) as handle:
            listed = [line.strip() for line in handle if line.strip() and ' ' not in line.strip()]
    times = {}
    for path in sorted(glob.glob(os.path.join(stage_dir, 'data', 'integration-*.json'))):
        with open(path) as handle:
            for name, info in json.load(handle).get('targets', {}).items():
                times[name] = info.get('run_time_seconds', 0)
    counts.passed = len(times)
    failed = [name for name in listed if name not in times]
    counts.failed = len(failed)
    counts.failed_names.extend(failed)
    detail = 'integration targets'
    if times:
        detail += '; seconds per target: ' + ', '.join('%s %d' % item for item in sorted(times.items(), key=lambda i: -i[1]))
    return counts, detail


PUBLISH_TOOLS = ('galaxy-importer', 'antsibull-docs')


def publish_counts(stage_dir):
    """One check per publishing tool, from the <tool>.status files the Makefile writes."""
    counts = Counts()
    states = []
    for tool in PUBLISH_TOOLS:
        status_file = os.path.join(stage_dir, tool + '.status')
        status = 'not run'
        if os.path.exists(status_file):
            with open(status_file) as handle:
                status = handle.read().strip()
        states.append('%s %s' % (tool, status))
        if status == 'passed':
            counts.passed += 1
        elif status == 'failed':
            counts.failed += 1
            counts.failed_names.append('%s (%s.log in %s)' % (tool, tool, stage_dir))
            log_file = os.path.join(stage_dir, tool + '.log')
            if os.path.exists(log_file):
                with open(log_file) as handle:
                    lines = [line.rstrip() for line in handle if line.strip()]
                if tool == 'galaxy-importer':
                    lines = [line for line in lines if line.startswith(('ERROR', 'WARNING', 'CRITICAL'))] or lines[-3:]
                # listed under the tool's failure (still one failed check per tool)
                counts.failed_names.extend('  %s: %s' % (tool, line) for line in lines[:10])
        else:
            counts.skipped += 1
    return counts, 'publishing checks (%s)' % ', '.join(states)


MAX_LISTED = 25  # failures listed per stage

STAGES = (('sanity', sanity_counts), ('units', units_counts), ('units-2.16', units_counts),
          ('integration', integration_counts), ('integration-2.16', integration_counts),
          ('systemd-hosts-test', integration_counts), ('publish-check', publish_counts))


def summary(results_dir):
    stages = {}
    stages_file = os.path.join(results_dir, 'stages.txt')
    if os.path.exists(stages_file):
        with open(stages_file) as handle:
            for line in handle:
                parts = line.split()
                if len(parts) == 3:
                    stages[parts[0]] = (parts[1], int(parts[2]))

    total = Counts()
    print('')
    print('=' * 30 + ' make test summary ' + '=' * 30)
    if 'setup' in stages:
        print('%-16s %-8s %5ds  .venv, tool venvs, nats-server binaries, pip bootstrap, interpreters' % (('setup',) + stages['setup']))
    for name, func in STAGES:
        if name not in stages and not os.path.isdir(os.path.join(results_dir, name)):
            continue  # not part of this run (make test-quick runs fewer stages)
        status, seconds = stages.get(name, ('not run', 0))
        counts, detail = func(os.path.join(results_dir, name))
        if status == 'failed' and not counts.failed:
            # The stage failed without a failing test on record (a crash, a setup error):
            # count it, so that a broken stage can never read as "0 failed".
            counts.failed += 1
            counts.failed_names.append('%s (stage error, see its output above)' % name)
        if name.endswith('-2.16'):
            detail = 'ansible-core 2.16, ' + detail
        print('%-16s %-8s %5ds  %s: %s' % (name, status, seconds, counts.line(), detail))
        for failed in counts.failed_names[:MAX_LISTED]:
            # a line starting with blanks details the failure above it (publish_counts)
            print(('           %s' if failed.startswith('  ') else '    FAILED %s') % failed.strip())
        if len(counts.failed_names) > MAX_LISTED:
            print('    ... and %d more (see the output above)' % (len(counts.failed_names) - MAX_LISTED))
        total.add(counts)
    print('%-16s %-8s %5ds' % ('total', 'failed' if total.failed else 'passed', sum(s for _, s in stages.values())))
    print('TOTAL: ' + total.line())
    return 1 if total.failed else 0


def check_units(stage_dir):
    counts, _ = units_counts(stage_dir)
    executed = counts.passed + counts.failed
    if not executed:
        print('units: FAILED: unit test files exist but no unit test was executed (%s); '
              'check tests/config.yml python_requires and the test names' % counts.line())
        return 1
    print('units: ' + counts.line())
    return 0


def main(argv):
    if len(argv) == 2 and argv[0] == '--check-units':
        return check_units(argv[1])
    if len(argv) == 1:
        return summary(argv[0])
    sys.stderr.write(__doc__)
    return 2


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
