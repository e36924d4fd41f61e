"""Yardsticks: other projects' test suites run against admodes, to measure what it covers."""
