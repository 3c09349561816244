"""Tests of the contract suites themselves."""
