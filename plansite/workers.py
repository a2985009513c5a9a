"""The worker processes a build renders on: one per core, forked, tied to the build (a killed
build leaves none behind), and started with Ctrl-C held so an interrupt is never lost."""

from __future__ import annotations

import ctypes
import gc
import multiprocessing
import os
import signal
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")


STOPS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)
"""Ctrl-C, a kill, a closed terminal and Ctrl-\\: what a command that cleans up takes as Ctrl-C."""


@contextmanager
def collected_after() -> Iterator[None]:
    """Hold Python's cyclic garbage collector off for one task of a worker (reading a plan file,
    rendering a group's pages) and collect the young objects once after. Such a task makes
    thousands of objects, many in cycles (markdown-it's syntax tree: each node points to its
    parent), and the collector, run every 700 of them, moved them to older generations and
    scanned the worker's whole heap again and again: a seventh of reading a file, 2-4% of
    rendering. Left off when it was off (the build's own process, while loading)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
            gc.collect(0)


@contextmanager
def ctrl_c_held(numbers: tuple[int, ...] = (signal.SIGINT,), block: bool = True) -> Iterator[None]:
    """Ctrl-C (or the signals ``numbers``) kept until the block ends, then handed to the handler
    that was there (Python's own raises KeyboardInterrupt; a signal left to its default is taken
    as Ctrl-C too; one ignored stays ignored). Python runs a handler between any two bytecodes,
    including those of the fork handlers logging runs while a process forks: there Ctrl-C is
    lost and logging's lock stays taken, so the next thread that logs (Pagefind's) waits for
    ever; or those of a clean-up, which it leaves half done; or those of ``Popen`` once the
    program runs, which is then never stopped. Blocking the signal also starts forked and spawned
    workers with it blocked, until they ignore it (:func:`start_worker`); ``block=False`` for a
    program started meanwhile, which would keep it blocked. Only the main thread receives it,
    so only it holds it."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    numbers = tuple(number for number in numbers if signal.getsignal(number) is not signal.SIG_IGN)
    held: list[int] = []
    previous: dict[int, object] = {}
    if block:  # first: installing a handler runs one already due, which could raise here
        signal.pthread_sigmask(signal.SIG_BLOCK, set(numbers))
    try:
        for number in numbers:
            previous[number] = signal.signal(number, lambda number, frame: held.append(number))
        yield
    finally:
        if block:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, set(numbers))  # a held signal is handled here
        for number, handler in previous.items():
            signal.signal(number, handler)
        if held:
            handler = previous[held[0]]
            if callable(handler):
                handler(held[0], None)
            else:  # left to its default: taken as Ctrl-C, so that what encloses the block cleans up
                raise KeyboardInterrupt


class Pool(ProcessPoolExecutor):
    """A process pool whose workers start with Ctrl-C held (:func:`ctrl_c_held`): they fork or
    are spawned while jobs are handed over, and a Ctrl-C in the middle would also leave workers
    running that nothing tells to stop, so the build would never exit."""

    def submit(self, fn, /, *args, **kwargs):
        with ctrl_c_held():
            return super().submit(fn, *args, **kwargs)


@contextmanager
def workers(initializer: Callable | None = None, initargs: tuple = ()) -> Iterator[Pool | None]:
    """A pool of one process per core, or None where a pool cannot help (one core) or is unsafe.
    Workers are forked, so they start with the parent's memory (the loaded plans) without
    copying it; forking a process that runs other threads (the preview) can deadlock, so then
    there is no pool and the work is done in this process."""
    if not forking_helps():
        yield None
        return
    with Pool(max_workers=os.cpu_count(), mp_context=multiprocessing.get_context("fork"),
              initializer=start_worker, initargs=(os.getpid(), initializer, initargs)) as pool:
        try:
            yield pool
        except KeyboardInterrupt:  # Ctrl-C: stop at once, not after every pending job
            pool.shutdown(wait=False, cancel_futures=True)
            raise


def forking_helps() -> bool:
    """Whether work forked off can run beside the build (more than one core) and safely: forking
    a process that runs other threads (the preview's) can deadlock."""
    return (os.cpu_count() or 1) > 1 and threading.active_count() == 1


def forked(job: Callable[..., T], *args: object) -> Callable[[], T]:
    """Start ``job(*args)`` in a forked process of its own, tied to the build as the workers
    are, and return the function that waits for its result (or raises its error). Where
    :func:`workers` would make no pool (one core, other threads), or should the process die,
    the job runs in this process when its result is asked for."""
    if not forking_helps():
        return lambda: job(*args)
    context = multiprocessing.get_context("fork")
    receiving, sending = context.Pipe(duplex=False)
    with ctrl_c_held():
        process = context.Process(target=run_forked, args=(os.getpid(), sending, job, args), daemon=True)
        process.start()
    sending.close()

    def result() -> T:
        try:
            done, value = receiving.recv()
        except (EOFError, OSError):  # the process died (killed, out of memory): the job runs here
            done, value = True, job(*args)
        finally:
            receiving.close()
            process.join()
        if not done:
            raise value
        return value

    return result


def run_forked(parent: int, sending, job: Callable, args: tuple) -> None:
    """What the process of :func:`forked` runs: the job, its result or error sent back."""
    start_worker(parent)
    try:
        outcome = (True, job(*args))
    except Exception as error:  # noqa: BLE001 - raised in the build that asked
        outcome = (False, error)
    sending.send(outcome)
    sending.close()


PR_SET_PDEATHSIG = 1


def start_worker(parent: int, initializer: Callable | None = None, initargs: tuple = ()) -> None:
    """Runs first in every worker process: the worker is killed as soon as the build that
    started it dies (Linux's parent-death signal), so a killed build leaves no workers behind;
    then the pool's own ``initializer``."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the build answers it
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})  # blocked while it started (Pool)
    prctl = getattr(ctypes.CDLL(None, use_errno=True), "prctl", None)
    if prctl is not None:
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:  # the build died before the signal was asked for
            os._exit(1)
    if initializer is not None:
        initializer(*initargs)
