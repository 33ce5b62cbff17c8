"""Type stubs of the `ecsim` package."""

from os import PathLike
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Union

import pandas as pd

from ._native import EcsimError as EcsimError
from ._native import Scenario as Scenario
from ._native import ScenarioError as ScenarioError
from ._native import Sweep

__version__: str
TABLES: tuple[str, ...]

_Path = Union[str, PathLike[str]]
Overrides = Union[None, Mapping[str, Any], Sequence[str]]

def overrides(set: Overrides) -> List[str]: ...
def load(path: _Path, set: Overrides = None, *, seed: Optional[int] = None) -> Scenario: ...

class RunResult:
    scenario: Optional[Scenario]
    seed: Optional[int]
    @property
    def summary(self) -> Dict[str, Any]: ...
    @property
    def wall_time_s(self) -> Optional[float]: ...
    def summary_json(self) -> str: ...
    def table(self, name: str) -> pd.DataFrame: ...
    @property
    def tables(self) -> Dict[str, pd.DataFrame]: ...
    @property
    def timeseries(self) -> pd.DataFrame: ...
    @property
    def tasks(self) -> pd.DataFrame: ...
    @property
    def events(self) -> pd.DataFrame: ...
    @property
    def instances(self) -> pd.DataFrame: ...
    @property
    def cost(self) -> pd.DataFrame: ...
    def write(self, dir: _Path) -> List[Path]: ...

def run(
    scenario: Union[_Path, Scenario],
    *,
    seed: Optional[int] = None,
    set: Overrides = None,
    outputs: Optional[Iterable[str]] = None,
) -> RunResult: ...

class SweepResult:
    dir: Path
    report: Dict[str, Any]
    manifest: Dict[str, Any]
    runs: pd.DataFrame
    aggregate: Optional[pd.DataFrame]
    @property
    def parameters(self) -> List[str]: ...

def load_sweep(path: _Path) -> Sweep: ...
def sweep(
    path: _Path,
    out: Optional[_Path] = None,
    *,
    jobs: int = 0,
    resume: bool = False,
    shard: Optional[str] = None,
) -> SweepResult: ...

class Comparison:
    scenario: Path
    seed: Optional[int]
    table: pd.DataFrame
    results: Dict[str, RunResult]
    overrides: Dict[str, List[str]]
    @property
    def text(self) -> str: ...
    def csv(self) -> str: ...
    def write(self, dir: _Path) -> List[Path]: ...

def compare(
    scenario: _Path,
    *,
    set: Overrides = None,
    seed: Optional[int] = None,
    variants: Optional[Sequence[str]] = None,
    extra: Union[None, Mapping[str, Overrides], Sequence[str]] = None,
    out: Optional[_Path] = None,
) -> Comparison: ...
