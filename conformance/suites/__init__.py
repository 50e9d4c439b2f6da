"""Live test suites as data (YAML), the participant.yaml schema, linting, and the engine that runs them.

Public API:

    from conformance.suites.schema import load_suite            # -> model.Suite; SchemaErrors lists every problem
    from conformance.suites.participant import load_participant # -> participant.Participant
    from conformance.suites.lint import load, cross_check, shipped_suites   # `provider`, `consumer` by name
    from conformance.suites.engine import run_suite, RunSettings, Engine    # -> LiveRun(results, exchanges)
    from conformance.suites.redelivery import deliveries, redeliver  # deliver captured requests to a provider again
    from conformance.yamlnodes import load_yaml, Checker, parse_duration  # line-accurate YAML checking
    from conformance.suites.negative import select_cases, enqueue     # negative catalogue deliveries to a provider

Rule ids: every finding's id is in the catalogue (`conformance.rules.live`: FLOW-LIVE-*, TIME-LIVE-*, MSG-LIVE-*,
SIG-LIVE-*; a failed structure or signature check reports the static rule, e.g. MSG-ID-UUID1, SIG-VALUE).
`RunSettings(negative=N|None, negative_ids=(...))` appends negative deliveries to a provider suite; the mutation
score of a suite is `conformance.reference.mutation.mutation_score` (`smev-conformance run --variants`).
"""
