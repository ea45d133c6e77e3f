#!/usr/bin/env python3
"""Where a tracked request spends its work at each zone size, in
instruction counts and simulated cache misses (callgrind): noise-free on a
shared machine, where wall time is not (docs/profile.md).

For each size N: a state file of N sessions (bench/gen-state.py: the
sessions of tokens t0 .. t<N-1>, as bench/fill.lua would leave them) is
loaded at start by one nginx process (master_process off) under
callgrind, with instrumentation off until it serves.  The state file's
FILE.tmp is made a directory, so that the process cannot save the zone
meanwhile (every touch is a change: with state= worker 0 would otherwise
save over and over and the save's work would count in the figures, see
docs/profile.md).  Then, instrumentation on: WARM tracked requests to
random live sessions (so that a zone that fits the simulated last-level
cache is in it, as it is in a steady state), then for each case REQUESTS
requests on one keep-alive connection, the counters zeroed before and
dumped after, each request carrying the cookie of a random live session:

    tracked-return   /         on the tracked server (return 200)
    untracked-return /         on the untracked server
    tracked-static   /static/  a 4 KiB file, tracked
    untracked-static /static/  the same file, untracked
    tracked-miss     /         cookies no session has (index misses)

Figures per request: the totals of the dump divided by REQUESTS (the
dump's ngx_http_process_request calls, checked against it), and the
module's own share (inclusive cost of its functions at the top of its
call chains).

Usage: bench/profile.py MODULE.so [N ...]   (default 100000 1000000)
       bench/profile.py --report   (markdown tables of the dumps made)
Environment: PROFILE_REQUESTS (20000), PROFILE_WARM (100000),
PROFILE_LL (33554432,16,64: a 32 MiB, 16-way last-level cache, an EPYC
CCX's L3; the VM reports none usable), PROFILE_DIR (build/prof),
PROFILE_PORT (18085: the tracked server; the untracked one is the next).
Writes PROFILE_DIR/profile.jsonl, one line per size and case.
"""

import glob
import http.client
import json
import os
import random
import re
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NGINX = os.environ.get('NGINX_BIN', '/usr/sbin/nginx')
REQUESTS = int(os.environ.get('PROFILE_REQUESTS', '20000'))
WARM = int(os.environ.get('PROFILE_WARM', '100000'))
LL = os.environ.get('PROFILE_LL', '33554432,16,64')
DIR = os.path.abspath(os.environ.get('PROFILE_DIR',
                                     os.path.join(ROOT, 'build', 'prof')))
TRACKED = int(os.environ.get('PROFILE_PORT', '18085'))
UNTRACKED = TRACKED + 1

CONF = """
load_module {module};
master_process off;
user root root;
daemon off;
worker_processes 1;
error_log {p}/logs/error.log notice;
pid {p}/nginx.pid;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {p}/body;
    session_zone zone=bench:{zone} timeout=2h state={p}/s.state;
    server {{
        listen 127.0.0.1:{t};
        session_track bench;
        session_key $cookie_SID;
        location / {{ return 200 "ok\\n"; }}
        location /static/ {{ root {p}/html; }}
    }}
    server {{
        listen 127.0.0.1:{u};
        location / {{ return 200 "ok\\n"; }}
        location /static/ {{ root {p}/html; }}
    }}
}}
"""


def log(*a):
    print('profile:', *a, file=sys.stderr, flush=True)


