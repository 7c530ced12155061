"""Tests of `safety.edges`."""
