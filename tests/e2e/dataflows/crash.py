"""A dataflow that imports fine but fails as soon as it runs.

Used to check that the platform reports a failed dataflow (non-zero exit).
"""

import sys
from typing import List

import bytewax.operators as op
from bytewax.connectors.stdio import StdOutSink
from bytewax.dataflow import Dataflow
from bytewax.inputs import DynamicSource, StatelessSourcePartition


class _BoomPartition(StatelessSourcePartition[str]):
    def next_batch(self) -> List[str]:
        msg = "boom: this dataflow always fails"
        # With several processes bytewax 0.21 often loses the Python
        # traceback behind "Send thread panic" (bytewax issue #318), so
        # log the reason ourselves before raising.
        print(f"crash: {msg}", file=sys.stderr, flush=True)
        raise RuntimeError(msg)


class BoomSource(DynamicSource[str]):
    # Dynamic: every worker of every process builds a partition, so every
    # process fails on its own instead of waiting for a dead peer.
    def build(self, step_id: str, worker_index: int, worker_count: int):
        return _BoomPartition()


flow = Dataflow("crash")
op.output("out", op.input("boom", flow, BoomSource()), StdOutSink())
