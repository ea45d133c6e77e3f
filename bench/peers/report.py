#!/usr/bin/env python3
"""Turns build/bench/peers.jsonl (written by bench/peers/run.sh) into a
markdown section, "## The Lua peer side by side", on stdout: at each size,
the module against the Lua peer (bench/peers/session.lua) figure by
figure, with the medians of the per-round ratios, the command and the
machine.  bench/report.py includes it in docs/benchmarks.md.

Usage: bench/peers/report.py RESULTS.jsonl"""

import json
import statistics
import sys


def median(xs):
    return statistics.median(xs) if xs else float("nan")


def fmt_n(n):
    return f"{n // 1000}k" if n < 1000000 else f"{n // 1000000}M"


def ms(us):
    return f"{us / 1000:.2f} ms"


def ratio(x):
    return "-" if x != x else f"{x:.3f}"


def secs(x):
    return "-" if x != x else f"{x:.3f} s"


def rounds(xs):
    return ", ".join(f"{x:.2f}" for x in xs)


def mib(b):
    return f"{b / 1048576:.1f} MiB"


def size_bytes(s):
    units = {"k": 1024, "m": 1048576, "g": 1073741824}
    return int(s[:-1]) * units[s[-1].lower()] if s[-1].isalpha() else int(s)


def per_round(runs, key, a, b, field):
    """Each round's ratio of side a's wrk figure to side b's (the two runs
    of a round are side by side in time)."""
    by = {(r["round"], r[key]): r["wrk"][field] for r in runs}
    return [by[(k, a)] / by[(k, b)] for k in sorted({k for k, _ in by})
            if (k, a) in by and (k, b) in by and by[(k, b)]]


def cpu_busy(rows):
    ticks = {r["at"]: r["ticks"] for r in rows if r["kind"] == "cpu"}
    if "start" not in ticks or "end" not in ticks:
        return None
    d = [e - s for s, e in zip(ticks["start"], ticks["end"])]
    total = sum(d)
    if not total:
        return None
    return 1 - (d[3] + d[4]) / total, d[7] / total


def section_size(w, rows, run, n):
    at = [r for r in rows if r.get("n") == n]
    mem = next((r for r in at if r["kind"] == "memory"), None)
    fills = {r["side"]: r["seconds"] for r in at if r["kind"] == "fill"}
    accounts = n // run["per_account"]

    w(f"### {fmt_n(n)} sessions ({n} over {accounts} accounts)\n")
    after = next((r for r in at if r["kind"] == "after"), None)
    if after and "load" in after:
        w(f"Load average when this size ended: {after['load']} "
          f"(2 cores).\n")

    # memory and dumps
    w("| figure | module | Lua peer | Lua / module |")
    w("| --- | ---: | ---: | ---: |")
    if "module" in fills and "lua" in fills:
        fm, fl = fills["module"], fills["lua"]
        w(f"| fill through real requests | {fm:.1f} s ({n / fm:.0f}/s) "
          f"| {fl:.1f} s ({n / fl:.0f}/s) | {fl / fm:.2f} |")
    if mem:
        m, lu = mem["module"], mem["lua"]
        m_sessions = m["sessions"]["open"] + m["sessions"]["closed"]
        m_used = m["memory"]["used"]
        l_sessions = lu.get("sessions", lu["created"])
        l_used = lu["capacity"] - lu["free_space"]
        mb = m_used / m_sessions if m_sessions else float("nan")
        lb = l_used / l_sessions if l_sessions else float("nan")
        w(f"| sessions held | {m_sessions} | {l_sessions} | |")
        w(f"| memory used | {mib(m_used)} | {mib(l_used)} "
          f"| {l_used / m_used:.2f} |")
        w(f"| bytes per session (used / sessions) | {mb:.1f} | {lb:.1f} "
          f"| {lb / mb:.2f} |")
        zs, ds = size_bytes(mem["zone"]), size_bytes(mem["dict"])
        w(f"| shared memory configured | {mem['zone']} "
          f"({zs / n:.0f} B/session) | {mem['dict']} ({ds / n:.0f} "
          f"B/session) | |")
        w(f"| evicted (full zone / forcible sets) | "
          f"{m['totals']['evicted']} | {lu['evicted']} | |")

    dumps = [r for r in at if r["kind"] == "dump"]
    if dumps:
        dm = [r["result"]["seconds"] for r in dumps if r["side"] == "module"]
        dl = [r["result"]["seconds"] for r in dumps if r["side"] == "lua"]
        bm = next(r["result"]["bytes"] for r in dumps
                  if r["side"] == "module")
        bl = next(r["result"]["bytes"] for r in dumps if r["side"] == "lua")
        pairs = {}
        for r in dumps:
            pairs.setdefault(r["round"], {})[r["side"]] = \
                r["result"]["seconds"]
        rs = [p["lua"] / p["module"] for _, p in sorted(pairs.items())
              if "lua" in p and "module" in p and p["module"]]
        w(f"| JSON dump idle, median of {len(dm)} | {median(dm):.3f} s "
          f"| {median(dl):.3f} s | {ratio(median(rs))} (rounds: "
          f"{rounds(rs)}) |")
        w(f"| dump size | {mib(bm)} | {mib(bl)} | {bl / bm:.2f} |")
    w("")

    # throughput against untracked
    over = [r for r in at if r["kind"] == "overhead"]
    if over:
        w(f"Tracked traffic against untracked, {run['rounds']} rounds of "
          f"{run['duration']} s per server, the order reversed every other "
          "round; each ratio is the median of the per-round ratios "
          "(rounds listed).\n")
        w("| location | untracked req/s | module req/s | Lua req/s "
          "| module / untracked | Lua / untracked | Lua / module "
          "| p99 untracked | p99 module | p99 Lua |")
        w("| --- | ---: | ---: | ---: | --- | --- | ---: "
          "| ---: | ---: | ---: |")
        for path in ("/", "/proxied"):
            runs = [r for r in over if r["path"] == path]
            if not runs:
                continue

            def med(side, f):
                return median([r["wrk"][f] for r in runs
                               if r["server"] == side])

            mu = per_round(runs, "server", "module", "untracked", "rps")
            lu_ = per_round(runs, "server", "lua", "untracked", "rps")
            lm = per_round(runs, "server", "lua", "module", "rps")
            w(f"| `{path}` | {med('untracked', 'rps'):.0f} "
              f"| {med('module', 'rps'):.0f} | {med('lua', 'rps'):.0f} "
              f"| {ratio(median(mu))} ({rounds(mu)}) "
              f"| {ratio(median(lu_))} ({rounds(lu_)}) "
              f"| {ratio(median(lm))} "
              f"| {ms(med('untracked', 'p99_us'))} "
              f"| {ms(med('module', 'p99_us'))} "
              f"| {ms(med('lua', 'p99_us'))} |")
        w("")

    # traffic under dumps
    under = [r for r in at if r["kind"] == "under_dumps"]
    if under:
        w(f"Tracked traffic (`/`) while that side's JSON dumps run back to "
          f"back, against the same traffic alone: {run['under_rounds']} "
          f"rounds of {run['under_duration']} s, medians of per-round "
          "ratios.\n")
        w("| side | req/s alone | req/s during dumps | during / alone "
          "| p99 alone | p99 during dumps | p99 during / alone "
          "| whole dumps per run | dump time under load | dump time idle "
          "| wrk errors |")
        w("| --- | ---: | ---: | --- | ---: | ---: | --- | ---: "
          "| ---: | ---: | ---: |")
        for side, name in (("module", "module"), ("lua", "Lua peer")):
            runs = [r for r in under if r["side"] == side]
            if not runs:
                continue
            quiet = [r for r in runs if r["mode"] == "quiet"]
            dumping = [r for r in runs if r["mode"] == "dumping"]
            rr = per_round(runs, "mode", "dumping", "quiet", "rps")
            pr = per_round(runs, "mode", "dumping", "quiet", "p99_us")
            times = [t for r in dumping for t in r["dump_seconds"]]
            idle = median([r["result"]["seconds"] for r in dumps
                           if r["side"] == side]) if dumps else float("nan")
            partial = ""
            if not times:
                got = [p[1] for r in dumping for p in r["dump_read"]]
                full = next((r["result"]["bytes"] for r in dumps
                             if r["side"] == side), 0)
                if got and full:
                    partial = (f" (none whole; {100 * max(got) / full:.0f}% "
                               "read at most)")
            w(f"| {name} "
              f"| {median([r['wrk']['rps'] for r in quiet]):.0f} "
              f"| {median([r['wrk']['rps'] for r in dumping]):.0f} "
              f"| {ratio(median(rr))} ({rounds(rr)}) "
              f"| {ms(median([r['wrk']['p99_us'] for r in quiet]))} "
              f"| {ms(median([r['wrk']['p99_us'] for r in dumping]))} "
              f"| {ratio(median(pr))} ({rounds(pr)}) "
              f"| {median([r['dumps'] for r in dumping]):.0f}{partial} "
              f"| {secs(median(times))} | {secs(idle)} "
              f"| {sum(r['wrk']['errors'] for r in runs)} |")
        w("")


