"""Benchmarks: seeded instance generators and timing tables (never part of the test suite)."""
