"""A small valid scenario as text (line numbers matter to the error tests: edit with care)."""

BASE = """\
name: small
topology:
  data_centres:
    moscow-1: {bus_nodes: 2}
    moscow-2: {bus_nodes: 2}
  regions:
    tatarstan: {code: 16}
  participants:
    fns: {kind: federal-agency, data_centre: moscow-1, role: provider}
    bank: {kind: bank, data_centre: moscow-2, count: 3, role: consumer}
    municipality: {kind: municipality, regions: all, per_region: 4, role: both, via: regional-bus}
message_types:
  egrul-extract:
    provider: fns
    consumers: [bank, municipality]
    realtime: true
    processing_time: exp(200ms)
workload:
  flows:
    banks: {consumer: bank, type: egrul-extract, rate: 5/s}
faults:
  dc: {kind: data-centre-loss, data_centre: moscow-1, at: 10min, duration: 5min}
slos:
  rt: realtime.latency.p99 <= 2s
run: {duration: 30min, warmup: 2min}
"""


def edit(line: int, new: str, text: str = BASE) -> str:
    """BASE with 1-based `line` replaced by `new`."""
    lines = text.splitlines()
    lines[line - 1] = new
    return "\n".join(lines) + "\n"