def zone_size(n):
    # as bench/run.sh sizes it
    return '%dm' % (n * 400 // 1048576 + 32)


def send(port, path, count, live, rnd, miss=False):
    """count requests on one keep-alive connection; all must answer 200"""
    c = http.client.HTTPConnection('127.0.0.1', port, timeout=600)
    for _ in range(count):
        sid = ('x%d' if miss else 't%d') % rnd.randrange(live)
        c.request('GET', path, headers={'Cookie': 'SID=' + sid})
        r = c.getresponse()
        r.read()
        if r.status != 200:
            sys.exit('profile: %s answered %d' % (path, r.status))
    c.close()


def control(pid, *args):
    subprocess.run(['callgrind_control'] + list(args) + [str(pid)],
                   check=True, stdout=subprocess.DEVNULL)


def summarize(path):
    """totals and the module's inclusive share, from one dump"""
    out = subprocess.run(['callgrind_annotate', '--inclusive=yes',
                          '--threshold=100', path],
                         check=True, capture_output=True, text=True).stdout
    events = None
    totals = None
    funcs = {}
    for line in out.split('\n'):
        if line.startswith('Events shown:'):
            events = line.split(':', 1)[1].split()
            continue
        if not events:
            continue
        # "1,234 (5.6%)" or "." (none) per event, then file:function
        toks = re.sub(r' \([^)]*\)', '', line).split()
        if len(toks) <= len(events):
            continue
        head = toks[:len(events)]
        if not all(re.fullmatch(r'[\d,]+|\.', t) for t in head):
            continue
        vals = [0 if t == '.' else int(t.replace(',', '')) for t in head]
        name = ' '.join(toks[len(events):])
        if name.startswith('PROGRAM TOTALS'):
            totals = vals
        else:
            name = re.sub(r'^\S*:', '', name.split(' [')[0])
            funcs.setdefault(name, vals)
    calls = 0
    with open(path, errors='replace') as f:
        # calls= lines that follow cfn=(id) ngx_http_process_request
        text = f.read()
    ids = re.findall(r'\((\d+)\) ngx_http_process_request\n', text)
    if ids:
        cid = ids[0]
        for m in re.finditer(r'cfn=\(%s\)(?: ngx_http_process_request)?\n'
                             r'calls=(\d+)' % cid, text):
            calls += int(m.group(1))
    return events, totals, funcs, calls


def profile(module, n, results):
    p = os.path.join(DIR, str(n))
    shutil.rmtree(p, ignore_errors=True)
    for d in ('logs', 'body', 'html/static'):
        os.makedirs(os.path.join(p, d))
    with open(os.path.join(p, 'html/static/page.html'), 'w') as f:
        f.write(('<p>static page of the benchmark</p>\n' * 120)[:4096])

    src = os.path.join(DIR, 'gen-%d.state' % n)
    if not os.path.exists(src):
        log('generating', src)
        subprocess.run([sys.executable, os.path.join(ROOT, 'bench',
                        'gen-state.py'), str(n), 'bench', src], check=True)
    shutil.copy(src, os.path.join(p, 's.state'))

    # FILE.tmp a directory: the saver cannot open it and leaves the file
    # alone (a failed save is retried each second, one open() each)
    os.mkdir(os.path.join(p, 's.state.tmp'))

    with open(os.path.join(p, 'nginx.conf'), 'w') as f:
        f.write(CONF.format(module=module, p=p, zone=zone_size(n),
                            t=TRACKED, u=UNTRACKED))

    out = os.path.join(p, 'callgrind.out')
    cmd = ['valgrind', '--tool=callgrind', '--instr-atstart=no',
           '--cache-sim=yes', '--D1=49152,12,64', '--LL=' + LL,
           '--callgrind-out-file=' + out,
           NGINX, '-p', p, '-c', os.path.join(p, 'nginx.conf')]
    t0 = time.time()
    vg = subprocess.Popen(cmd, stdout=subprocess.DEVNULL,
                          stderr=open(os.path.join(p, 'valgrind.log'), 'w'))
    try:
        while True:
            try:
                c = http.client.HTTPConnection('127.0.0.1', UNTRACKED,
                                               timeout=5)
                c.request('GET', '/')
                c.getresponse().read()
                break
            except OSError:
                if vg.poll() is not None:
                    sys.exit('profile: nginx ended; see ' + p)
                time.sleep(1)
        log('n=%d: loaded under valgrind in %.0f s' % (n, time.time() - t0))

        rnd = random.Random(n)
        control(vg.pid, '-i', 'on')
        send(TRACKED, '/', WARM, n, rnd)
        send(TRACKED, '/static/page.html', 2000, n, rnd)
        send(UNTRACKED, '/static/page.html', 2000, n, rnd)

        cases = [('tracked-return', TRACKED, '/', False),
                 ('untracked-return', UNTRACKED, '/', False),
                 ('tracked-static', TRACKED, '/static/page.html', False),
                 ('untracked-static', UNTRACKED, '/static/page.html', False),
                 ('tracked-miss', TRACKED, '/', True)]
        for name, port, path, miss in cases:
            control(vg.pid, '-z')
            send(port, path, REQUESTS, n, rnd, miss)
            control(vg.pid, '-d', name)
            dump = max(glob.glob(out + '.*'), key=os.path.getmtime)
            events, totals, funcs, calls = summarize(dump)
            mod = {k: v for k, v in funcs.items()
                   if k.startswith('ngx_http_session_')}
            row = {'n': n, 'case': name, 'requests': REQUESTS,
                   'process_request_calls': calls, 'events': events,
                   'per_request': [t / REQUESTS for t in totals],
                   'functions': {k: [x / REQUESTS for x in v]
                                 for k, v in sorted(mod.items(),
                                                    key=lambda kv: -kv[1][0])
                                 [:25]}}
            results.write(json.dumps(row) + '\n')
            results.flush()
            log('n=%d %s: %s per request' % (n, name, ', '.join(
                '%s %.1f' % (e, v) for e, v in zip(events,
                                                    row['per_request']))))
    finally:
        vg.terminate()
        try:
            vg.wait(60)
        except subprocess.TimeoutExpired:
            vg.kill()
            vg.wait()


def self_costs(path):
    """self cost per function and per object file, from one dump"""
    out = subprocess.run(['callgrind_annotate', '--auto=no', '--threshold=100', path],
                         check=True, capture_output=True,
                         text=True).stdout
    events, totals, funcs, objs, case = None, None, {}, {}, None
    for line in out.split('\n'):
        if line.startswith('Trigger: dump '):
            case = line.split()[-1]
        if line.startswith('Events shown:'):
            events = line.split(':', 1)[1].split()
            continue
        if not events:
            continue
        toks = re.sub(r' \([^)]*\)', '', line).split()
        if len(toks) <= len(events):
            continue
        head = toks[:len(events)]
        if not all(re.fullmatch(r'[\d,]+|\.', t) for t in head):
            continue
        vals = [0 if t == '.' else int(t.replace(',', '')) for t in head]
        rest = ' '.join(toks[len(events):])
        if rest.startswith('PROGRAM TOTALS'):
            totals = vals
            continue
        m = re.match(r'(.*?)(?: \[(.*)\])?$', rest)
        name = re.sub(r'^\S*:', '', m.group(1))
        obj = os.path.basename(m.group(2) or '?')
        # callgrind_annotate leaves out the object of some lines
        if obj == '?' and 'ngx_http_session_module/' in m.group(1):
            obj = 'ngx_http_session_module.so'
        name = name + ' (%s)' % obj if obj != 'ngx_http_session_module.so' \
            else name
        funcs[name] = [a + b for a, b in zip(funcs.get(name, [0] * len(vals)),
                                             vals)]
        objs[obj] = [a + b for a, b in zip(objs.get(obj, [0] * len(vals)),
                                           vals)]
    return case, events, totals, funcs, objs


def report():
    """markdown tables of every dump under PROFILE_DIR"""
    rows = []
    for d in sorted(glob.glob(os.path.join(DIR, '[0-9]*')),
                    key=lambda x: int(os.path.basename(x))):
        n = int(os.path.basename(d))
        for f in sorted(glob.glob(os.path.join(d, 'callgrind.out.*')),
                        key=lambda x: int(x.rsplit('.', 1)[1])):
            case, ev, tot, funcs, objs = self_costs(f)
            if not tot:
                continue
            rows.append((n, case, ev, tot, funcs, objs))

    def g(ev, vals, *names):
        return sum(vals[ev.index(x)] for x in names) / REQUESTS

    print('| sessions | case | Ir | D1 misses | LL misses '
          '| module Ir | module D1 misses | module LL misses '
          '| libsodium Ir |')
    print('| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |')
    for n, case, ev, tot, funcs, objs in rows:
        mod = objs.get('ngx_http_session_module.so', [0] * len(ev))
        so = objs.get('libsodium.so.23.3.0', [0] * len(ev))
        print('| %d | %s | %.0f | %.2f | %.2f | %.0f | %.2f | %.2f | %.0f |'
              % (n, case, g(ev, tot, 'Ir'), g(ev, tot, 'D1mr', 'D1mw'),
                 g(ev, tot, 'DLmr', 'DLmw'), g(ev, mod, 'Ir'),
                 g(ev, mod, 'D1mr', 'D1mw'), g(ev, mod, 'DLmr', 'DLmw'),
                 g(ev, so, 'Ir')))
    print()
    print('Functions with LL misses, per request (self cost):\n')
    print('| sessions | case | function | Ir | D1 misses | LL misses |')
    print('| ---: | --- | --- | ---: | ---: | ---: |')
    for n, case, ev, tot, funcs, objs in rows:
        if not case.startswith('tracked'):
            continue
        top = sorted(funcs.items(), key=lambda kv: -g(ev, kv[1], 'DLmr',
                                                         'DLmw'))
        for name, v in top[:6]:
            if g(ev, v, 'DLmr', 'DLmw') < 0.01:
                continue
            print('| %d | %s | %s | %.0f | %.2f | %.2f |'
                  % (n, case, name, g(ev, v, 'Ir'),
                     g(ev, v, 'D1mr', 'D1mw'), g(ev, v, 'DLmr', 'DLmw')))


def main():
    if len(sys.argv) > 1 and sys.argv[1] == '--report':
        report()
        return
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    module = os.path.abspath(sys.argv[1])
    sizes = [int(x) for x in sys.argv[2:]] or [100000, 1000000]
    os.makedirs(DIR, exist_ok=True)
    with open(os.path.join(DIR, 'profile.jsonl'), 'a') as results:
        for n in sizes:
            profile(module, n, results)


if __name__ == '__main__':
    main()
