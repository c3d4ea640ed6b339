"""Schemathesis hooks for test_openapi.py (loaded through SCHEMATHESIS_HOOKS): they keep a
generated request from streaming forever or from making waxd run more than a test machine
holds. Everything else the generator makes is sent as it is."""

import schemathesis

# follow=true and watch=true answer with a stream that ends only when the client hangs up: a
# generated request would hold a server thread until the client's timeout, and give the checks
# nothing to judge. Negative cases could send "true" or "" (which also means true) however the
# schema were narrowed, so the parameters are taken out of every request here.
STREAMING_PARAMETERS = ("follow", "watch")

# Generated dataflows are stored and really run. Values the server accepts above these bounds
# become the bound; values it refuses anyway (0, 5000, a string) stay, to be refused.
SPEC_BOUNDS = {"processesCount": (2, 1000), "workersPerProcess": (2, 1024)}
RECOVERY_BOUNDS = {"partsCount": (2, 10000)}


def clamp(fields, bounds):
    for name, (bound, accepted) in bounds.items():
        value = fields.get(name)
        if type(value) is int and bound < value <= accepted:
            fields[name] = bound


def bound_spec(spec):
    clamp(spec, SPEC_BOUNDS)
    if isinstance(spec.get("recovery"), dict):
        clamp(spec["recovery"], RECOVERY_BOUNDS)
    # Dependencies are installed with pip, from the network, into a new environment each.
    spec.pop("dependencies", None)


@schemathesis.hook
def before_call(context, case, kwargs):
    if isinstance(case.query, dict):
        for name in STREAMING_PARAMETERS:
            case.query.pop(name, None)
    body = case.body
    if isinstance(body, dict) and isinstance(body.get("spec"), dict):
        bound_spec(body["spec"])
