#!/usr/bin/env python3
"""Turns build/bench/results.jsonl (written by bench/run.sh) into
docs/benchmarks.md and docs/benchmarks.png.

Usage: bench/report.py RESULTS.jsonl DOCS_DIR"""

import json
import os
import statistics
import subprocess
import sys
import tempfile

BUCKETS = ["under_10us", "under_100us", "under_1ms", "under_10ms",
           "under_100ms", "100ms_or_more"]
SLOW = BUCKETS[3:]


def median(xs):
    return statistics.median(xs) if xs else float("nan")


def holds_delta(before, after):
    b = before["lock"]["holds_by_length"]
    a = after["lock"]["holds_by_length"]
    return {k: a[k] - b[k] for k in BUCKETS}


def longest(delta):
    """The bucket of the longest hold in a window."""
    last = None
    for k in BUCKETS:
        if delta[k]:
            last = k
    return last or "none"


def paired(runs, side, other, field):
    """Each round's ratio of one side's wrk figure to the other's, the
    two runs side by side in time, as ABBA pairs them."""
    by = {(r["round"], r[side[0]]): r["wrk"][field] for r in runs}
    return [by[(k, side[1])] / by[(k, other)]
            for k, s in sorted(by) if s == side[1] and (k, other) in by]


def fmt_n(n):
    if n >= 1000000 and n % 1000000 == 0:
        return f"{n // 1000000}M"
    return f"{n // 1000}k" if n >= 1000 else str(n)


def slow_causes(before, after):
    """Holds of 1 ms or more by cause, when the status has the fields
    (lock.slow_descheduled, slow_on_cpu, slow_unknown); else None."""
    b, a = before["lock"], after["lock"]
    keys = ("slow_descheduled", "slow_on_cpu", "slow_unknown")
    if not all(k in a and k in b for k in keys):
        return None
    d = {k: a[k] - b[k] for k in keys}
    if "descheduled_by_length" in a and "descheduled_by_length" in b:
        d["descheduled_by_length"] = {
            k: a["descheduled_by_length"][k] - b["descheduled_by_length"].get(k, 0)
            for k in a["descheduled_by_length"]}
    return d


