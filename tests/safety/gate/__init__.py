"""Tests of `safety.gate`."""
