"""Tests of jakmeta.review, one file per module."""
