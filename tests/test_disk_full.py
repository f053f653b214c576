"""A write that fails under the run (a full disk, a file-size limit) ends it with one line that
says what to do, keeps what was stored, and the same command finishes once the cause is gone.
The store is never called unusable for it (it is not)."""

from __future__ import annotations

import resource
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

EXE = [sys.executable, "-m", "extractor"]
ROOT = Path(__file__).resolve().parent.parent
INPUTS = ROOT / "golden" / "inputs"


def _extractor(*args: object, preexec=None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*EXE, *map(str, args)], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, preexec_fn=preexec)


def _finishes_afterwards(out: Path) -> None:
    again = _extractor("run", INPUTS, "-o", out, "--jobs", "1")
    assert again.returncode == 0, again.stderr
    reports = len(list(INPUTS.iterdir()))
    assert f"{reports} reports" in again.stdout and "; 0 errors" in again.stdout
    ev = _extractor("eval", out, "--expected", ROOT / "golden" / "expected")
    assert ev.returncode == 0, ev.stderr
    assert "100.0%" in ev.stdout


def _mount_tmpfs(where: Path, size: str) -> None:
    where.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"a small disk cannot be made here (mounting a tmpfs needs root): {done.stderr}")


@pytest.mark.skipif(not sys.platform.startswith("linux") or shutil.which("mount") is None,
                    reason="a tmpfs of a given size is Linux's")
def test_a_full_disk_ends_the_run_with_one_line_and_the_same_command_finishes_later(
        tmp_path: Path) -> None:
    disk = tmp_path / "disk"
    _mount_tmpfs(disk, "400k")  # the golden run's outputs need several MB
    try:
        ran = _extractor("run", INPUTS, "-o", disk / "out", "--jobs", "1", "-q")
        assert ran.returncode == 2
        assert "Traceback" not in ran.stderr
        assert ran.stderr.strip().splitlines() == [
            f"Error: the disk is full while writing to {disk / 'out'}: free some space and run "
            "the same command again (finished documents are kept and not redone)"]
        subprocess.run(["mount", "-o", "remount,size=256m", str(disk)], check=True)
        _finishes_afterwards(disk / "out")
    finally:
        subprocess.run(["umount", "-l", str(disk)], capture_output=True)


def _file_size_limit() -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
    resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, 200_000))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_FSIZE as on Linux")
def test_a_file_size_limit_is_a_failed_write_not_an_unusable_store(tmp_path: Path) -> None:
    ran = _extractor("run", INPUTS, "-o", tmp_path / "out", "--jobs", "1", "-q",
                     preexec=_file_size_limit)
    assert ran.returncode == 2
    assert "Traceback" not in ran.stderr
    lines = ran.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Error: a write to {tmp_path / 'out'} failed")
    assert "run the same command again" in lines[0]
    assert "move it away" not in lines[0].lower()
    _finishes_afterwards(tmp_path / "out")
