"""Reports of a simulation run, one module each (imported directly; this package imports nothing, so that the
commands can read `format` without loading matplotlib and scipy):

- `sim.report.jsonreport`: `report.json`, the contract (`build_report`, `dumps`, `write_report`);
- `sim.report.html`: the self-contained `report.html` drawn from it (`render_html`), with `plots`;
- `sim.report.junit`: the SLO verdicts as JUnit XML;
- `sim.report.capacity`: `capacity.html` and the capacity plots and heat-map from `capacity.json`;
- `sim.report.aggregate`, `sim.report.format`: the sections of a report and how numbers are written.
"""
