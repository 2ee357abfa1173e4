"""The benchmark suite: ``make bench SCALES=1m,10m`` (or ``python bench/run.py --scales 1m,10m``).

Builds (once per scale) a benchmark database with the data generator and the
bench's own shapes, then measures each case, beside its naive baseline where it
has one, each measurement in a fresh process, and prints one Markdown table of
medians with a column group per scale (also written to bench/results/latest.md).
Not part of the tests: the tests assert query budgets, which do not depend on a
noisy machine.

Each scale has its own database, separate from the one you work in: PostgreSQL
``moderation_bench`` (1m) and ``moderation_bench_10m`` (10m) on the server of
``BENCH_DATABASE_URL`` (else of ``DATABASE_URL`` when that is PostgreSQL), else
SQLite files in var/.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
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
    ("inbox", ("ours", "baseline"), "Unread inbox page of the busiest user (vs .only() per-row)"),
    ("rule_matching", ("ours",), "Match a 1,000-character message against 1,000 rules"),
    ("rule_backtest", ("ours",), "Backtest a 20-word rule over every message"),
    # The moderators' pages, each timed on its second request (bench.cases.admin_page).
    ("message_changelist", ("ours",), "Page: messages list, first page of 100"),
    ("message_unread", ("ours",), "Page: messages list, unread"),
    ("message_filter_user", ("ours",), "Page: messages list, the busiest sender's"),
    ("message_search", ("ours",), "Page: messages search, a common word (~8% of messages)"),
    ("message_search_rare", ("ours",), "Page: messages search, a rare word (3 messages)"),
    ("message_search_username", ("ours",), "Page: messages search, a username"),
    ("user_changelist", ("ours",), "Page: users list with counts"),
    ("user_search", ("ours",), "Page: users list, a username search"),
    ("dashboard_cold", ("ours",), "Page: dashboard, figures dropped (cold)"),
    ("dashboard_warm", ("ours",), "Page: dashboard, figures cached (warm)"),
    ("case_queue", ("ours",), "Page: review queue (2,000 open cases)"),
    ("case_page", ("ours",), "Page: a case, 3 reports in a 5,000-message thread"),
    ("message_page", ("ours",), "Page: a message in a 5,000-message thread"),
    ("audit_log", ("ours",), "Page: audit log (200,000 entries)"),
    ("deletion_preview", ("ours",), "Page: deletion preview of the busiest sender"),
    ("jobs_list", ("ours",), "Page: jobs list (500 jobs)"),
]
PAGE_CASES = {name for name, _, title in CASES if title.startswith("Page:")}
# Baselines that take minutes at 1M (and run out of memory above): one run at
# 1M, none at larger scales.
SLOW_BASELINES = {("export", "baseline"), ("account_deletion", "baseline")}
# Ours, but proportional to the whole table: one run above 1M (~100 s at 10M).
ONE_RUN_ABOVE_1M = {("export", "ours"), ("rule_backtest", "ours")}
PAGE_BUDGET_SECONDS = 0.25
# Cases with a budget of their own (issue 16: matching under 1 ms median, a
# backtest over 1M messages under 60 s).
CASE_BUDGET_SECONDS = {"rule_matching": 0.001, "rule_backtest": 60.0}


@dataclass(frozen=True)
class Scale:
    label: str
    messages: int
    users: int
    database: str


SCALES = {
    "1m": Scale("1M", 1_000_000, 100_000, "moderation_bench"),
    "10m": Scale("10M", 10_000_000, 1_000_000, "moderation_bench_10m"),
}


def database_url(scale: Scale) -> str:
    """The scale's database on the server of BENCH_DATABASE_URL, else of a
    PostgreSQL DATABASE_URL; else a SQLite file in var/."""
    url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        return url.rsplit("/", 1)[0] + "/" + scale.database
    return f"sqlite:///{ROOT / 'var' / scale.database}.sqlite3"


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


def scale_env(scale: Scale) -> dict[str, str]:
    url = database_url(scale)
    if url.startswith(("postgres://", "postgresql://")):
        ensure_postgres_database(url)
    else:
        (ROOT / "var").mkdir(exist_ok=True)
    return {**os.environ, "DATABASE_URL": url, "DEBUG": "0", "SECRET_KEY": "bench-only-not-secret",
            "ALLOWED_HOSTS": "*", "SECURE_SSL_REDIRECT": "0", "LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(ROOT),
            # Production's static files (hashed names), collected once; the cases
            # sign in with force_login, so no second factor.
            "STATIC_ROOT": str(ROOT / "var" / "bench-static"), "STAFF_2FA": "0"}  # fmt: skip


def measure(env: dict[str, str], scale: Scale, name: str, variant: str, runs: int) -> dict | None:
    """The median of ``runs`` fresh processes; None for a slow baseline above 1M."""
    is_large = scale.messages > 1_000_000
    if (name, variant) in SLOW_BASELINES:
        if is_large:
            return None
        runs = 1
    if (name, variant) in ONE_RUN_ABOVE_1M and is_large:
        runs = 1
    measured = [child(env, "bench.cases", name, variant) for _ in range(runs)]
    result = {
        "seconds": statistics.median(m["seconds"] for m in measured),
        "queries": measured[-1]["queries"],
        "peak_mb": statistics.median(m["peak_mb"] for m in measured),
        "note": measured[-1]["note"],
        "runs": runs,
    }
    print(f"  {scale.label} {name} {variant}: {result}", file=sys.stderr)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", default="1m", help=f"comma-separated: {', '.join(SCALES)}")
    parser.add_argument("--messages", type=int, help="a custom single size instead of --scales")
    parser.add_argument("--users", type=int, help="with --messages")
    parser.add_argument("--runs", type=int, default=5, help="measurements per variant (median)")
    parser.add_argument("--only", default="", help="comma-separated case names")
    options = parser.parse_args()
    scales = chosen_scales(parser, options)
    only = {name for name in options.only.split(",") if name}
    unknown = only - {name for name, _, _ in CASES}
    if unknown:
        parser.error(f"unknown cases: {', '.join(sorted(unknown))}")

    sizes: list[str] = []
    results: dict[tuple[str, str, str], dict | None] = {}
    env: dict[str, str] = {}
    for scale in scales:
        env = scale_env(scale)
        print(f"Benchmark database: {env['DATABASE_URL'].split('@')[-1]}", file=sys.stderr)
        subprocess.run(  # noqa: S603 - fixed arguments
            [PYTHON, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
            cwd=ROOT,
            env=env,
            check=True,
        )
        setup = child(
            env, "bench.setup_data", "--messages", str(scale.messages), "--users", str(scale.users)
        )
        generated = setup["generated_seconds"]
        sizes.append(
            f"{scale.label}: {setup['messages']:,} messages, {setup['users']:,} users"
            + (f", generated in {generated:,.0f} s" if generated else "")
        )
        for name, variants, _ in CASES:
            if only and name not in only:
                continue
            for variant in variants:
                results[scale.label, name, variant] = measure(
                    env, scale, name, variant, options.runs
                )

    table = render_table(
        scales, results, only=only, runs=options.runs, machine=machine(env), sizes=sizes
    )
    print(table)
    results_dir = ROOT / "bench" / "results"
    results_dir.mkdir(exist_ok=True)
    (results_dir / "latest.md").write_text(table + "\n")


def chosen_scales(parser: argparse.ArgumentParser, options: argparse.Namespace) -> list[Scale]:
    if options.messages or options.users:
        if not (options.messages and options.users):
            parser.error("--messages and --users go together")
        database = f"moderation_bench_{options.messages}"
        return [Scale(f"{options.messages:,}", options.messages, options.users, database)]
    names = [name.strip().lower() for name in options.scales.split(",") if name.strip()]
    unknown = [name for name in names if name not in SCALES]
    if unknown or not names:
        parser.error(f"--scales takes {', '.join(SCALES)} (got {options.scales!r})")
    return [SCALES[name] for name in names]


def render_table(
    scales: list[Scale],
    results: dict[tuple[str, str, str], dict | None],
    *,
    only: set[str],
    runs: int,
    machine: str,
    sizes: list[str],
) -> str:
    """One row per case; per scale: ours (median), queries, baseline, ratio."""
    date = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    header = ["case"]
    for scale in scales:
        header += [f"{scale.label}: time", "queries", "baseline", "baseline / ours"]
    header.append("notes")
    lines = [
        f"Machine: {machine}. Date: {date}. Data (generate_messages, seed 1): "
        + "; ".join(sizes)
        + ".",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
    ]
    for name, variants, title in CASES:
        if only and name not in only:
            continue
        cells, notes = [title], []
        for scale in scales:
            ours = results[scale.label, name, variants[0]]
            assert ours is not None
            budget = CASE_BUDGET_SECONDS.get(
                name, PAGE_BUDGET_SECONDS if name in PAGE_CASES else None
            )
            over = " ✗" if budget is not None and ours["seconds"] > budget else ""
            cells += [_time(ours) + over, f"{ours['queries']:,}"]
            if len(variants) > 1:
                base = results[scale.label, name, variants[1]]
                if base is None:
                    cells += ["—", "—"]
                    notes.append(f"baseline {scales[0].label} only")
                else:
                    ratio = base["seconds"] / ours["seconds"] if ours["seconds"] else float("inf")
                    cells += [_time(base), f"{ratio:,.1f}x"]
                    notes.append(
                        f"{scale.label} peak RSS {ours['peak_mb']:,.0f} / {base['peak_mb']:,.0f} MB"
                    )
            else:
                cells += ["", ""]
            if ours["runs"] != runs:
                notes.append(f"{scale.label}: {ours['runs']} run")
        notes.insert(0, results[scales[-1].label, name, variants[0]]["note"])
        cells.append("; ".join(notes))
        lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "",
        f"Medians of {runs} runs, each in a fresh process (the slow baselines: 1 run, at 1M "
        "only). Pages: server time of the page's second request in the process "
        f"(✗: over {PAGE_BUDGET_SECONDS * 1000:.0f} ms; rule matching: over "
        f"{CASE_BUDGET_SECONDS['rule_matching'] * 1000:.0f} ms; a backtest: over "
        f"{CASE_BUDGET_SECONDS['rule_backtest']:.0f} s). Peak RSS is the whole process "
        "(Python, Django and the data).",
    ]
    return "\n".join(lines)


def _time(result: dict) -> str:
    seconds = result["seconds"]
    if seconds < 0.01:  # the matching case is well under a millisecond
        return f"{seconds * 1000:.2f} ms"
    return f"{seconds * 1000:,.0f} ms" if seconds < 10 else f"{seconds:,.1f} s"


if __name__ == "__main__":
    main()
