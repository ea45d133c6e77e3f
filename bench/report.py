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
    return f"{n // 1000}k" if n < 1000000 else f"{n // 1000000}M"


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
         ", no session variables") + ".")
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
        added = (used - empty["status"]["memory"]["used"]) / sessions
        w(f"| {sessions} | {st['sessions']['accounts']} | "
          f"{fill['seconds']:.1f} s ({sessions / fill['seconds']:.0f}/s) | "
          f"{used / 1048576:.1f} MiB | {per:.1f} | {added:.1f} |")
        if n == max(sizes):
            bars.append(("zone memory per session at "
                         f"{fmt_n(n)} sessions", "at most 192 bytes "
                         "(aim 160)", f"{per:.1f} bytes", per <= 192))
    w("")
    w("`zone used` counts the slab pages handed out (session nodes, account "
      "records, variables, the zone's header), from the status endpoint's "
      "`memory.used`.\n")

    # overhead
    ov = [r for r in rows if r["kind"] == "overhead"]
    if ov:
        w("## Tracking overhead\n")
        w("| sessions | location | untracked req/s | tracked req/s "
          "| tracked / untracked | untracked p99 | tracked p99 |")
        w("| ---: | --- | ---: | ---: | ---: | ---: | ---: |")
        for n in sizes:
            for path in ("/", "/proxied"):
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
                  f"{median([x['p99_us'] for x in t]) / 1000:.2f} ms |")
                bars.append((f"tracking overhead, `{path}` at {fmt_n(n)} "
                             "sessions, 2 workers", "at most 5% of "
                             "throughput", f"{(1 - ratio) * 100:.1f}%",
                             ratio >= 0.95))
        w("")
        w("`/` answers from nginx itself (`return 200`), the worst case for "
          "the module's share of the work; `/proxied` goes to an upstream "
          "on loopback, as tracked traffic does in production.\n")

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
                if n == max(sizes) and form.startswith("zimbra-") \
                        and form != "zimbra-counts":
                    bars.append((f"full dump of {fmt_n(n)} sessions "
                                 f"({form})", "at most 1 s",
                                 f"{median(secs):.3f} s", median(secs) <= 1))
                if form.startswith("zimbra-") and n == max(sizes):
                    bars.append((f"lock holds during the {form} dumps "
                                 f"at {fmt_n(n)}", "never longer than "
                                 "about 1 ms",
                                 f"{slow} of {holds} in the "
                                 f"{worst.replace('_', ' ')} bucket",
                                 slow == 0))
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
            bars.append((f"tracked traffic during back-to-back dumps at "
                         f"{fmt_n(n)}: throughput", "at least 80%",
                         f"{ratio * 100:.1f}%", ratio >= 0.8))
            bars.append((f"tracked traffic during back-to-back dumps at "
                         f"{fmt_n(n)}: p99", "within 3x",
                         f"{pratio:.2f}x", pratio <= 3))
            for r in q + d:
                plot.append((n, r["round"], r["mode"], r["wrk"]["rps"],
                             r["wrk"]["p99_us"] / 1000))
        w("")
        w("![throughput and p99 latency with and without dumps]"
          "(benchmarks.png)\n")

    # bars
    w("## The bars\n")
    w("| figure | bar | measured | met |")
    w("| --- | --- | ---: | --- |")
    for fig, bar, val, ok in bars:
        w(f"| {fig} | {bar} | {val} | {'yes' if ok else '**no**'} |")
    w("")

    # the fleet's figures have a page of their own (make bench-fleet)
    w("Several nodes sharing a zone through an engine (`session_fleet`): "
      "[benchmarks-fleet.md](benchmarks-fleet.md), made by "
      "`make bench-fleet`.")
    w("")

    # sections other scripts measure (bench/restart.sh's "## Restart at
    # 10M sessions") follow the generated part and are kept as they are
    path = os.path.join(docs, "benchmarks.md")
    kept = ""
    if os.path.exists(path):
        old = open(path).read()
        at = old.find("\n## Restart at ")
        if at >= 0:
            kept = old[at:]

    with open(path, "w") as f:
        f.write("\n".join(out) + "\n" + kept)

    if plot:
        make_plot(plot, os.path.join(docs, "benchmarks.png"))


def make_plot(plot, png):
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
        script = [
            "set terminal pngcairo size 1100,450 font ',10'",
            f"set output '{png}'",
            "set multiplot layout 1,2",
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
                   "plot " + ", ".join(lats), "unset multiplot"]
        subprocess.run(["gnuplot"], input="\n".join(script), text=True,
                       check=True)


if __name__ == "__main__":
    main()
