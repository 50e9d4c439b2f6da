"""A small real scenario for command-line tests that need the model (the tandem network of
tests/sim/metrics/test_metrics_client_side.py)."""

TANDEM = """
name: tandem
description: bus entrance M/M/1 (requests and answers), then the provider M/M/1
topology:
  data_centres: {dc: {bus_nodes: 1}}
  bus: {node_concurrency: 1, ingress_time: exp(50ms), delivery_time: const(0s)}
  participants:
    consumer: {kind: federal-agency, data_centre: dc, role: consumer, polling_interval: 1us, concurrency: 1000}
    provider: {kind: federal-agency, data_centre: dc, role: provider, polling_interval: 1us,
               concurrency: 1, processing_time: exp(100ms)}
message_types:
  lookup: {provider: provider, consumers: [consumer], payload_size: const(1KiB), answer_size: const(1KiB)}
workload:
  flows:
    calls: {consumer: consumer, type: lookup, rate: 5/s}
policies: {ack_timeout: 1d, ttl: 30d, replication_factor: 1}
slos:
  rt: async.latency.p99 <= 10s
run: {duration: 1500s, warmup: 100s, replications: 2, seed: 11}
"""
