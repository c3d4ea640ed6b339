"""A dataflow whose first output record marks the end of start-up: the benchmark measures the
time until that record exists, by hand and through waxd."""

import os

from bytewax.connectors.stdio import StdOutSink
from bytewax.dataflow import Dataflow
import bytewax.operators as op
from bytewax.testing import TestingSource

MARK = os.environ["BENCH_MARK_FILE"]


def mark(item):
    with open(MARK, "a") as out:
        out.write(f"{item}\n")
    return item


flow = Dataflow("first_record")
numbers = op.input("numbers", flow, TestingSource(range(3)))
op.output("out", op.map("mark", numbers, mark), StdOutSink())
