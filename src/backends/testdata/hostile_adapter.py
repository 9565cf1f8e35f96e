#!/usr/bin/env python3
"""A process-protocol adapter in Python (standard library only) with the faults listed in argv[1]
(comma-separated):
  popen-child  starts a child with subprocess.Popen that inherits stdout and sleeps, as a worker
               pool does; exits when stdin closes
  bare-nan     answers every case with Python's default json.dumps, which writes a bare NaN
  slow-exit    exits 30 s after its stdin closes (flushing, joining workers)
Every argument is kept in the child's argv, so a test can find it by a marker. It declares no
capabilities, so a claim that needs any is not applicable and sends it no case.
"""
import json
import subprocess
import sys
import time

modes = sys.argv[1].split(',')
if 'popen-child' in modes:
    subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)', *sys.argv[1:]])

for line in sys.stdin:
    request = json.loads(line)
    if request['type'] == 'handshake':
        result = {'protocol': 1, 'name': 'hostile-python', 'version': '1', 'dtype': 'float64', 'capabilities': []}
    else:
        case = request['case']
        name = case['graph']['name']
        result = {'value': {'shape': [2], 'data': [float('nan'), 1.0]}, 'grads': {name: [1.0, 1.0]}}
    print(json.dumps({'id': request['id'], 'ok': True, 'result': result}), flush=True)

if 'slow-exit' in modes:
    time.sleep(30)
