"""Tests of jakmeta.evidence, one file per module."""
