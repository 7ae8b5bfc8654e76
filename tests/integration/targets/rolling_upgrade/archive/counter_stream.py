# Copyright: contributors to the nats_tools.nats collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A stream that needs JetStream API level 2 (a 2.12 counter stream), for the downgrade check.

  counter_stream.py CLIENT_URL create|delete

Raw JetStream API requests: nats-py's StreamConfig has no allow_msg_counter."""

import asyncio
import json
import sys

import nats

CONFIG = dict(name='COUNTER', subjects=['counter.>'], storage='memory', num_replicas=1, allow_msg_counter=True)


async def main(url, action):
    nc = await nats.connect(servers=[url], connect_timeout=5)
    try:
        subject = '$JS.API.STREAM.%s.COUNTER' % ('CREATE' if action == 'create' else 'DELETE')
        body = json.dumps(CONFIG).encode() if action == 'create' else b''
        answer = json.loads((await nc.request(subject, body, timeout=10)).data)
    finally:
        await nc.close()
    if 'error' in answer:
        sys.exit('COUNTER %s: %s' % (action, answer['error']))
    print('COUNTER %s: %s' % (action, json.dumps(answer.get('config', {}).get('metadata', answer.get('success')))))


if __name__ == '__main__':
    asyncio.run(main(sys.argv[1], sys.argv[2]))
