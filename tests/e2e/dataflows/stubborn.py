"""A dataflow that ignores SIGINT and never ends: stopping it takes the whole grace period and
then SIGKILL, which gives tests a window in which a stop or a deletion is under way."""

import signal
import time

import bytewax.operators as op
from bytewax.connectors.stdio import StdOutSink
from bytewax.dataflow import Dataflow
from bytewax.inputs import DynamicSource, StatelessSourcePartition

signal.signal(signal.SIGINT, signal.SIG_IGN)


class _Ticks(StatelessSourcePartition):
    def next_batch(self):
        time.sleep(0.2)
        return ["tick"]


class Ticks(DynamicSource):
    def build(self, step_id, worker_index, worker_count):
        return _Ticks()


flow = Dataflow("stubborn")
op.output("out", op.input("ticks", flow, Ticks()), StdOutSink())
