"""The benchmark suite: ``make bench`` (or ``python bench/run.py``).

Builds (once) a benchmark database with the data generator, then measures each
case against its naive baseline side by side in one run, each measurement in a
fresh process, and prints a Markdown table of medians. Not part of the tests:
the tests assert query budgets, which do not depend on a noisy machine.

The benchmark database is separate from the one you work in: PostgreSQL
``moderation_bench`` on the server of ``DATABASE_URL`` when that is PostgreSQL,
else ``var/bench.sqlite3``; ``BENCH_DATABASE_URL`` overrides it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable

# name, variants (first is ours), what it measures
CASES = [
    (
        "thread_chain",
        ("ours", "baseline"),
        "Thread tree, 200-deep chain (vs recursive replies.all())",
    ),
    (
        "thread_bushy",
        ("ours", "baseline"),
        "Thread tree, 1,000-message tree (vs recursive replies.all())",
    ),
    (
        "account_deletion",
        ("ours", "baseline"),
        "Delete a 10,000-message account (vs stock cascade)",
    ),
    ("export", ("ours", "baseline"), "CSV export of every message (vs import-export's default)"),
    ("message_changelist", ("ours",), "Admin: message changelist, first page of 100"),
    ("message_search", ("ours",), "Admin: message search (a word in 8% of messages)"),
    ("message_filter_user", ("ours",), "Admin: messages of the busiest sender"),
    ("user_changelist", ("ours",), "Admin: user changelist with counts"),
    ("inbox", ("ours", "baseline"), "Unread inbox page of the busiest user (vs .only() per-row)"),
    ("dashboard", ("warm", "cold"), "Dashboard figures, warm cache vs cold"),
]
# Baselines that take minutes at full size run once.
SLOW_BASELINES = {("export", "baseline"), ("account_deletion", "baseline")}


def bench_database_url() -> str:
    if os.environ.get("BENCH_DATABASE_URL"):
        return os.environ["BENCH_DATABASE_URL"]
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        return url.rsplit("/", 1)[0] + "/moderation_bench"
    return f"sqlite:///{ROOT / 'var' / 'bench.sqlite3'}"


def ensure_postgres_database(url: str) -> None:
    import psycopg

    server, name = url.rsplit("/", 1)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')


def child(env: dict[str, str], *args: str) -> dict:
    completed = subprocess.run(  # noqa: S603 - our own modules, fixed arguments
        [PYTHON, "-m", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{completed.stderr[-3000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def machine(env: dict[str, str]) -> str:
    cpu = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    database = child(env, "bench.describe")
    return (
        f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"Django {database['django']}, {database['database']}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3, help="measurements per variant (median)")
    parser.add_argument("--only", default="", help="comma-separated case names")
    options = parser.parse_args()

    url = bench_database_url()
    if url.startswith(("postgres://", "postgresql://")):
        ensure_postgres_database(url)
    else:
        (ROOT / "var").mkdir(exist_ok=True)
    env = {**os.environ, "DATABASE_URL": url, "DEBUG": "0", "SECRET_KEY": "bench-only-not-secret",
           "ALLOWED_HOSTS": "*", "SECURE_SSL_REDIRECT": "0", "LOG_LEVEL": "WARNING",
           "PYTHONPATH": str(ROOT),
           # Production's static files (hashed names), collected once below; the
           # cases sign in with force_login, so no second factor.
           "STATIC_ROOT": str(ROOT / "var" / "bench-static"), "STAFF_2FA": "0"}  # fmt: skip
    print(f"Benchmark database: {url.split('@')[-1]}", file=sys.stderr)
    subprocess.run(  # noqa: S603 - fixed arguments
        [PYTHON, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    setup = child(
        env, "bench.setup_data", "--messages", str(options.messages), "--users", str(options.users)
    )
    only = {name for name in options.only.split(",") if name}

    rows = []
    for name, variants, title in CASES:
        if only and name not in only:
            continue
        results = {}
        for variant in variants:
            runs = 1 if (name, variant) in SLOW_BASELINES else options.runs
            measured = [child(env, "bench.cases", name, variant) for _ in range(runs)]
            results[variant] = {
                "seconds": statistics.median(m["seconds"] for m in measured),
                "queries": measured[-1]["queries"],
                "peak_mb": statistics.median(m["peak_mb"] for m in measured),
                "note": measured[-1]["note"],
                "runs": runs,
            }
            print(f"  {name} {variant}: {results[variant]}", file=sys.stderr)
        rows.append((title, variants, results))

    lines = [
        f"Machine: {machine(env)}. Data: {setup['messages']:,} messages, "
        f"{options.users:,} users (generate_messages, seed 1)"
        + (
            f"; generated in {setup['generated_seconds']:.0f} s."
            if setup["generated_seconds"]
            else "."
        ),
        "",
        "| case | ours: time | queries | peak RSS | baseline: time | queries | peak RSS | "
        "baseline / ours | notes |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for title, variants, results in rows:
        ours = results[variants[0]]
        cells = [title, _time(ours), f"{ours['queries']:,}", f"{ours['peak_mb']:.0f} MB"]
        if len(variants) > 1:
            base = results[variants[1]]
            ratio = base["seconds"] / ours["seconds"] if ours["seconds"] else float("inf")
            cells += [_time(base), f"{base['queries']:,}", f"{base['peak_mb']:.0f} MB",
                      f"{ratio:,.1f}x"]  # fmt: skip
        else:
            cells += ["", "", "", ""]
        cells.append(ours["note"])
        lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "",
        f"Medians of {options.runs} runs, each in a fresh process (slow baselines: 1 run). "
        "Peak RSS is the whole process (Python, Django and the data).",
    ]
    table = "\n".join(lines)
    print(table)
    results_dir = ROOT / "bench" / "results"
    results_dir.mkdir(exist_ok=True)
    (results_dir / "latest.md").write_text(table + "\n")


def _time(result: dict) -> str:
    seconds = result["seconds"]
    return f"{seconds * 1000:,.0f} ms" if seconds < 10 else f"{seconds:,.1f} s"


if __name__ == "__main__":
    main()
