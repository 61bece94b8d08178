"""Offline eval harness: scenario suites replayed through the real assistant, scored, reported, compared.

The scenario format is the contract in ../shared/specs/scenario-format.md; docs/evals.md explains how to
write, run and read them.
"""
