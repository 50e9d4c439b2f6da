"""The capacity tests' scenario: one consumer, one provider with const(1 s) processing (M/D/c), an SLO on p99."""

_TINY = """
name: tiny
topology:
  data_centres: {{dc: {{bus_nodes: 1}}}}
  bus: {{node_concurrency: 1000, ingress_time: const(0s), delivery_time: const(0s)}}
  participants:
    consumer: {{kind: federal-agency, data_centre: dc, role: consumer, polling_interval: 1us, concurrency: 1000}}
    provider: {{kind: federal-agency, data_centre: dc, role: provider, polling_interval: 1us,
               concurrency: 1, processing_time: const(1s)}}
message_types:
  lookup: {{provider: provider, consumers: [consumer], payload_size: const(1KiB), answer_size: const(1KiB)}}
workload:
  flows:
    calls: {{consumer: consumer, type: lookup, rate: {rate}}}
policies: {{ack_timeout: 1d, ttl: 30d, replication_factor: 1}}
slos:
  fast: async.latency.p99 <= 3s
run: {{duration: {duration}, warmup: {warmup}, replications: 2, seed: 7}}
"""


def tiny(rate: str = "2.5/s", duration: str = "10min", warmup: str = "1min") -> str:
    """The scenario's YAML at an arrival `rate`, a replication `duration` and `warmup` (seed 7)."""
    return _TINY.format(rate=rate, duration=duration, warmup=warmup)
