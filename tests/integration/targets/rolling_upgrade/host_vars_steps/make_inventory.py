"""Inventory for the per-host variables test: hosts h1, h2, h3 mapped to the lab's servers in a
shuffled order (h1 -> n3, h2 -> n1, h3 -> n2), each with its own variables that only its steps may see."""
import json
import sys

env_file, natslab_python, natslab, workdir, out = sys.argv[1:6]
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
    with open(hosts[host]['lab_pidfile'], 'w') as handle:
        handle.write('%s\n' % rec['pid'])
group_vars = dict(ansible_connection='local', ansible_python_interpreter=natslab_python,
                  lab_python=natslab_python, lab_natslab=natslab, lab_workdir=env['nats_harness_workdir'],
                  lab_journal='%s/journal.log' % workdir)
local = dict(ansible_connection='local', ansible_python_interpreter=natslab_python)
with open(out, 'w') as handle:
    json.dump(dict(nats=dict(hosts=hosts, vars=group_vars), local=dict(hosts=dict(localhost=local))), handle, indent=2)
