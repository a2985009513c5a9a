"""plansite.workers.forked: a job started in a process of its own, whose result, error or
death reaches the build that asked, and which never outlives that build; and ctrl_c_held,
which keeps a stop until a block that must not be cut short ends."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from plansite.workers import ctrl_c_held, forked

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


def stopping(number, frame):
    raise KeyboardInterrupt


@pytest.mark.parametrize("block", [True, False])
def test_a_held_stop_reaches_the_handler_that_was_there_when_the_block_ends(block: bool) -> None:
    """Held, a SIGTERM is noted, not acted on; at the end of the block it goes to the handler that
    was there (here one that raises), after every handler is put back. One ignored stays ignored."""
    before = {number: signal.getsignal(number) for number in (signal.SIGTERM, signal.SIGHUP)}
    try:
        signal.signal(signal.SIGTERM, stopping)
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        try:
            with ctrl_c_held((signal.SIGTERM, signal.SIGHUP), block=block):
                os.kill(os.getpid(), signal.SIGHUP)  # ignored: nothing comes of it
                time.sleep(0.01)
        except KeyboardInterrupt:
            pytest.fail("an ignored signal interrupted the block")
        went_on = False
        with pytest.raises(KeyboardInterrupt), ctrl_c_held((signal.SIGTERM, signal.SIGHUP), block=block):
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(0.01)
            went_on = True
        assert went_on
        assert signal.getsignal(signal.SIGTERM) is stopping
        assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
    finally:
        for number, handler in before.items():
            signal.signal(number, handler)


def test_a_stop_due_as_the_hold_begins_leaves_every_handler_as_it_was(monkeypatch) -> None:
    """Installing a handler first runs one already due, which may raise: the handlers installed
    until then are put back, not left to note every later stop for good."""
    before = {number: signal.getsignal(number) for number in (signal.SIGTERM, signal.SIGHUP)}
    install = signal.signal

    def installing(number, handler):
        if number == signal.SIGHUP and handler not in before.values():
            raise KeyboardInterrupt  # as a stop's handler, run inside signal.signal, would
        return install(number, handler)

    try:
        install(signal.SIGTERM, stopping)
        monkeypatch.setattr(signal, "signal", installing)
        with pytest.raises(KeyboardInterrupt), ctrl_c_held((signal.SIGTERM, signal.SIGHUP)):
            pass
        assert signal.getsignal(signal.SIGTERM) is stopping
        assert signal.pthread_sigmask(signal.SIG_BLOCK, set()) & {signal.SIGTERM, signal.SIGHUP} == set()
    finally:
        monkeypatch.undo()
        for number, handler in before.items():
            signal.signal(number, handler)
