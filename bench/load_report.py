"""The load test's report: throughput and latency percentiles per kind of request,
as the Markdown printed and kept in bench/results/load-latest.md."""

from __future__ import annotations

import argparse
import math
import os
import platform
from pathlib import Path

from bench.load_clients import MIX, Results


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, math.ceil(fraction * len(ordered)) - 1))
    return ordered[index]


def milliseconds(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms"


def report(
    options: argparse.Namespace,
    data: dict,
    results: Results,
    elapsed: float,
    problems: list[str],
    server_5xx: int,
) -> str:
    total = sum(len(values) for values in results.latencies.values())
    every = [value for values in results.latencies.values() for value in values]
    lines = [
        f"Load test: {options.clients} clients for {elapsed:.1f} s against "
        f"{options.servers} app servers (gunicorn, {options.workers} sync workers each) "
        f"on 127.0.0.1; one PostgreSQL "
        f"({data['users']:,} users, {data['messages']:,} messages after the run) "
        f"and Redis on the same machine.",
        f"Machine: {cpu()}, {os.cpu_count()} cores shared by the servers, the database, "
        f"Redis and the clients; Python {platform.python_version()}.",
        "",
        "| requests | count | statuses | p50 | p95 | p99 | max |",
        "|---|---|---|---|---|---|---|",
    ]
    for kind in MIX:
        values = results.latencies.get(kind, [])
        if not values:
            continue
        statuses = ", ".join(
            f"{status}: {count:,}" for status, count in sorted(results.statuses[kind].items())
        )
        lines.append(
            f"| {kind} | {len(values):,} | {statuses} | {milliseconds(percentile(values, 0.50))} "
            f"| {milliseconds(percentile(values, 0.95))} "
            f"| {milliseconds(percentile(values, 0.99))} | {milliseconds(max(values))} |"
        )
    if every:
        lines.append(
            f"| **all** | {total:,} | | {milliseconds(percentile(every, 0.50))} "
            f"| {milliseconds(percentile(every, 0.95))} "
            f"| {milliseconds(percentile(every, 0.99))} | {milliseconds(max(every))} |"
        )
    acknowledged = results.acknowledged_counts
    lines += [
        "",
        f"Throughput: {total / elapsed:,.1f} requests/s ({total:,} requests in {elapsed:.1f} s).",
        f"5xx responses: {server_5xx}. Failed connections: "
        f"{sum(results.connection_errors.values())}"
        + (f" ({dict(results.connection_errors)})" if results.connection_errors else "")
        + ".",
        f"Acknowledged writes: {acknowledged['send']:,} messages sent, "
        f"{acknowledged['reply']:,} replies, {acknowledged['edit']:,} edits; "
        f"{len(results.acknowledged):,} messages checked in the database afterwards: "
        + (
            "every one present with exactly the text sent."
            if not problems
            else f"{len(problems)} missing or different."
        ),
    ]
    refused = sum(
        count
        for kind in ("send", "reply", "edit")
        for status, count in results.statuses[kind].items()
        if status == 200
    )
    if refused:
        lines.append(
            f"Writes refused with the form shown again (200, nothing written): {refused:,}."
        )
    return "\n".join(lines)


def cpu() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"
