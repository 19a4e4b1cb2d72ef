"""Tests of jakmeta.book, one file per module."""