def main():
    results, docs = sys.argv[1], sys.argv[2]
    rows = [json.loads(line) for line in open(results) if line.strip()]
    run = next(r for r in rows if r["kind"] == "run")
    m = run["machine"]
    sizes = sorted({r["n"] for r in rows if "n" in r})
    out = []
    bars = []
    w = out.append

    w("# Benchmarks\n")
    w("Figures measured by `make bench` (`bench/run.sh`), written by "
      "`bench/report.py`. Do not edit by hand: run the command again.\n")
    w("## How they were made\n")
    w(f"- Command: `{run['command']}`")
    w(f"- Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GiB, "
      f"Linux {m['kernel']}; nginx {m['nginx']} (Debian's), wrk {m['wrk']}; "
      f"run {m['date']}.")
    cpu = {r["at"]: r["ticks"] for r in rows if r["kind"] == "cpu"}
    if "start" in cpu and "end" in cpu:
        d = [e - s for s, e in zip(cpu["start"], cpu["end"])]
        if sum(d) > 0:
            w(f"- CPU time over the whole run (/proc/stat): "
              f"{(sum(d) - d[3] - d[4] - d[7]) / sum(d) * 100:.0f}% busy, "
              f"{d[7] / sum(d) * 100:.1f}% stolen by the hypervisor "
              f"(as this guest's kernel sees it).")
    w(f"- One nginx with 2 workers serves a tracked server (`session_track`, "
      f"`session_key $cookie_SID`) and an untracked one with the same "
      f"locations; load comes from `wrk` ({run['threads']} thread(s), "
      f"{run['connections']} connections) on the same 2 cores, over "
      f"loopback. Every comparison alternates its two sides in rounds "
      f"(ABBA: each side goes first in every other round), takes the ratio "
      f"of the two runs of each round, and gives the median of those "
      f"ratios: the machine is shared and its speed drifts over tens of "
      f"seconds, so only runs side by side compare. Tracking overhead: "
      f"{run['overhead_rounds']} rounds of "
      f"{run['overhead_duration']} s runs; traffic "
      f"under dumps: {run['under_rounds']} rounds of "
      f"{run['under_duration']} s runs; dumps: "
      f"{run['rounds']} of each.")
    w(f"- The zone is filled through real tracked requests, one per session "
      f"(`session_create $arg_t; session_account $arg_u name=$arg_n;`), "
      f"{run['per_account']} sessions per account"
      + (", two session variables per session" if run["vars"] else
         ", no session variables") + "." + state_note(run, sizes))
    w("- Traffic requests carry the cookie of a random live session, so "
      "lookups land anywhere in the zone.")
    w("")

    # memory
    w("## Zone memory per session\n")
    w("| sessions | accounts | fill time | zone used | bytes per session "
      "| bytes per session added by the fill |")
    w("| ---: | ---: | ---: | ---: | ---: | ---: |")
    for n in sizes:
        fill = next((r for r in rows if r["kind"] == "fill" and r["n"] == n),
                    None)
        empty = next((r for r in rows
                      if r["kind"] == "empty" and r["n"] == n), None)
        if not fill:
            continue
        st = fill["status"]
        sessions = st["sessions"]["open"] + st["sessions"]["closed"]
        used = st["memory"]["used"]
        per = used / sessions if sessions else float("nan")
        added = ((used - empty["status"]["memory"]["used"]) / sessions
                 if empty and sessions else None)
        how = ("loaded from a state file: " if fill.get("from_state")
               else "")
        w(f"| {sessions} | {st['sessions']['accounts']} | {how}"
          f"{fill['seconds']:.1f} s ({sessions / fill['seconds']:.0f}/s) | "
          f"{used / 1048576:.1f} MiB | {per:.1f} | "
          + (f"{added:.1f}" if added is not None else "-") + " |")
        if n == max(sizes):
            bars.append(("zone memory per session at "
                         f"{fmt_n(n)} sessions", "at most 128 bytes "
                         "(aim 100)", f"{per:.1f} bytes", per <= 128,
                         "" if per <= 128 else
                         f"{per - 128:.1f} bytes over: the record layout "
                         "(docs/architecture.md) decides it"))
    w("")
    w("`zone used` counts the slab pages handed out (session nodes, account "
      "records, variables, the index, the zone's header), from the status "
      "endpoint's `memory.used`; the last column leaves out what the empty "
      "zone already held (the index among it), where the zone was filled "
      "by requests. Sizes filled from a state file (bench/gen-state.py: "
      "the sessions of the same tokens, 10 per account) were loaded by "
      "nginx's master at start: the time is until nginx answered.\n")

    # overhead
    ov = [r for r in rows if r["kind"] == "overhead"]
    if ov:
        w("## Tracking overhead\n")
        w("| sessions | location | untracked req/s | tracked req/s "
          "| tracked / untracked | untracked p99 | tracked p99 "
          "| worker CPU per request, untracked / tracked |")
        w("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
        for n in sizes:
            for path in ("/", "/proxied", "/static/page.html"):
                runs = [r for r in ov if r["n"] == n and r["path"] == path]
                t = [r["wrk"] for r in runs if r["server"] == "tracked"]
                u = [r["wrk"] for r in runs if r["server"] == "untracked"]
                if not t:
                    continue
                ratios = paired(runs, ("server", "tracked"), "untracked",
                                "rps")
                ratio = median(ratios)
                w(f"| {n} | `{path}` | {median([x['rps'] for x in u]):.0f} "
                  f"| {median([x['rps'] for x in t]):.0f} | "
                  f"{ratio:.3f} (rounds: "
                  + ", ".join(f"{x:.3f}" for x in ratios) + ") | "
                  f"{median([x['p99_us'] for x in u]) / 1000:.2f} ms | "
                  f"{median([x['p99_us'] for x in t]) / 1000:.2f} ms | "
                  + cpu_per_request(runs) + " |")
                if n == 100000:
                    bars.append((f"tracking overhead, `{path}` at "
                                 f"{fmt_n(n)} sessions, 2 workers",
                                 "at most 3% of throughput",
                                 f"{(1 - ratio) * 100:.1f}%", ratio >= 0.97,
                                 "" if ratio >= 0.97 else
                                 "see docs/profile.md for what the module "
                                 "adds per request"))
                if n == 1000000 and path == "/":
                    bars.append(("tracked against untracked throughput at "
                                 "1M, `/`", "at least 0.95 (issue 12)",
                                 f"{ratio:.3f}", ratio >= 0.95, ""))
        w("")
        w("`/` answers from nginx itself (`return 200`), the worst case for "
          "the module's share of the work; `/proxied` goes to an upstream "
          "on loopback, as tracked traffic does in production; "
          "`/static/page.html` is a 4 KiB file served by nginx (`root`, no "
          "open file cache). The last column is the CPU time both workers "
          "had during each run (/proc/PID/schedstat, user and kernel) per "
          "request served, and the median over the rounds of tracked "
          "against untracked: what tracking costs the workers, apart from "
          "how fast the shared machine happened to be (wrk and the kernel's "
          "loopback work on the client side are not in it). "
          "docs/profile.md gives the instructions and cache misses the "
          "module adds per request, measured with callgrind.\n")

    # dumps
    dumps = [r for r in rows if r["kind"] == "dump"]
    if dumps:
        w("## Full dumps\n")
        w("Each listing form, read whole by one client while nothing else "
          "runs; lock holds are those of the whole zone during the dump "
          "(the status endpoint's lock-hold histogram before and after).\n")
        w("| sessions | form | median time | size | lock holds "
          "| under 100 us | under 1 ms | holds of 1 ms or more "
          "| longest hold |")
        w("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
        for n in sizes:
            forms = []
            for r in dumps:
                if r["n"] == n and r["form"] not in forms:
                    forms.append(r["form"])
            for form in forms:
                rs = [r for r in dumps if r["n"] == n and r["form"] == form]
                secs = [r["result"]["seconds"] for r in rs]
                size = median([r["result"]["bytes"] for r in rs])
                deltas = [holds_delta(r["before"], r["after"]) for r in rs]
                slow = sum(d[k] for d in deltas for k in SLOW)
                holds = sum(d[k] for d in deltas for k in BUCKETS)
                worst = max((longest(d) for d in deltas),
                            key=lambda k: BUCKETS.index(k)
                            if k in BUCKETS else -1)
                extra = ""
                if form == "status-list":
                    extra = (f" ({rs[0]['result']['pages']} pages, "
                             f"{rs[0]['result']['duplicates']} duplicates)")
                fast = sum(d[k] for d in deltas for k in BUCKETS[:2])
                quick = sum(d[k] for d in deltas for k in BUCKETS[:3])
                w(f"| {n} | {form}{extra} | {median(secs):.3f} s | "
                  f"{size / 1048576:.1f} MiB | {holds} | "
                  f"{fast / holds * 100:.2f}% | {quick / holds * 100:.3f}% "
                  f"| {slow} | {worst.replace('_', ' ')} |")
                if n >= 1000000 and form == "status-list":
                    xml = [r["result"]["seconds"] for r in dumps
                           if r["n"] == n and r["form"] == "zimbra-xml"]
                    if xml:
                        x = median(secs) / median(xml)
                        bars.append((f"status list of {fmt_n(n)} against "
                                     "the XML dump, time per session",
                                     "as fast (issue 12)", f"{x:.1f}x",
                                     x <= 1.1, "" if x <= 1.1 else
                                     "a page per request: the client's "
                                     "round trips and each page's resume"))
                if n >= 1000000 and form in ("zimbra-xml",
                                             "zimbra-grouped",
                                             "zimbra-json"):
                    pace = median(secs) / (n / 1e6)
                    bars.append((f"idle dump of {fmt_n(n)} sessions "
                                 f"({form}), per million sessions",
                                 "at most 0.5 s", f"{pace:.3f} s",
                                 pace <= 0.5, "" if pace <= 0.5 else
                                 f"{pace / 0.5:.1f}x the bar"))
        w("")
        w("A batch copies at most 128 sessions under the lock: most holds "
          "take 10 to 100 us. On these 2 cores the dumping worker shares "
          "its CPU with the client reading the dump and the other worker; "
          "when the scheduler takes the CPU from a worker that holds the "
          "lock, the hold lasts until it gets it back. The "
          "`zimbra-xml-pinned` rows repeat the XML dump with both workers "
          "on the first CPU and the client on the second, so that the "
          "client cannot take the CPU from the dumping worker; long holds "
          "left there come from interrupts, kernel threads or the "
          "hypervisor, or from the module itself, and this benchmark "
          "cannot tell which.\n")

    # traffic under dumps
    ud = [r for r in rows if r["kind"] == "under_dumps"]
    plot = []
    p99s = {}
    if ud:
        w("## Tracked traffic while dumps run back to back\n")
        w("Tracked traffic (`/`) alone, and with a client reading the XML "
          "dump (`listSessions=1`) in a loop for the whole run, alternated. "
          "A listing yields to tracked traffic (it pauses after each batch "
          "while other requests take the zone lock), so under load a dump "
          "takes longer than alone: the table gives the dumps completed "
          "within the runs, how long they took, and the pace at which "
          "dumps read under this load (the dump cut by the end of a run "
          "included), with the time a whole dump takes at that pace. The "
          "load is wrk at full speed on the same 2 cores: the most a "
          "listing ever has to yield to.\n")
        w("| sessions | req/s alone | req/s with dumps | ratio | p99 alone "
          "| p99 with dumps | p99 ratio | dumps completed | their time "
          "| holds of 1 ms or more |")
        w("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
          "| ---: |")
        for n in sizes:
            q = [r for r in ud if r["n"] == n and r["mode"] == "quiet"]
            d = [r for r in ud if r["n"] == n and r["mode"] == "dumping"]
            if not q:
                continue
            rq = median([r["wrk"]["rps"] for r in q])
            rd = median([r["wrk"]["rps"] for r in d])
            pq = median([r["wrk"]["p99_us"] for r in q])
            pd = median([r["wrk"]["p99_us"] for r in d])
            ratios = paired(q + d, ("mode", "dumping"), "quiet", "rps")
            ratio = median(ratios)
            pratio = median(paired(q + d, ("mode", "dumping"), "quiet",
                                   "p99_us"))
            slow = sum(holds_delta(r["before"], r["after"])[k]
                       for r in d for k in SLOW)
            times = [t for r in d for t in r.get("dump_seconds", [])]
            # how fast dumps read under this load, whole or cut by the end
            got = [x for r in d for x in r.get("dump_read", [])]
            secs = sum(x[0] for x in got)
            rate = sum(x[1] for x in got) / secs if secs else 0
            full = [r["result"]["bytes"] for r in rows if r["kind"] == "dump"
                    and r["n"] == n and r["form"] == "zimbra-xml"]
            w(f"| {n} | {rq:.0f} | {rd:.0f} | {ratio:.3f} (rounds: "
              + ", ".join(f"{x:.3f}" for x in ratios) + "; of the medians: "
              f"{rd / rq:.3f}) | "
              f"{pq / 1000:.2f} ms | {pd / 1000:.2f} ms | {pratio:.2f} | "
              f"{sum(r['dumps'] for r in d)} in {len(d)} runs | "
              + (f"median {median(times):.2f} s" if times else "-")
              + (f"; read at {rate / 1048576:.1f} MiB/s, "
                 f"{full[0] / rate:.1f} s for the whole dump"
                 if rate and full else "")
              + f" | {slow} |")
            if n >= 1000000 or n == max(sizes):
                bars.append((f"tracked traffic during back-to-back dumps at "
                             f"{fmt_n(n)}: p99 against alone",
                             "within 2x (issue 12)", f"{pratio:.2f}x",
                             pratio <= 2, "" if pratio <= 2 else
                             "the dump's batches hold the lock the "
                             "traffic waits for"))
                bars.append((f"tracked traffic during back-to-back dumps at "
                         f"{fmt_n(n)}: throughput", "at least 90%",
                         f"{ratio * 100:.1f}%", ratio >= 0.9, ""))
            idle = [r["result"]["seconds"] for r in rows
                    if r["kind"] == "dump" and r["n"] == n
                    and r["form"] == "zimbra-xml"]
            if idle and (n >= 1000000 or n == max(sizes)):
                # whole dumps under load, or the pace of those cut short
                loaded = (median(times) if times else
                          full[0] / rate if rate and full else None)
                if loaded:
                    x = loaded / median(idle)
                    bars.append((f"XML dump of {fmt_n(n)} under saturating "
                                 "load against idle", "within 5x",
                                 f"{x:.1f}x ({loaded:.1f} s against "
                                 f"{median(idle):.2f} s"
                                 + ("" if times else ", at the pace read")
                                 + ")", x <= 5,
                                 "" if x <= 5 else "the dump yields to "
                                 "tracked traffic (the pace of "
                                 "ngx_http_session_stream.c)"))
            p99s[n] = pq
            for r in q + d:
                plot.append((n, r["round"], r["mode"], r["wrk"]["rps"],
                             r["wrk"]["p99_us"] / 1000))
        w("")
        w("![throughput and p99 latency with and without dumps, and the "
          "tracking overhead by size](benchmarks.png)\n")
        if 100000 in p99s:
            for n in sorted(p99s):
                if n <= 100000:
                    continue
                x = p99s[n] / p99s[100000]
                bars.append((f"p99 of tracked traffic at {fmt_n(n)} against "
                             "100k (alone, the runs above)",
                             "within 1.5x" if n == 1000000 else
                             "(no bar; for the record)",
                             f"{x:.2f}x ({p99s[n] / 1000:.2f} ms against "
                             f"{p99s[100000] / 1000:.2f} ms)",
                             x <= 1.5 if n == 1000000 else None,
                             "" if x <= 1.5 else "docs/profile.md: "
                             "where the time goes as the zone grows"))

    lock_section(rows, sizes, w, bars)
    restart_section(rows, w, bars)
    peers_section(results, w)

    # bars
    w("## The bars\n")
    w("The bars of design.md (\"Bars\") and issue 12, each against what "
      "this run measured; where one is missed, by how much and where the "
      "reason is given.\n")
    w("| figure | bar | measured | met | why, when missed |")
    w("| --- | --- | ---: | --- | --- |")
    for fig, bar, val, ok, why in bars:
        met = "-" if ok is None else "yes" if ok else "**no**"
        w(f"| {fig} | {bar} | {val} | {met} | {why} |")
    w("")

    # the fleet's figures have a page of their own (make bench-fleet)
    w("Several nodes sharing a zone through an engine (`session_fleet`): "
      "[benchmarks-fleet.md](benchmarks-fleet.md), made by "
      "`make bench-fleet`.")
    w("")

    path = os.path.join(docs, "benchmarks.md")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")

    if plot:
        make_plot(plot, overhead_points(rows, sizes),
                  os.path.join(docs, "benchmarks.png"))


def state_note(run, sizes):
    """How the sizes filled from a state file were filled."""
    st = [int(x) for x in run.get("state_sizes", "").split()
          if x.isdigit() and int(x) in sizes]
    if not st:
        return ""
    return (f" At {', '.join(fmt_n(n) for n in st)} the documented fast "
            "path fills it instead: a state file of the same tokens' "
            "sessions, made by `bench/gen-state.py`, loaded by nginx at "
            "start (`session_zone ... state=`); while the tables are "
            "measured the bench holds the file's FILE.tmp locked, so that "
            "worker 0 does not save meanwhile.")


def cpu_per_request(runs):
    """The workers' CPU time per request, untracked and tracked (medians),
    and the median of the rounds' ratios: less noisy than throughput on a
    shared machine, as it leaves out the time other processes took."""
    def per(r):
        return r["cpu_ns"] / r["wrk"]["requests"] / 1000
    runs = [r for r in runs if r.get("cpu_ns") and r["wrk"]["requests"]]
    u = [per(r) for r in runs if r["server"] == "untracked"]
    t = [per(r) for r in runs if r["server"] == "tracked"]
    if not u or not t:
        return "-"
    by = {(r["round"], r["server"]): per(r) for r in runs}
    ratios = [by[(k, "tracked")] / by[(k, "untracked")]
              for k, s in sorted(by) if s == "tracked"
              and (k, "untracked") in by]
    return (f"{median(u):.1f} / {median(t):.1f} us: "
            f"+{(median(ratios) - 1) * 100:.1f}%")


def lock_section(rows, sizes, w, bars):
    """Zone lock holds over each size's whole measurement (after the fill
    until the last traffic), long ones by cause when the status says."""
    spans = []
    for n in sizes:
        first = next((r for r in rows if r["kind"] == "fill"
                      and r["n"] == n), None)
        last = next((r for r in rows if r["kind"] == "measured"
                     and r["n"] == n), None)
        if first and last:
            spans.append((n, first["status"], last["status"]))
    if not spans:
        return
    w("## Zone lock holds\n")
    w("Every hold of the zone lock from the end of the fill to the end of "
      "the last traffic at each size (tracked traffic, dumps, status "
      "reads), from the status endpoint's lock histogram. Where the status "
      "tells (`lock.slow_descheduled`, `slow_on_cpu`, `slow_unknown`), "
      "the holds of 1 ms or more are split by whether the worker was "
      "descheduled during them (the hold's thread CPU time against its "
      "wall time): a descheduled hold is the scheduler's, one on the CPU "
      "the module's.\n")
    w("| sessions | holds | under 1 ms | 1 ms or more | descheduled "
      "| on the CPU | unknown | longest |")
    w("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for n, b, a in spans:
        d = holds_delta(b, a)
        holds = sum(d.values())
        slow = sum(d[k] for k in SLOW)
        causes = slow_causes(b, a)
        share = (holds - slow) / holds * 100 if holds else float("nan")
        if causes:
            c = [str(causes["slow_descheduled"]), str(causes["slow_on_cpu"]),
                 str(causes["slow_unknown"])]
        else:
            c = ["-", "-", "-"]
        mx = a["lock"].get("max_hold_ns")
        w(f"| {n} | {holds} | {share:.4f}% | {slow} | " + " | ".join(c)
          + f" | {longest(d).replace('_', ' ')}"
          + (f" (longest since start {mx / 1e6:.1f} ms)" if mx else "")
          + " |")
        why = ""
        if share < 99.99:
            why = ("of the long holds, " + (
                f"{causes['slow_descheduled']} descheduled, "
                f"{causes['slow_on_cpu']} on the CPU"
                if causes else "the status does not say which were "
                "descheduled") + "; 2 cores shared by wrk, the client and "
                "both workers")
        bars.append((f"zone lock holds under 1 ms at {fmt_n(n)}",
                     "99.99%", f"{share:.4f}% ({slow} of {holds} longer)",
                     share >= 99.99, why))
    w("")


def restart_section(rows, w, bars):
    """Start, reload and stop at the sizes loaded from a state file."""
    rs = [r for r in rows if r["kind"] == "restart"]
    if not rs:
        return
    w("## Start, reload and stop with a state file\n")
    w("At the sizes loaded from a state file: how long `nginx` took to "
      "return (its master loads the file before it forks workers) and to "
      "answer; the slowest request of a modest tracked load (wrk, 8 "
      "connections, 5 s) across `nginx -s reload` against the same load "
      "without one, side by side; and how long `nginx -s quit` took until "
      "the master was gone (worker 0 saves the whole zone as it exits). "
      "While the tables above were measured the bench held the state "
      "file's FILE.tmp locked, as a second writer would, so worker 0 did "
      "not save: with `state=`, every tracked request is a change and "
      "worker 0 saves again as soon as a save's pause ends.\n")
    warm = [r for r in rows if r["kind"] == "warmup"]
    if warm:
        w("Tracked traffic (`/`) just after the load, run by run, before "
          "the tables above, until a run took fewer than 1000 page "
          "faults: fork does not copy the page tables of the shared zone, "
          "so each worker maps its pages as it first touches them, much of "
          "that under the zone lock.\n")
        w("| sessions | run | req/s | p99 | minor faults | worker CPU per "
          "request | lock holds of 1 ms or more |")
        w("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for r in warm:
            d = holds_delta(r["before"], r["after"])
            cpu = (f"{r['cpu_ns'] / r['wrk']['requests'] / 1000:.1f} us"
                   if r.get("cpu_ns") and r["wrk"]["requests"] else "-")
            w(f"| {r['n']} | {r.get('round', 1)} | {r['wrk']['rps']:.0f} | "
              f"{r['wrk']['p99_us'] / 1000:.1f} ms | {r['faults']} | {cpu} "
              f"| {sum(d[k] for k in SLOW)} |")
        w("")
    w("| sessions | zone | start | answering | slowest request alone "
      "| across a reload | stop (save at exit) |")
    w("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in rs:
        n = r["n"]
        rl = [x for x in rows if x["kind"] == "reload" and x["n"] == n]
        alone = median([x["alone"]["max_us"] for x in rl]) / 1000
        across = median([x["across"]["max_us"] for x in rl]) / 1000
        w(f"| {n} | {r['zone']} | {r['start_seconds']:.1f} s | "
          f"{r['serving_seconds']:.1f} s | {alone:.1f} ms | "
          f"{across:.1f} ms | {r['stop_seconds']:.1f} s"
          + ("" if r.get("saved", True) else " (**the file was not saved**)")
          + " |")
        bars.append((f"start with {fmt_n(n)} sessions in the state file",
                     "at most 10 s", f"{r['start_seconds']:.1f} s",
                     r["start_seconds"] <= 10, "" if r["start_seconds"]
                     <= 10 else "the master parses the file and indexes "
                     "it one session at a time, before nginx "
                     "forks its workers (a load by a worker in the "
                     "background is not built)"))
        bars.append((f"save at stop with {fmt_n(n)} sessions",
                     "at most 10 s", f"{r['stop_seconds']:.1f} s",
                     r["stop_seconds"] <= 10, "" if r["stop_seconds"]
                     <= 10 else "worker 0 formats and writes every "
                     "session at exit, in one go"))
        bars.append((f"slowest request across a reload with {fmt_n(n)} "
                     "sessions", "at most 100 ms (issue 12)",
                     f"{across:.1f} ms ({alone:.1f} ms without)",
                     across <= 100, "" if across <= 100 else
                     "compare with the same load without a reload"))
    w("")


def peers_section(results, w):
    """The Lua peer's section, as bench/peers/report.py writes it."""
    here = os.path.dirname(os.path.abspath(__file__))
    script = os.path.join(here, "peers", "report.py")
    data = os.path.join(os.path.dirname(os.path.abspath(results)),
                        "peers.jsonl")
    if not (os.path.exists(script) and os.path.exists(data)):
        return
    r = subprocess.run([sys.executable, script, data], capture_output=True,
                       text=True)
    if r.returncode != 0 or not r.stdout.strip():
        w("## The Lua peer\n")
        w("bench/peers/report.py failed: " + r.stderr.strip()[-300:] + "\n")
        return
    w(r.stdout.rstrip() + "\n")


def overhead_points(rows, sizes):
    """(size, location, median tracked/untracked ratio)"""
    pts = []
    ov = [r for r in rows if r["kind"] == "overhead"]
    for n in sizes:
        for path in ("/", "/proxied", "/static/page.html"):
            runs = [r for r in ov if r["n"] == n and r["path"] == path]
            ratios = paired(runs, ("server", "tracked"), "untracked", "rps")
            if ratios:
                pts.append((n, path, median(ratios)))
    return pts


def make_plot(plot, ov, png):
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "d")
        sizes = sorted({p[0] for p in plot})
        with open(data, "w") as f:
            for n in sizes:
                f.write(f"# {n}\n")
                for mode in ("quiet", "dumping"):
                    for p in sorted(x for x in plot
                                    if x[0] == n and x[2] == mode):
                        f.write(f"{p[1]} {p[3]:.1f} {p[4]:.3f}\n")
                    f.write("\n\n")
        odata = os.path.join(tmp, "o")
        paths = []
        with open(odata, "w") as f:
            for path in ("/", "/proxied", "/static/page.html"):
                pts = [x for x in ov if x[1] == path]
                if pts:
                    paths.append(path)
                    for n, _, ratio in pts:
                        f.write(f"{n} {ratio:.4f}\n")
                    f.write("\n\n")
        script = [
            "set terminal pngcairo size 1500,450 font ',10'",
            f"set output '{png}'",
            "set multiplot layout 1,%d" % (3 if paths else 2),
            "set xlabel 'round'", "set grid", "set key bottom left",
            "set ylabel 'requests/s'", "set title 'tracked throughput'",
            "set yrange [0:*]",
        ]
        plots, lats = [], []
        for i, n in enumerate(sizes):
            for j, mode in enumerate(("quiet", "dumping")):
                idx = i * 2 + j
                label = f"{n} sessions, {'alone' if mode == 'quiet' else 'with dumps'}"
                plots.append(f"'{data}' index {idx} using 1:2 with "
                             f"linespoints title '{label}'")
                lats.append(f"'{data}' index {idx} using 1:3 with "
                            f"linespoints title '{label}'")
        script.append("plot " + ", ".join(plots))
        script += ["set ylabel 'ms'", "set title 'tracked p99 latency'",
                   "plot " + ", ".join(lats)]
        if paths:
            script += ["set logscale x", "set xlabel 'sessions in the zone'",
                       "set ylabel 'tracked / untracked'",
                       "set title 'throughput, tracked against untracked "
                       "(median of rounds)'", "set yrange [*:*]", "set offsets graph 0.05, graph 0.05, graph 0.05, graph 0.05",
                       "plot " + ", ".join(
                           f"'{odata}' index {i} using 1:2 with linespoints "
                           f"title '{p}'" for i, p in enumerate(paths))
                       + ", 0.97 with lines dashtype 2 title '3% bar'"]
        script.append("unset multiplot")
        subprocess.run(["gnuplot"], input="\n".join(script), text=True,
                       check=True)


if __name__ == "__main__":
    main()