def main():
    rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
    run = next(r for r in rows if r["kind"] == "run")
    m = run["machine"]
    sizes = sorted({r["n"] for r in rows if "n" in r})
    out = []
    w = out.append

    w("## The Lua peer side by side\n")
    w("What users would write instead of this module: session tracking in "
      "OpenResty's `lua_shared_dict`, through Debian's "
      f"`libnginx-mod-http-lua` ({m.get('lua_module', '?')}) in the same "
      "nginx (`bench/peers/session.lua`: create from the response's "
      "token, touch on each request with the cookie, expiry by the dict's "
      "TTL, a JSON dump with `get_keys(0)` and `cjson`, streamed in chunks "
      "of 1000). Both are filled through real requests (10 sessions per "
      "account) and measured in one nginx with 2 workers, side by side.\n")
    w(f"- Command: `{run['command']}`")
    w(f"- Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GiB, "
      f"Linux {m['kernel']}; nginx {m['nginx']} (Debian's), wrk "
      f"{m['wrk']}, {run['connections']} connections, {run['threads']} "
      f"thread(s); load average at the start {m.get('load', '?')}; run "
      f"{m['date']}.")
    busy = cpu_busy(rows)
    if busy:
        w(f"- CPU time over the whole run (/proc/stat): {100 * busy[0]:.0f}% "
          f"busy, {100 * busy[1]:.1f}% stolen by the hypervisor.")
    w("- The machine is shared (other benchmarks and builds may run at the "
      "same time), so absolute figures are noisy; only the ratios of runs "
      "side by side (alternated in rounds, medians of per-round ratios) "
      "compare.")
    w("- Module memory is the zone's `memory.used` (slab pages handed out); "
      "the Lua dict's is `capacity() - free_space()` (also whole pages). "
      "The module's dump is its grouped JSON listing "
      "(`?listSessions=1&groupByAccount=1`, `Accept: application/json`); "
      "the Lua dump is a flat array with the request count as well.\n")

    for n in sizes:
        section_size(w, rows, run, n)

    print("\n".join(out))


if __name__ == "__main__":
    main()
