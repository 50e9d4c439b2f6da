"""Live test suites as data (YAML), the participant.yaml schema, linting, and the engine that runs them.

Public API:

    from conformance.suites.schema import load_suite            # -> model.Suite; SchemaErrors lists every problem
    from conformance.suites.participant import load_participant # -> participant.Participant
    from conformance.suites.lint import load, cross_check, shipped_suites   # `provider`, `consumer` by name
    from conformance.suites.engine import run_suite, RunSettings, Engine    # -> LiveRun(results, exchanges)
    from conformance.suites.yamlnodes import load_yaml, Checker, parse_duration  # line-accurate YAML checking
"""
