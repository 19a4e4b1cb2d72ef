"""scripts/offline runs a command in a network namespace with loopback only, as root and as any
other user where the kernel allows user namespaces; the Makefile runs the build and the tests
through it, so nothing at test or build time can fetch from the network."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OFFLINE = ROOT / "scripts" / "offline"
# Lists the interfaces of the current network namespace, then proves loopback is up.
PROBE = ["bash", "-c", "ip -o link show | cut -d: -f2 | tr -d ' '; "
         "python3 -c 'import socket; s = socket.socket(); s.bind((\"127.0.0.1\", 0)); s.listen(); "
         "c = socket.create_connection(s.getsockname(), timeout=5); print(\"loopback-ok\")'"]


def _isolated(result: subprocess.CompletedProcess) -> None:
    assert result.returncode == 0, result.stderr
    assert "cannot isolate" not in result.stderr, result.stderr
    lines = result.stdout.split()
    assert lines == ["lo", "loopback-ok"], f"interfaces inside scripts/offline: {lines}"


def test_offline_leaves_only_loopback():
    _isolated(subprocess.run([str(OFFLINE), *PROBE], capture_output=True, text=True, timeout=60))


def _real_root() -> bool:
    """Root outside any user namespace (inside `unshare -r` a user appears as uid 0 too)."""
    uid_map = Path("/proc/self/uid_map").read_text().split()
    return os.getuid() == 0 and uid_map[:2] == ["0", "0"] and int(uid_map[2]) > 1


@pytest.mark.skipif(not _real_root() or not shutil.which("setpriv"),
                    reason="checks a non-root user by dropping root with setpriv")
def test_offline_isolates_as_non_root_too():
    """As user nobody (65534), through an unprivileged user namespace (unshare -rn)."""
    drop = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    result = subprocess.run([*drop, str(OFFLINE), *PROBE], capture_output=True, text=True, timeout=60,
                            cwd="/", env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/tmp"})
    _isolated(result)


def test_offline_falls_back_with_a_note_when_it_cannot_isolate(tmp_path):
    (tmp_path / "bash").symlink_to(shutil.which("bash"))
    result = subprocess.run(["/bin/bash", str(OFFLINE), "/bin/echo", "ran"], capture_output=True, text=True,
                            env={"PATH": str(tmp_path)}, timeout=60)
    assert result.returncode == 0 and result.stdout == "ran\n"
    assert "cannot isolate the network" in result.stderr and "WITH the network" in result.stderr


@pytest.mark.skipif(os.environ.get("JAKMETA_OFFLINE") != "1", reason="not run through scripts/offline")
def test_this_test_run_sees_only_loopback():
    interfaces = [name for _, name in socket.if_nameindex()]
    assert interfaces == ["lo"], f"network interfaces present: {interfaces}"
