"""The rule catalogue: every check the harness makes, with its id, severity and source."""
