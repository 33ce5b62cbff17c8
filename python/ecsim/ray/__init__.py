"""Sweeps on a Ray cluster: the same files as ``ecsim sweep``, byte for byte.

::

    import ecsim.ray
    result = ecsim.ray.sweep("scenarios/sweeps/placement-strategy.toml",
                             address="auto", out="results/sweeps/placement-strategy")
    result.aggregate

The runs of the sweep become Ray tasks, a batch of runs per task so that a
task is not dominated by Ray's overhead. Each worker loads the sweep file
(once per worker process), checks that it is the sweep the driver loaded
(same fingerprint), simulates its runs with the Rust engine (GIL released)
and returns the text of each run record. The driver holds the output folder's
lock, checks each batch's records as it comes back and appends them to the
run log with one sync (so a killed driver keeps every finished run:
``resume=True`` continues), and at the end writes the run log in run order,
``runs.csv``, ``aggregate.csv`` and ``sweep.json`` with the Rust code
``ecsim sweep`` uses. A task lost with its node is retried by Ray
(``max_retries``); the result is still complete and identical.

The sweep file and the files it names must be readable on every node at the
same path (a shared checkout), or shipped with
``runtime_env={"working_dir": "."}`` (then give paths relative to it).
"""

from __future__ import annotations

import math
import os
import sys
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

import ecsim
from ecsim import _native

__all__ = ["sweep", "run_batch", "batches"]

# Sweeps loaded by this worker process, by (path, fingerprint).
_LOADED: Dict[tuple, Any] = {}
# The remote function, by retry count (registered with Ray once per driver).
_REMOTE: Dict[int, Any] = {}


def run_batch(path: str, fingerprint: str, indexes: Sequence[int]) -> List[str]:
    """Simulate runs ``indexes`` of the sweep file ``path`` and return the
    text of each run record. Refuses a sweep whose fingerprint is not
    ``fingerprint`` (the file differs on this node)."""
    key = (path, fingerprint)
    sw = _LOADED.get(key)
    if sw is None:
        sw = _native.load_sweep(path)
        if sw.fingerprint != fingerprint:
            raise ecsim.EcsimError(
                f"{path}: this node's sweep is {sw.fingerprint}, the driver's is {fingerprint}: "
                "the sweep file or its scenario differs between nodes"
            )
        _LOADED[key] = sw
    return sw.records(list(indexes))


def batches(todo: Sequence[int], cpus: int, batch_size: Optional[int] = None) -> List[List[int]]:
    """The runs to do cut into batches, in sweep order: ``batch_size`` runs
    each, or by default about four batches per CPU (enough for the last
    batches to even out the load, few enough that Ray's per-task overhead is
    small against the runs)."""
    todo = list(todo)
    if not todo:
        return []
    if batch_size is None:
        batch_size = max(1, math.ceil(len(todo) / (4 * max(1, cpus))))
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    return [todo[i : i + batch_size] for i in range(0, len(todo), batch_size)]


