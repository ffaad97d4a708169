"""What-if computations for the server: off the event loop, once per result for all sessions.

The dashboard reads stored results (:func:`siting.results.lookup`).  A result that is not
stored yet (another k, other assumptions) is computed in a worker *process* — pandas,
networkx and HiGHS hold the GIL, so a thread would stall every other session — and
stored in the project; sessions that ask for the same result while it runs share the one
computation (:class:`ResultJobs` keys running jobs by the result key).
"""

from __future__ import annotations

import functools
import multiprocessing
import os
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ProcessPoolExecutor

import panel as pn

from layers.results import StoredResult
from siting import results


class ResultJobs:
    """Single-flight computation of stored results in a process pool.

    Parameters
    ----------
    max_workers : int
        Worker processes (default 1: what-ifs queue rather than compete for two cores).
    niceness : int
        Added to the workers' scheduling niceness (default 10, see ``os.nice``): a what-if
        yields the CPU to the server process, so other sessions' filters stay quick while
        it runs; it still gets every cycle the server does not use.
    """

    def __init__(self, *, max_workers: int = 1, niceness: int = 10):
        self.max_workers = max_workers
        self.niceness = niceness
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        self._running: dict[tuple[str, str, str], Future] = {}

    def get(self, project_dir: str | os.PathLike, analysis: str, options: Mapping) -> StoredResult | Future:
        """The stored result when current, else a Future of the :class:`siting.results.Outcome`.

        Every caller asking for the same result while it is computed gets the same Future.
        """
        req = results.request(project_dir, analysis, options)
        from layers.project import Project

        stored = Project.open(project_dir).results.get(analysis, req.key)
        if stored is not None:
            return stored
        job = (str(project_dir), analysis, req.key)
        with self._lock:
            future = self._running.get(job)
            if future is None:
                future = self._executor().submit(_compute, str(project_dir), analysis, dict(options))
                self._running[job] = future
                future.add_done_callback(functools.partial(self._forget, job))
        return future

    def running(self) -> int:
        """How many computations are queued or running."""
        with self._lock:
            return len(self._running)

    def shutdown(self) -> None:
        """Stop the worker processes (running computations are abandoned, never half-stored)."""
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = None

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # spawn, not fork: the server process runs threads (Tornado, Bokeh) that fork would copy mid-state
            self._pool = ProcessPoolExecutor(
                self.max_workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_lower_priority,
                initargs=(self.niceness,),
            )
        return self._pool

    def _forget(self, job: tuple[str, str, str], _future: Future) -> None:
        with self._lock:
            self._running.pop(job, None)


def _lower_priority(niceness: int) -> None:
    """Worker initializer: lower this process's CPU priority by ``niceness`` (POSIX only)."""
    if niceness and hasattr(os, "nice"):
        os.nice(niceness)


def _compute(project_dir: str, analysis: str, options: dict) -> results.Outcome:
    return results.run_one(project_dir, analysis, options)


@functools.cache
def shared_jobs() -> ResultJobs:
    """The server's one :class:`ResultJobs` (shared by every session of the process)."""
    return ResultJobs()


def deliver(
    fetch: Callable[[], object],
    apply: Callable[[object, Exception | None], None],
    *,
    wanted: Callable[[], bool],
) -> None:
    """Show a result now if it is stored, else when its computation ends — never blocking.

    ``fetch()`` returns a result or a :class:`~concurrent.futures.Future` (see
    :meth:`ResultJobs.get`); after a computation it is called again in a helper thread, so
    reading the stored result does not hold up the event loop.  ``apply(result, error)``
    runs on the session's event loop (via ``add_next_tick_callback``; directly outside a
    server) unless ``wanted()`` has become false because the user asked for something else
    meanwhile.
    """
    try:
        got = fetch()
    except Exception as exc:  # InputError from the analysis: the tab says why
        apply(None, exc)
        return
    if not isinstance(got, Future):
        apply(got, None)
        return
    doc = pn.state.curdoc

    def on_loop(result: object, error: Exception | None) -> None:
        if not wanted():
            return
        if error is None and isinstance(result, Future):  # stored and superseded meanwhile: ask again
            deliver(fetch, apply, wanted=wanted)
            return
        apply(result, error)

    def read_stored(future: Future) -> None:
        # the computation ended: read the stored result here, off the event loop (it is
        # cached for every session), then show it on the session's loop
        try:
            future.result()
            result, error = fetch(), None
        except Exception as exc:
            result, error = None, exc
        if doc is not None and doc.session_context is not None:
            doc.add_next_tick_callback(functools.partial(on_loop, result, error))
        else:
            on_loop(result, error)

    def finished(future: Future) -> None:
        # not in the pool's own thread: it must stay free to hand back other results
        threading.Thread(target=read_stored, args=(future,), name="xysiting-deliver", daemon=True).start()

    got.add_done_callback(finished)
