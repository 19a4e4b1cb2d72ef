"""When the Makefile runs the tests through scripts/offline, they run in a network namespace with
loopback only: nothing at test or build time can fetch from the network."""

import os
import socket

import pytest


@pytest.mark.skipif(os.environ.get("JAKMETA_OFFLINE") != "1", reason="not run through scripts/offline")
def test_only_loopback_is_reachable():
    interfaces = [name for _, name in socket.if_nameindex()]
    assert interfaces == ["lo"], f"network interfaces present: {interfaces}"
