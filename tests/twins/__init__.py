"""Seed-literal twins: small StagePro and Stager AI servers written from the vendors'
references alone, to test this project's verdicts against servers that disagree with its
guesses (see README.md here)."""
