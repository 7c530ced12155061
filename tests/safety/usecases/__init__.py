"""Tests of `safety.usecases`."""
