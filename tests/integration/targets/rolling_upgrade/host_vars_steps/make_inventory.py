"""Inventory for the per-host variables test: hosts h1, h2, h3 mapped to the lab's servers in a
shuffled order (h1 -> n3, h2 -> n1, h3 -> n2), each with its own variables that only its steps may see."""
import json
import os
import sys

import shutil

env_file, natslab_python, natslab, workdir, out = sys.argv[1:6]
# --own-binary BIN: each host runs its own copy of BIN at <workdir>/<host>/bin/nats-server (its
# nats_rolling_upgrade_binary_path), with its stage dir <workdir>/<host>/opt: the role's default install step.
own_binary = sys.argv[7] if len(sys.argv) > 7 and sys.argv[6] == '--own-binary' else None
with open(env_file) as handle:
    env = json.load(handle)
names = env['nats_server_names']
mapping = dict(h1=names[2], h2=names[0], h3=names[1])
hosts = {}
for host, server in mapping.items():
    rec = env['nats_servers'][server]
    hosts[host] = dict(
        nats_rolling_upgrade_monitor_url=rec['monitor_url'],
        lab_server=server,
        lab_conf=rec['config'],
        lab_pidfile='%s/%s.pid' % (workdir, host),
    )
    if own_binary:
        os.makedirs('%s/%s/bin' % (workdir, host), exist_ok=True)
        hosts[host]['nats_rolling_upgrade_binary_path'] = '%s/%s/bin/nats-server' % (workdir, host)
        hosts[host]['nats_rolling_upgrade_stage_dir'] = '%s/%s/opt' % (workdir, host)
        hosts[host]['lab_start_binary_path'] = True
        shutil.copy2(own_binary, hosts[host]['nats_rolling_upgrade_binary_path'])
    with open(hosts[host]['lab_pidfile'], 'w') as handle:
        handle.write('%s\n' % rec['pid'])
group_vars = dict(ansible_connection='local', ansible_python_interpreter=natslab_python,
                  lab_python=natslab_python, lab_natslab=natslab, lab_workdir=env['nats_harness_workdir'],
                  lab_journal='%s/journal.log' % workdir)
local = dict(ansible_connection='local', ansible_python_interpreter=natslab_python)
with open(out, 'w') as handle:
    json.dump(dict(nats=dict(hosts=hosts, vars=group_vars), local=dict(hosts=dict(localhost=local))), handle, indent=2)
