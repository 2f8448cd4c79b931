"""The downstream project is run by test_wheel.py against the installed wheel, not collected here."""

collect_ignore = ["downstream"]
