"""ecsim: a discrete-event simulator of Amazon ECS clusters, from Python.

The same engine as the ``ecsim`` command line, called in-process::

    import ecsim

    sc = ecsim.load("scenarios/quickstart.toml", set={"duration": "6h"})
    r = ecsim.run(sc, seed=7)
    r.summary["tasks_placed"]          # the summary.json, as a dict
    r.timeseries.plot(x="time_s", y="cpu_reservation_pct")   # pandas
    r.write("out/quickstart")           # exactly the files `ecsim run` writes

    cmp = ecsim.compare("scenarios/cost/steady.toml")
    cmp.table                           # comparison.csv as a DataFrame

    sw = ecsim.sweep("scenarios/sweeps/placement-strategy.toml", jobs=2)
    sw.aggregate                        # aggregate.csv as a DataFrame

Scenario problems raise :class:`ScenarioError`, whose ``problems`` are the
lines ``ecsim validate`` prints (``FILE: FIELD.PATH: what was expected``).
Simulations run with the GIL released: threads run them in parallel.
Sweeps on a Ray cluster: :mod:`ecsim.ray`.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Union

from . import _native
from ._native import EcsimError, ScenarioError

__all__ = [
    "load",
    "run",
    "sweep",
    "load_sweep",
    "compare",
    "Scenario",
    "RunResult",
    "SweepResult",
    "Comparison",
    "ScenarioError",
    "EcsimError",
    "TABLES",
    "overrides",
]

__version__ = _native.__version__

#: The tables of a run, in the order ``ecsim run`` writes their CSV files.
TABLES = ("timeseries", "tasks", "events", "instances", "cost")

Scenario = _native.Scenario
Overrides = Union[None, Mapping[str, Any], Sequence[str]]
PathLike = Union[str, "os.PathLike[str]"]


def _toml(value: Any) -> str:
    """A Python value as a TOML literal (for override values)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{json.dumps(str(k))} = {_toml(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    raise TypeError(f"cannot write {value!r} ({type(value).__name__}) as a TOML value")


def overrides(set: Overrides) -> List[str]:
    """``path=value`` strings, as ``--set`` takes them, from a dict or a list.

    A dict's string values are taken as the command line takes them (TOML if
    they parse as TOML, such as ``'[{type="random"}]'``, else plain text such
    as ``"2h"``); other values (numbers, booleans, lists, dicts) are written
    as TOML.
    """
    if set is None:
        return []
    if isinstance(set, str):
        return [set]
    if isinstance(set, Mapping):
        out = []
        for path, value in set.items():
            text = value if isinstance(value, str) else _toml(value)
            out.append(f"{path}={text}")
        return out
    return [str(s) for s in set]


def load(path: PathLike, set: Overrides = None, *, seed: Optional[int] = None) -> "_native.Scenario":
    """Load and validate a scenario file.

    Args:
        path: the scenario file (TOML).
        set: overrides, ``{"services.web.desiredCount": 8}`` or
            ``["services.web.desiredCount=8"]`` (the CLI's ``--set``).
        seed: the seed (default: the file's ``seed``).

    Returns:
        A validated :class:`Scenario` (``name``, ``path``, ``seed``, ``set``).

    Raises:
        ScenarioError: the scenario is invalid; ``err.problems`` lists every
            problem as ``ecsim validate`` prints it.
    """
    return _native.load(os.fspath(path), overrides(set), seed)


class RunResult:
    """The result of one run.

    Attributes:
        scenario: the scenario that ran.
        seed: the run's seed.
        summary: ``summary.json`` as a dict.
        timeseries, tasks, events, instances, cost: the CSV files' tables as
            pandas DataFrames (same columns, same values), built from the
            engine's columns on first access.
        wall_time_s: wall time of the simulation (``timing.json``).
    """

    def __init__(self, native: Any, scenario: Any, seed: int, outputs: Iterable[str] = ()):
        self._native = native
        self.scenario = scenario
        self.seed = seed
        self._summary: Optional[Dict[str, Any]] = None
        self._frames: Dict[str, Any] = {}
        for name in outputs:
            self.table(name)

    @property
    def summary(self) -> Dict[str, Any]:
        """``summary.json`` as a dict (keys in the file's order)."""
        if self._summary is None:
            self._summary = self._native.summary()
        return self._summary

    @property
    def wall_time_s(self) -> Optional[float]:
        """Wall time of the simulation, seconds (``None`` for a compare variant)."""
        return self._native.wall_time_s

    def summary_json(self) -> str:
        """``summary.json``'s text, as the CLI writes it."""
        return self._native.summary_json()

    def table(self, name: str):
        """The table ``name`` (one of :data:`TABLES`) as a DataFrame."""
        if name not in self._frames:
            names = self._native.table_names()
            if name not in names:
                raise KeyError(f"no table {name!r}; the tables are {', '.join(names)}")
            from . import _frames  # pandas is imported when a table is first asked for

            self._frames[name] = _frames.frame(self._native.table(name))
        return self._frames[name]

    @property
    def tables(self) -> Dict[str, Any]:
        """Every table, by name, in the order the files are written."""
        return {n: self.table(n) for n in self._native.table_names()}

    timeseries = property(lambda self: self.table("timeseries"), doc="``timeseries.csv`` as a DataFrame.")
    tasks = property(lambda self: self.table("tasks"), doc="``tasks.csv`` as a DataFrame.")
    events = property(lambda self: self.table("events"), doc="``events.csv`` as a DataFrame.")
    instances = property(lambda self: self.table("instances"), doc="``instances.csv`` as a DataFrame.")
    cost = property(lambda self: self.table("cost"), doc="``cost.csv`` as a DataFrame.")

    def write(self, dir: PathLike) -> List[Path]:
        """Write the result folder ``ecsim run --out DIR`` writes: the same
        files, byte for byte (``timing.json`` holds this run's wall time).
        The folder is replaced whole; returns the paths written."""
        return [Path(p) for p in self._native.write(os.fspath(dir))]

    def __repr__(self) -> str:
        return f"RunResult(scenario={self.scenario.name!r}, seed={self.seed})"


def run(
    scenario: Union[PathLike, "_native.Scenario"],
    *,
    seed: Optional[int] = None,
    set: Overrides = None,
    outputs: Optional[Iterable[str]] = None,
) -> RunResult:
    """Run a scenario once (the CLI's ``ecsim run``), in this process.

    Args:
        scenario: a scenario file, or a :class:`Scenario` from :func:`load`.
        seed: the seed (default: the scenario's).
        set: overrides (see :func:`load`); with a loaded scenario, applied on
            top of the ones it was loaded with.
        outputs: tables (of :data:`TABLES`) to build as DataFrames right
            away; the others are built on first access.

    Returns:
        A :class:`RunResult`: ``summary``, the tables as DataFrames,
        ``write(dir)``.

    Raises:
        ScenarioError: the scenario is invalid (nothing ran).

    The GIL is released while the simulation runs, so a thread pool runs
    several at once.
    """
    if isinstance(scenario, _native.Scenario):
        if set:
            scenario = _native.load(
                os.fspath(scenario.path), list(scenario.set) + overrides(set), scenario.seed
            )
    else:
        scenario = load(scenario, set)
    used = scenario.seed if seed is None else seed
    outputs = list(outputs or ())
    unknown = [o for o in outputs if o not in TABLES]
    if unknown:
        raise ValueError(f"outputs: unknown table(s) {unknown}; expected some of {list(TABLES)}")
    native = _native.run(scenario, used)
    return RunResult(native, scenario, used, outputs)


class SweepResult:
    """A finished sweep folder.

    Attributes:
        dir: the folder (``sweep.json``, ``runs.csv``, ``aggregate.csv``,
            ``runs/``).
        manifest: ``sweep.json`` as a dict.
        runs: ``runs.csv`` as a DataFrame (one row per run).
        aggregate: ``aggregate.csv`` as a DataFrame (one row per parameter
            combination; ``None`` for a shard).
        report: what this call did (``ran``, ``skipped``, ...).
    """

    def __init__(self, dir: PathLike, report: Optional[Dict[str, Any]] = None):
        self.dir = Path(dir)
        self.report = report or {}
        self.manifest = json.loads((self.dir / "sweep.json").read_text())
        self._tables: Optional[Dict[str, Any]] = None

    def _load(self) -> Dict[str, Any]:
        # Built on first access, from the run log (the columns the tables
        # are written from), not from the CSV text.
        if self._tables is None:
            from . import _frames

            cols = _native.sweep_tables(os.fspath(self.dir))
            params = self.manifest.get("parameters", [])
            self._tables = {
                name: _frames.parameter_frame(_frames.frame(c), params) for name, c in cols.items()
            }
        return self._tables

    @property
    def runs(self):
        """``runs.csv`` as a DataFrame (one row per run)."""
        return self._load()["runs"]

    @property
    def aggregate(self):
        """``aggregate.csv`` as a DataFrame (one row per combination); ``None`` for a shard."""
        return self._load().get("aggregate")

    @property
    def parameters(self) -> List[str]:
        """Parameter paths, in column order."""
        return list(self.manifest.get("parameters", []))

    def __repr__(self) -> str:
        return f"SweepResult(dir={str(self.dir)!r}, runs={len(self.runs)})"


def load_sweep(path: PathLike) -> Any:
    """Load a sweep file: expand the grid and validate every combination.

    Raises:
        ScenarioError: the sweep file or some combination is invalid.
    """
    return _native.load_sweep(os.fspath(path))


def sweep(
    path: PathLike,
    out: Optional[PathLike] = None,
    *,
    jobs: int = 0,
    resume: bool = False,
    shard: Optional[str] = None,
) -> SweepResult:
    """Run a sweep file (the CLI's ``ecsim sweep``) on local threads.

    Args:
        path: the sweep file.
        out: the output folder (default: a new temporary folder; the CLI's
            default ``results/sweeps/<name>`` only when asked for).
        jobs: worker threads (0: one per core).
        resume: skip runs whose file is already in ``out``.
        shard: ``"K/N"`` to run one shard.

    Returns:
        A :class:`SweepResult` with ``runs`` and ``aggregate`` DataFrames; the
        folder holds the files ``ecsim sweep`` writes, byte for byte.
    """
    sw = load_sweep(path)
    if out is None:
        out = tempfile.mkdtemp(prefix=f"ecsim-sweep-{sw.name}-")
    report = _native.run_sweep(sw, os.fspath(out), jobs, shard, resume)
    return SweepResult(out, report)


class Comparison:
    """Variants of one scenario run with the same seed (``ecsim compare``).

    Attributes:
        table: ``comparison.csv`` as a DataFrame (one row per variant).
        results: each variant's :class:`RunResult`, by name, in order.
        text: the side-by-side table the CLI prints.
    """

    def __init__(self, native: Any, scenario: PathLike, seed: Optional[int]):
        from . import _frames

        self._native = native
        self.scenario = Path(scenario)
        self.seed = seed
        self.table = _frames.frame(native.table())
        self.results = {
            name: RunResult(r, None, seed) for name, r in zip(native.names(), native.results())
        }
        self.overrides = dict(zip(native.names(), native.overrides()))

    @property
    def text(self) -> str:
        """The table (and breakevens) ``ecsim compare`` prints."""
        return self._native.text()

    def csv(self) -> str:
        """``comparison.csv``'s text."""
        return self._native.csv()

    def write(self, dir: PathLike) -> List[Path]:
        """Write the folder ``ecsim compare --out DIR`` writes (``comparison.csv``
        and one run folder per variant), byte for byte; returns the variant
        folders."""
        return [Path(p) for p in self._native.write(os.fspath(dir))]

    def __repr__(self) -> str:
        return f"Comparison(scenario={str(self.scenario)!r}, variants={list(self.results)})"


def compare(
    scenario: PathLike,
    *,
    set: Overrides = None,
    seed: Optional[int] = None,
    variants: Optional[Sequence[str]] = None,
    extra: Union[None, Mapping[str, Overrides], Sequence[str]] = None,
    out: Optional[PathLike] = None,
) -> Comparison:
    """Run a scenario's variants side by side (the CLI's ``ecsim compare``).

    Args:
        scenario: the scenario file (its ``[variants]`` table defines them).
        set: overrides common to every variant.
        seed: one seed for every variant (default: the scenario's).
        variants: which variants to run, in order (default: every one).
        extra: more variants or more overrides for one:
            ``{"big": {"instanceGroups.nodes.count": 12}}`` or
            ``["big:instanceGroups.nodes.count=12"]`` (``--variant``).
        out: also write the comparison folder there.

    Raises:
        ScenarioError: a variant is invalid or the variants are misnamed
            (``problems`` as the CLI prints them); nothing ran.
    """
    if extra is None:
        extra_list: List[str] = []
    elif isinstance(extra, Mapping):
        extra_list = [f"{name}:{o}" for name, sets in extra.items() for o in overrides(sets)]
    else:
        extra_list = [str(e) for e in extra]
    native = _native.run_compare(
        os.fspath(scenario), overrides(set), seed, list(variants or []), extra_list
    )
    result = Comparison(native, scenario, seed)
    if out is not None:
        result.write(out)
    return result
