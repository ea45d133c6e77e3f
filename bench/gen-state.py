#!/usr/bin/env python3
"""A state file of N sessions over N/10 accounts, as worker 0 writes one:
make bench's fast path to 10M sessions (bench/run.sh loads it at start with
session_zone's state=), and bench/restart.sh's input.

Usage: bench/gen-state.py N ZONE_NAME OUTPUT [CODEC_C]

The lines follow the format the module describes at the top of
ngx_http_session_module/ngx_http_session_state_codec.c (the comment
that starts "The state file's text"): the header and session lines are
read from there, field by field, so a field that moves or is added in
the codec's comment moves here too.  A field this script does not know
stops it with the name to add to VALUES below: the one place to change
when the format changes.

The sessions are in the order the module saves them (its session tree:
the first 8 bytes of the digest as a little-endian word, then the rest),
every one open, last used within the last ten minutes, of type "soap",
with a client address.  Session i is the one the token "t<i>" opens, in
account "u<i mod N/10>" named "user<i mod N/10>@example.com", as
bench/fill.lua's tracked requests would leave it: the file's key is fixed
(5e 5e ...) and each digest is SipHash-2-4 (128-bit) of the token under
that key, as ngx_http_session_digest() makes it (libsodium's
crypto_shorthash_siphashx24, through ctypes), so bench/traffic.lua's
cookies find these sessions after the file is loaded.
"""

import ctypes
import os
import random
import re
import sys
import time


CODEC = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..',
                     'ngx_http_session_module',
                     'ngx_http_session_state_codec.c')


def formats(path):
    """The header and session lines of the codec's format comment."""
    text = open(path).read()
    block = re.search(r"The state file's text.*?\*/", text, re.S).group(0)
    lines = [re.sub(r'^\s*\*\s?', '', l).strip() for l in block.split('\n')]
    header = next(l for l in lines if l.startswith('ngx_http_session_state '))
    session = next(l for l in lines if l.startswith('s '))
    end = next(l for l in lines if l.startswith('end '))
    # optional trailing fields ("[VAR=VALUE]...") are left out
    session = re.sub(r'\s*\[.*$', '', session)
    return header.split(' '), session.split(' '), end.split(' ')


# the value of each field the codec's comment names, by name
VALUES = {
    # header: "zone=NAME" and the like are NAME's value after "zone="
    'NAME': lambda g, i: g['zone'],
    'HEX': lambda g, i: KEY.hex(),
    'MS': None,                  # epoch= and saved=, set below
    'PID': lambda g, i: '1',
    # session
    'SID': lambda g, i: g['sids'][i],
    'TYPE': lambda g, i: 'soap',
    'ID': lambda g, i: 'u%d' % g['acct'][i],
    'CREATED': lambda g, i: '%d' % (g['last'][i] - 3600000),
    'LAST': lambda g, i: '%d' % g['last'][i],
    'LOGOUT': lambda g, i: '0',
    'ADDR': lambda g, i: '10.%d.%d.%d' % ((i >> 16) & 255, (i >> 8) & 255,
                                         i & 255),
    'REQUESTS': lambda g, i: '%d' % (1 + i % 50),
    'COUNT': lambda g, i: '%d' % g['n'],
}

SESSION_NAME = lambda g, i: 'user%d%%40example.com' % g['acct'][i]

KEY = b'\x5e' * 16


def digests(n):
    """The digest of each token t0 .. t<n-1>, as the module makes it."""
    so = ctypes.CDLL('libsodium.so.23')
    if so.sodium_init() < 0:
        sys.exit('gen-state.py: libsodium failed to initialize')
    f = so.crypto_shorthash_siphashx24
    out = ctypes.create_string_buffer(16)
    for i in range(n):
        t = b't%d' % i
        f(out, t, ctypes.c_ulonglong(len(t)), KEY)
        yield out.raw


def header_line(fields, g):
    out = []
    for f in fields:
        if '=' in f:
            k, v = f.split('=', 1)
            if v == 'MS':
                out.append('%s=%d' % (k, g['now'] - (60000 if k == 'epoch'
                                                     else 0)))
            elif v in VALUES:
                out.append('%s=%s' % (k, VALUES[v](g, 0)))
            else:
                sys.exit('gen-state.py: header field %s: add it to VALUES' % f)
        else:
            out.append(f)
    return ' '.join(out)


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)

    n = int(sys.argv[1])
    zone = sys.argv[2]
    out = sys.argv[3]
    hfields, sfields, efields = formats(sys.argv[4] if len(sys.argv) > 4
                                        else CODEC)

    rnd = random.Random(12)
    now = int(time.time() * 1000)
    accounts = max(1, n // 10)

    # tree order: the first 8 bytes as a little-endian word, then the
    # rest; each key carries its token's number in its last 4 bytes
    keys = sorted(d[7::-1] + d[8:] + i.to_bytes(4, 'big')
                  for i, d in enumerate(digests(n)))
    sids = [(k[7::-1] + k[8:16]).hex() for k in keys]
    order = [int.from_bytes(k[16:], 'big') for k in keys]
    del keys

    g = {'zone': zone, 'now': now, 'n': n, 'sids': sids,
         'acct': [t % accounts for t in order],
         'last': [now - rnd.randrange(600000) for _ in range(n)]}
    del order

    getters = []
    for f in sfields[1:]:
        if f == 'NAME':
            getters.append(SESSION_NAME)
        elif f in VALUES and VALUES[f]:
            getters.append(VALUES[f])
        else:
            sys.exit('gen-state.py: session field %s: add it to VALUES' % f)

    tmp = out + '.gen'
    with open(tmp, 'w', buffering=1 << 22) as fh:
        fh.write(header_line(hfields, g) + '\n')
        chunk = []
        for i in range(n):
            chunk.append(' '.join([sfields[0]] + [get(g, i) for get in getters]))
            if len(chunk) == 65536:
                fh.write('\n'.join(chunk) + '\n')
                chunk = []
        if chunk:
            fh.write('\n'.join(chunk) + '\n')
        fh.write(' '.join([efields[0]] + [VALUES[f](g, 0)
                                          for f in efields[1:]]) + '\n')

    os.chmod(tmp, 0o600)
    os.rename(tmp, out)


if __name__ == '__main__':
    main()
