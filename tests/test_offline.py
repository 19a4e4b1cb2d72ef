"""scripts/offline runs a command in a network namespace with loopback only, as root and as any
other user where the kernel allows user namespaces; the Makefile runs the build and the tests
through it, so nothing at test or build time can fetch from the network."""

from __future__ import annotations

import os
import shutil
import socket
import stat
import subprocess
import tempfile
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


NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
NOBODY_ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/tmp"}


def _copy_for_nobody(parent: str | None) -> Path | None:
    """scripts/offline copied into a new mode-755 folder under ``parent`` (None: the default
    temporary folder), or None (and nothing left behind) when user nobody cannot run the copy."""
    try:
        folder = Path(tempfile.mkdtemp(prefix="jakmeta-offline-", dir=parent))
    except OSError:
        return None
    folder.chmod(0o755)
    script = folder / "offline"
    shutil.copyfile(OFFLINE, script)
    script.chmod(0o755)
    probe = subprocess.run([*NOBODY, "test", "-x", str(script)], cwd="/", env=NOBODY_ENV,
                           capture_output=True, timeout=60)
    if probe.returncode == 0:
        return script
    shutil.rmtree(folder, ignore_errors=True)
    return None


@pytest.fixture
def offline_for_nobody():
    """A copy of scripts/offline that user nobody can run: the checkout may lie in a folder only its
    owner can enter (a clone in root's home, or in a ``mktemp -d`` folder), so the script is copied
    to a fresh temporary folder with mode 755 (the default one, else /tmp, /var/tmp, /dev/shm) and
    removed afterwards. Skips, saying why, when no such folder is within nobody's reach."""
    tried = [None, "/tmp", "/var/tmp", "/dev/shm"]
    for parent in tried:
        script = _copy_for_nobody(parent)
        if script is not None:
            break
    else:
        pytest.skip(f"user nobody (65534) can reach no temporary folder ({tempfile.gettempdir()}, /tmp, "
                    "/var/tmp, /dev/shm: a parent folder is closed to other users), so it cannot run a "
                    "copy of scripts/offline")
    try:
        yield script
    finally:
        shutil.rmtree(script.parent, ignore_errors=True)


@pytest.mark.skipif(not _real_root() or not shutil.which("setpriv"),
                    reason="checks a non-root user by dropping root with setpriv (needs real root)")
def test_offline_isolates_as_non_root_too(offline_for_nobody):
    """As user nobody (65534), through an unprivileged user namespace (unshare -rn), wherever the
    checkout lies (the script runs from a copy every user can read)."""
    assert stat.S_IMODE(offline_for_nobody.stat().st_mode) == 0o755
    result = subprocess.run([*NOBODY, str(offline_for_nobody), *PROBE], capture_output=True, text=True,
                            timeout=60, cwd="/", env=NOBODY_ENV)
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
