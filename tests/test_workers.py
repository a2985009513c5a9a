"""plansite.workers.forked: a job started in a process of its own, whose result, error or
death reaches the build that asked, and which never outlives that build."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from plansite.workers import forked

from .conftest import PROJECT


def where(value: int) -> tuple[int, int]:
    return os.getpid(), value * 2


def fails(path: str) -> None:
    os.stat(path)


def dies_unless_in(pid: int) -> str:
    if os.getpid() != pid:
        os.kill(os.getpid(), signal.SIGKILL)
    return "here"


def test_a_forked_job_runs_in_another_process_and_gives_its_result() -> None:
    result = forked(where, 21)
    pid, value = result()
    assert value == 42 and pid != os.getpid()


def test_a_forked_jobs_error_is_raised_where_its_result_is_asked_for(tmp_path: Path) -> None:
    result = forked(fails, str(tmp_path / "missing"))
    with pytest.raises(FileNotFoundError) as raised:
        result()
    assert raised.value.filename == str(tmp_path / "missing")


def test_a_forked_job_whose_process_died_runs_in_the_build() -> None:
    assert forked(dies_unless_in, os.getpid())() == "here"


def test_with_other_threads_running_nothing_is_forked() -> None:
    """Forking a process that runs other threads (the preview) can deadlock: the job then runs
    here, when its result is asked for."""
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        pid, value = forked(where, 1)()
    finally:
        stop.set()
        thread.join()
    assert pid == os.getpid() and value == 2


def test_a_killed_build_leaves_no_forked_process() -> None:
    """The build is killed while its job runs: the job's process goes with it."""
    script = ("import sys, time; sys.path.insert(0, sys.argv[1]); from plansite.workers import forked; "
              "result = forked(time.sleep, 60); print('started', flush=True); time.sleep(60)")
    tag = f"plansite-forked-test-{os.getpid()}"
    build = subprocess.Popen([sys.executable, "-c", script, str(PROJECT)], stdout=subprocess.PIPE, text=True,
                             env=os.environ | {"PLANSITE_TEST_TAG": tag})
    assert build.stdout.readline().strip() == "started"
    build.kill()
    build.wait()
    deadline = time.monotonic() + 10
    while tagged(tag) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not tagged(tag), "the forked process outlived the build"


def tagged(tag: str) -> list[int]:
    """The processes whose environment holds ``tag``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if tag.encode() in (entry / "environ").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found
