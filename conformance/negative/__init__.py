"""The negative catalogue: mutations of valid SMEV 3 messages and the answer each must get (issue 5 §3).

Public API:
- `conformance.negative.loader.load_catalogue(path=None) -> list[Case]`: the YAML catalogue, schema-checked
  (`catalogue.yaml` next to this file is the shipped one).
- `conformance.negative.messages.mutate(case, facts_for(case, seed)) -> bytes`: the spoiled message of a case, for
  any receiver; `reaches_participant(case)`: whether a provider suite can deliver it to a participant, and
  `as_delivery(case, facts)`: that delivery (a bus-signed GetRequestResponse carrying the spoiled request).
- `conformance.negative.runner.run_against_bus(case, client, seed=)` -> `Outcome` (`.result()` is a report
  `FileResult`); `run_catalogue(cases, url, seed=)`; `deliver_request(url, case, facts)` has a valid request
  delivered to the provider first (fills `facts.reply_to`, `facts.delivered`).
- `conformance.negative.double.start_double()`: the in-process bus double the catalogue runs against by default.
- `conformance.negative.identities`: the seeded callers (consumer, provider, expired, ...) and
  `write_bus_keys(DIR)` for `smev-conformance serve --keys DIR`.
- `conformance.negative.mutations.MUTATIONS`: the mutation vocabulary.
"""
