"""The rule catalogue: every check the harness makes, with its id, severity and source.

Public API (others import these; keep them stable):
- `conformance.findings` (below this package and `conformance.xmldsig`): `Rule`, `Example`, `Finding`, `Status`,
  `Severity`, `Location`, `FileResult`, `FAMILIES`.
- `conformance.rules.catalogue`: `@rule(id, title, severity, source, description="")` registers a check and
  `@examples(bad=[...], good=[...])` above it gives the rule its examples (every static rule has both; they are
  tests); `declare(..., bad=, good=)` registers a rule another component reports; `register(rule, check)` a rule
  unit declared elsewhere (SIG/CERT, in `conformance.xmldsig.ruleset`); `select(select, ignore)` (ruff-style ids
  or family prefixes; unknown ones are a `UsageError`), `registered()`, `all_rules()`, `get_rule(id)`,
  `describe(rule)`.
- `conformance.rules.context`: `CheckContext` (what a check sees), `Violation`, `NotApplicable`.
- `conformance.rules.engine`: `CheckSettings`, `check_paths`, `check_file`, `check_bytes`, `check_tree`,
  `expand_paths`: one finding per rule per file (pass / skip with the reason), or one per violation (fail / warn).
- `conformance.protocol.xpaths.xpath_of(element)`: the readable XPath convention of every finding.
- `conformance.rules.recipes`: the valid messages and edits the MSG/FLOW/TIME examples are built from.

Family modules (every other module of this package, found automatically): `parsing` (MSG-XML), `structure`
(MSG-SOAP, MSG-NS, MSG-BLOCKS, MSG-XMLID, MSG-FIELD, MSG-TEST, MSG-CONTENT-SINGLE), `content` (MSG-SCHEMA,
MSG-CONTENT, MSG-SELECTOR, MSG-ACCESS), `identifiers` (MSG-ID, FLOW), `attachments` (MSG-ATTACH), `timing` (TIME),
`sig` and `cert` (SIG, CERT: they register `conformance.xmldsig.ruleset`'s units with the bridge of `signatures`;
the direction is rules -> xmldsig, never back), `mtom` (MSG-MTOM). `messagefile` reads a file as the
checks see it (plain XML, or an MTOM capture with its includes resolved); `conformance.protocol.foreign` names a
document that is no SMEV 3 message, and the engine then skips every rule but MSG-XML, MSG-MTOM and MSG-SOAP.
"""
