#!/usr/bin/env python3
"""Compares two builds from the runs bench/compare-builds.sh kept
(OUT_DIR/run-<i>-<A|B>.jsonl, each written by bench/run.sh): per metric,
each run's figure, the median over the runs of each build, and B / A.
Prints a Markdown table and writes it to OUT_DIR/compare.md.

Usage: bench/compare-builds.py OUT_DIR"""

import glob
import json
import os
import re
import statistics
import sys

BUCKETS = ["under_10us", "under_100us", "under_1ms", "under_10ms",
           "under_100ms", "100ms_or_more"]


def median(xs):
    return statistics.median(xs) if xs else float("nan")


def holds_delta(before, after):
    b = before["lock"]["holds_by_length"]
    a = after["lock"]["holds_by_length"]
    return [a[k] - b[k] for k in BUCKETS]


def paired_ratios(runs, field):
    """Each round's tracked / untracked figure: the two runs of a round
    ran side by side in time."""
    by = {(r["round"], r["server"]): r["wrk"][field] for r in runs}
    return [by[(k, "tracked")] / by[(k, "untracked")]
            for k, s in sorted(by)
            if s == "tracked" and (k, "untracked") in by]


def metrics(rows):
    """One run's figures, by metric name (ordered as reported)."""
    m = {}
    for n in sorted({r["n"] for r in rows if "n" in r}):
        fill = next(r for r in rows if r["kind"] == "fill" and r["n"] == n)
        empty = next(r for r in rows if r["kind"] == "empty" and r["n"] == n)
        st = fill["status"]
        sessions = st["sessions"]["open"] + st["sessions"]["closed"]
        m[f"{n}: zone bytes per session"] = st["memory"]["used"] / sessions
        m[f"{n}: zone bytes per session added by the fill"] = (
            (st["memory"]["used"] - empty["status"]["memory"]["used"])
            / sessions)
        m[f"{n}: fill rate (sessions/s)"] = sessions / fill["seconds"]

        ov = [r for r in rows if r["kind"] == "overhead" and r["n"] == n]
        for path in ("/", "/proxied"):
            runs = [r for r in ov if r["path"] == path]
            if not runs:
                continue
            t = [r["wrk"] for r in runs if r["server"] == "tracked"]
            u = [r["wrk"] for r in runs if r["server"] == "untracked"]
            m[f"{n}: `{path}` tracked/untracked req/s"] = median(
                paired_ratios(runs, "rps"))
            m[f"{n}: `{path}` tracked req/s"] = median([x["rps"] for x in t])
            m[f"{n}: `{path}` untracked req/s"] = median(
                [x["rps"] for x in u])
            m[f"{n}: `{path}` tracked p99 (ms)"] = median(
                [x["p99_us"] for x in t]) / 1000
            m[f"{n}: `{path}` untracked p99 (ms)"] = median(
                [x["p99_us"] for x in u]) / 1000

        dumps = [r for r in rows if r["kind"] == "dump" and r["n"] == n]
        forms = []
        for r in dumps:
            if r["form"] not in forms:
                forms.append(r["form"])
        for form in forms:
            rs = [r for r in dumps if r["form"] == form]
            m[f"{n}: dump {form} time (s)"] = median(
                [r["result"]["seconds"] for r in rs])
            if "bytes" in rs[0]["result"]:
                m[f"{n}: dump {form} size (bytes)"] = median(
                    [r["result"]["bytes"] for r in rs])
            d = [holds_delta(r["before"], r["after"]) for r in rs]
            # per dump: the holds by length it caused
            m[f"{n}: dump {form} lock holds per dump"] = [
                median([x[i] for x in d]) for i in range(len(BUCKETS))]

        ud = [r for r in rows if r["kind"] == "under_dumps" and r["n"] == n]
        quiet = [r["wrk"] for r in ud if r["mode"] == "quiet"]
        busy = [r["wrk"] for r in ud if r["mode"] == "dumping"]
        if quiet and busy:
            by = {(r["round"], r["mode"]): r["wrk"]["rps"] for r in ud}
            m[f"{n}: under dumps req/s with/without"] = median(
                [by[(k, "dumping")] / by[(k, "quiet")]
                 for k, s in sorted(by) if s == "quiet"
                 and (k, "dumping") in by])
            m[f"{n}: under dumps p99 without (ms)"] = median(
                [x["p99_us"] for x in quiet]) / 1000
            m[f"{n}: under dumps p99 with (ms)"] = median(
                [x["p99_us"] for x in busy]) / 1000
            m[f"{n}: under dumps, dump time (s)"] = median(
                [s for r in ud if r["mode"] == "dumping"
                 for s in r["dump_seconds"]])
    return m


def fmt(v):
    if isinstance(v, list):
        return "/".join(f"{x:g}" for x in v)
    if abs(v) >= 1000:
        return f"{v:.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:.3f}"


def main():
    out = sys.argv[1]
    runs = {"A": [], "B": []}
    files = glob.glob(os.path.join(out, "run-*-*.jsonl"))
    files.sort(key=lambda f: int(re.search(r"run-(\d+)-", f).group(1)))
    for f in files:
        side = re.search(r"run-\d+-([AB])\.jsonl$", f).group(1)
        rows = [json.loads(line) for line in open(f) if line.strip()]
        runs[side].append(metrics(rows))
    if not runs["A"] or not runs["B"]:
        sys.exit("compare: runs of both builds are needed")

    lines = [f"Runs: {len(runs['A'])} of A, {len(runs['B'])} of B. "
             "Lock holds per dump: median count per dump, by length "
             "(" + ", ".join(b.replace("_", " ") for b in BUCKETS) + ").",
             "",
             "| metric | A runs | B runs | A median | B median | B / A |",
             "| --- | --- | --- | ---: | ---: | ---: |"]
    for key in runs["A"][0]:
        a = [r[key] for r in runs["A"] if key in r]
        b = [r[key] for r in runs["B"] if key in r]
        if isinstance(a[0], list):
            am = [median([x[i] for x in a]) for i in range(len(a[0]))]
            bm = [median([x[i] for x in b]) for i in range(len(b[0]))]
            ratio = "-"
        else:
            am, bm = median(a), median(b)
            ratio = f"{bm / am:.3f}" if am else "-"
        lines.append(f"| {key} | {', '.join(fmt(x) for x in a)} "
                     f"| {', '.join(fmt(x) for x in b)} "
                     f"| {fmt(am)} | {fmt(bm)} | {ratio} |")
    text = "\n".join(lines) + "\n"
    sys.stdout.write(text)
    with open(os.path.join(out, "compare.md"), "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
