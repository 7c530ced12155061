"""Tests of `safety.checks`."""