def sweep(
    path: "os.PathLike[str] | str",
    out: "os.PathLike[str] | str | None" = None,
    *,
    address: Optional[str] = "auto",
    resume: bool = False,
    batch_size: Optional[int] = None,
    max_retries: int = 5,
    runtime_env: Optional[Dict[str, Any]] = None,
    progress: bool = False,
    on_batch: Any = None,
) -> "ecsim.SweepResult":
    """Run a sweep file on a Ray cluster.

    Args:
        path: the sweep file.
        out: the output folder (default ``results/sweeps/<name>``, as
            ``ecsim sweep``).
        address: the cluster (``"auto"``: the one ``ray start`` started on
            this machine; ``"ray://host:10001"``; ``None``: a local Ray
            started for this call). Ignored when Ray is already initialised.
        resume: keep the runs already in ``out`` and run only the others.
        batch_size: runs per Ray task (default: about four tasks per CPU).
        max_retries: how often Ray retries a task whose worker or node died.
        runtime_env: Ray runtime environment (e.g. ``{"working_dir": "."}``
            to ship the scenarios to the nodes).
        progress: print a line per finished batch to stderr.
        on_batch: called as ``on_batch(done_runs, total_to_run)`` after each
            batch's runs are stored.

    Returns:
        An :class:`ecsim.SweepResult`; the folder holds the files
        ``ecsim sweep`` writes for this sweep, byte for byte.

    Raises:
        ecsim.ScenarioError: the sweep file is invalid (nothing ran).
        ecsim.EcsimError: the folder is locked or holds another sweep.
    """
    import ray

    sw = ecsim.load_sweep(path)
    if out is None:
        out = sw.default_dir()
    if not ray.is_initialized():
        ray.init(address=address, runtime_env=runtime_env, log_to_driver=False)
    # Workers get the sweep file by absolute path, unless it is shipped in
    # the working directory (then relative to it).
    shipped = bool(runtime_env and runtime_env.get("working_dir"))
    wpath = os.fspath(path) if shipped else os.path.abspath(os.fspath(path))

    session = _native.open_sweep(sw, os.fspath(out), None, resume)
    try:
        todo = session.todo()
        cpus = int(ray.cluster_resources().get("CPU", 1))
        remote = _REMOTE.get(max_retries)
        if remote is None:
            remote = ray.remote(num_cpus=1, max_retries=max_retries, retry_exceptions=False)(run_batch)
            _REMOTE[max_retries] = remote
        pending = [remote.remote(wpath, sw.fingerprint, b) for b in batches(todo, cpus, batch_size)]
        done = 0
        started = time.monotonic()
        while pending:
            ready, pending = ray.wait(pending, num_returns=1)
            texts = ray.get(ready[0])
            session.store_many(texts)
            done += len(texts)
            if on_batch is not None:
                on_batch(done, len(todo))
            if progress:
                print(
                    f"{done}/{len(todo)} runs ({time.monotonic() - started:.1f} s)",
                    file=sys.stderr,
                )
        report = session.finish()
    except BaseException:
        # Keep what was stored (resume continues), release the folder.
        session.close()
        raise
    return ecsim.SweepResult(out, report)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """``python -m ecsim.ray sweep FILE --address ADDR [--out DIR] [--resume]``."""
    import argparse

    p = argparse.ArgumentParser(
        prog="python -m ecsim.ray",
        description="Run an ecsim sweep on a Ray cluster; writes what `ecsim sweep` writes.",
    )
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("sweep", help="run a sweep file on a Ray cluster")
    s.add_argument("file", help="sweep file (TOML)")
    s.add_argument("--address", default="auto", help="Ray cluster address (default: auto)")
    s.add_argument("--out", help="output folder (default: results/sweeps/<name>)")
    s.add_argument("--resume", action="store_true", help="keep finished runs, run the others")
    s.add_argument("--batch-size", type=int, help="runs per Ray task (default: ~4 tasks per CPU)")
    s.add_argument("--max-retries", type=int, default=5, help="retries of a task whose node died")
    s.add_argument("--working-dir", help="ship this folder to the nodes (Ray runtime_env)")
    s.add_argument("--quiet", action="store_true", help="no progress lines")
    a = p.parse_args(argv)
    env = {"working_dir": a.working_dir} if a.working_dir else None
    started = time.monotonic()
    try:
        r = sweep(
            a.file,
            a.out,
            address=None if a.address in ("", "local") else a.address,
            resume=a.resume,
            batch_size=a.batch_size,
            max_retries=a.max_retries,
            runtime_env=env,
            progress=not a.quiet,
        )
    except (ecsim.ScenarioError, ecsim.EcsimError) as e:
        for line in getattr(e, "problems", [str(e)]):
            print(f"error: {line}", file=sys.stderr)
        return 2 if isinstance(e, ecsim.ScenarioError) else 1
    m = r.manifest
    print(
        f"{m['name']}: {m['total_runs']} runs ({m['combinations']} combinations x {m['seeds']} seeds); "
        f"ran {r.report.get('ran')}, skipped {r.report.get('skipped')} already finished; "
        f"{time.monotonic() - started:.1f} s"
    )
    print(f"  results in {Path(r.dir)}")
    return 0
