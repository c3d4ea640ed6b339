"""A tiny dataflow that completes in about a second and prints 5 lines."""

import bytewax.operators as op
from bytewax.connectors.stdio import StdOutSink
from bytewax.dataflow import Dataflow
from bytewax.testing import TestingSource

flow = Dataflow("fast")
items = op.input("items", flow, TestingSource(range(1, 6)))
op.output("out", op.map("label", items, lambda n: f"fast: item {n}"), StdOutSink())
