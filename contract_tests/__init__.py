"""The contract suite: checks any server (or our mock) against the StagePro and Stager AI
specs with schemathesis (all checks, all phases) plus property tests that use only the
vendor API. ``python -m contract_tests --help``."""
