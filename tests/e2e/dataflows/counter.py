"""Slow, recoverable counter: the platform's recovery / restart test subject.

Partition p of P emits p, p + P, p + 2P, ... below COUNTER_TOTAL, one
item every COUNTER_DELAY seconds. Items are keyed by parity and a running
sum per key is kept with stateful_map, so recovery must restore both the
source offsets and the sums. Each result is written as a JSON line
{"n": n, "key": k, "sum": s} to COUNTER_OUTPUT.

Environment (defaults): COUNTER_TOTAL (60), COUNTER_DELAY (0.1),
COUNTER_PARTITIONS (2), COUNTER_OUTPUT (out/counter.jsonl).

After a crash and a restart with the same recovery directory every
n < COUNTER_TOTAL appears in the output at least once.
"""

import json
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import List, Optional, Tuple

import bytewax.operators as op
from bytewax.connectors.files import FileSink
from bytewax.dataflow import Dataflow
from bytewax.inputs import FixedPartitionedSource, StatefulSourcePartition

TOTAL = int(os.environ.get("COUNTER_TOTAL", "60"))
DELAY = timedelta(seconds=float(os.environ.get("COUNTER_DELAY", "0.1")))
PARTITIONS = int(os.environ.get("COUNTER_PARTITIONS", "2"))
OUTPUT = Path(os.environ.get("COUNTER_OUTPUT", "out/counter.jsonl"))

# FileSink cannot create missing directories.
OUTPUT.parent.mkdir(parents=True, exist_ok=True)


class _CounterPartition(StatefulSourcePartition[int, int]):
    def __init__(self, part: int, step: int, resume_index: int):
        self._part = part
        self._step = step
        # Index of the next item of this partition; the snapshot.
        self._index = resume_index
        self._awake = datetime.now(timezone.utc)

    def next_batch(self) -> List[int]:
        n = self._part + self._index * self._step
        if n >= TOTAL:
            raise StopIteration()
        self._index += 1
        # Pace with next_awake rather than sleep(): sleeping would block
        # the worker thread, including snapshots and other partitions.
        self._awake = datetime.now(timezone.utc) + DELAY
        if n % 10 == 0:
            print(f"counter: emitted {n}", flush=True)
        return [n]

    def next_awake(self) -> Optional[datetime]:
        return self._awake

    def snapshot(self) -> int:
        return self._index


class CounterSource(FixedPartitionedSource[int, int]):
    def list_parts(self) -> List[str]:
        return [f"part-{p}" for p in range(PARTITIONS)]

    def build_part(self, step_id: str, for_part: str, resume_state: Optional[int]):
        part = int(for_part.removeprefix("part-"))
        return _CounterPartition(part, PARTITIONS, resume_state or 0)


def _running_sum(total: Optional[int], n: int) -> Tuple[int, Tuple[int, int]]:
    total = (total or 0) + n
    return total, (n, total)


def _to_line(key_and_value: Tuple[str, Tuple[int, int]]) -> Tuple[str, str]:
    key, (n, total) = key_and_value
    return key, json.dumps({"n": n, "key": key, "sum": total})


flow = Dataflow("counter")
numbers = op.input("numbers", flow, CounterSource())
keyed = op.key_on("parity", numbers, lambda n: str(n % 2))
sums = op.stateful_map("running_sum", keyed, _running_sum)
op.output("out", op.map("to_line", sums, _to_line), FileSink(OUTPUT))
