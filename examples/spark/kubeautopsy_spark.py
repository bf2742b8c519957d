#!/usr/bin/env python3
"""Analyse a trace corpus with kubeautopsy on Apache Spark (PySpark).

    python3 examples/spark/kubeautopsy_spark.py CORPUS... --out OUT [--master local[2]]
        [--partitions N] [--binary target/release/kubeautopsy] [--format markdown]
        [-- extra analyze arguments, e.g. --scenarios fixtures/scenarios]

The driver lists the trace files (in kubeautopsy's own order: directories walked depth-first,
entries sorted by name) and hands contiguous slices of that list to the executors. Each
partition runs the kubeautopsy binary on its slice (`analyze --files-from LIST --out
OUT/part-NNNNN`): per-run and per-finding rows as Parquet, every table, and results.jsonl. The
driver then prints the tables of the whole corpus with `kubeautopsy merge` (the same bytes one
`analyze` over the corpus prints) and shows what Spark SQL can do over the per-run Parquet rows.

The binary must be at the same path on every executor (local mode: this machine). kubeautopsy
does the parsing, replay and rules; Spark only distributes the file list and collects the
partials, so a cluster needs no JVM-side knowledge of the trace format.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile

TRACE_SUFFIXES = (".json", ".jsonl", ".ndjson")


def is_trace_file(name: str) -> bool:
    for comp in (".gz", ".zst"):
        if name.endswith(comp):
            name = name[: -len(comp)]
    return name.endswith(TRACE_SUFFIXES)


def list_inputs(paths: list[str]) -> list[str]:
    """Files in the order `kubeautopsy analyze PATH...` reads them."""
    out: list[str] = []

    def walk(d: str) -> None:
        for name in sorted(os.listdir(d)):
            p = os.path.join(d, name)
            if os.path.isdir(p):
                walk(p)
            elif is_trace_file(name):
                out.append(p)

    for p in paths:
        if os.path.isdir(p):
            walk(p)
        else:
            out.append(p)
    return out


def analyze_partition(index, files, binary: str, out: str, extra: list[str]):
    files = list(files)
    if not files:
        return iter([])
    part = os.path.join(out, f"part-{index:05d}")
    with tempfile.NamedTemporaryFile("w", suffix=".list", delete=False) as f:
        f.write("\n".join(files) + "\n")
        listing = f.name
    try:
        subprocess.run(
            [binary, "-q", "analyze", "--files-from", listing, "--out", part, "--format", "json", *extra],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    finally:
        os.unlink(listing)
    return iter([part])


def main() -> int:
    argv = sys.argv[1:]
    extra: list[str] = []
    if "--" in argv:
        i = argv.index("--")
        argv, extra = argv[:i], argv[i + 1:]
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("paths", nargs="+")
    ap.add_argument("--out", required=True, help="directory for the partitions' saved analyses")
    ap.add_argument("--master", default="local[2]")
    ap.add_argument("--partitions", type=int, default=4)
    ap.add_argument("--binary", default=os.path.abspath("target/release/kubeautopsy"))
    ap.add_argument("--format", default="markdown", help="format of the merged tables")
    args = ap.parse_args(argv)

    from pyspark.sql import SparkSession  # imported here so --help works without pyspark

    spark = (
        SparkSession.builder.master(args.master)
        .appName("kubeautopsy")
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    files = list_inputs(args.paths)
    os.makedirs(args.out, exist_ok=True)
    binary, out = args.binary, os.path.abspath(args.out)
    parts = (
        spark.sparkContext.parallelize(files, numSlices=max(1, min(args.partitions, len(files))))
        .mapPartitionsWithIndex(lambda i, it: analyze_partition(i, it, binary, out, extra))
        .collect()
    )
    parts.sort()
    merged = subprocess.run(
        [binary, "merge", *parts, "--format", args.format],
        check=True,
        capture_output=True,
        text=True,
    )
    sys.stdout.write(merged.stdout)

    # Going further in Spark SQL: the per-run rows of every partition.
    runs = spark.read.parquet(*[os.path.join(p, "runs.parquet") for p in parts])
    runs.createOrReplaceTempView("runs")
    print("\nSpark SQL over runs.parquet:")
    spark.sql(
        "SELECT arm, verdict, count(*) AS runs FROM runs GROUP BY arm, verdict ORDER BY arm, verdict"
    ).show(truncate=False)
    spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
