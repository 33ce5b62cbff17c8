"""ecsim.load / run / sweep / compare against the CLI's own files."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import ecsim
from conftest import ROOT, assert_same_files, run_cli

QUICKSTART = ROOT / "scenarios" / "quickstart.toml"


def read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, keep_default_na=False, na_values=[""])


def assert_frame_is_csv(df: pd.DataFrame, path: Path) -> None:
    """Same columns in the same order, same values (empty cells are missing
    values), as the CSV file read back."""
    want = read_csv(path)
    assert list(df.columns) == list(want.columns), path.name
    assert len(df) == len(want), path.name
    for c in want.columns:
        got, exp = df[c], want[c]
        if pd.api.types.is_numeric_dtype(exp) and not pd.api.types.is_bool_dtype(exp):
            g = pd.to_numeric(got.astype("object").where(got.notna(), np.nan), errors="raise")
            np.testing.assert_array_equal(
                g.to_numpy(dtype=float), exp.to_numpy(dtype=float), err_msg=f"{path.name}:{c}"
            )
        else:
            g = got.astype("object").where(got.notna(), None).tolist()
            e = exp.astype("object").where(exp.notna(), None).tolist()
            if pd.api.types.is_bool_dtype(exp):
                g = [bool(x) for x in g]
            assert g == e, f"{path.name}:{c}"


def test_run_writes_the_cli_files_and_the_frames_are_the_csv_tables(tmp_path, cli):
    run_cli(cli, "run", str(QUICKSTART), "--seed", "7", "--out", str(tmp_path / "cli"))
    r = ecsim.run(QUICKSTART, seed=7)
    r.write(tmp_path / "py")
    assert_same_files(tmp_path / "cli", tmp_path / "py")
    assert (tmp_path / "py" / "timing.json").is_file()
    # The summary dict is summary.json.
    text = (tmp_path / "cli" / "summary.json").read_text()
    assert r.summary_json() == text
    assert r.summary == json.loads(text)
    assert r.summary["seed"] == 7
    # Every table, built from columns, reads as its CSV file.
    for name in ecsim.TABLES:
        assert_frame_is_csv(r.table(name), tmp_path / "cli" / f"{name}.csv")
    assert list(r.tables) == list(ecsim.TABLES)
    assert r.tasks["last_status"].notna().all()
    # Missing values are missing, not a placeholder.
    assert r.tasks["stopped_s"].isna().any() and r.tasks["stopped_s"].notna().any()


def test_overrides_as_a_dict_or_as_set_strings_are_the_same_run(tmp_path, cli):
    short = {"duration": "2h", "services.web.desiredCount": 3}
    a = ecsim.run(QUICKSTART, set=short)
    b = ecsim.run(QUICKSTART, set=["duration=2h", "services.web.desiredCount=3"])
    sc = ecsim.load(QUICKSTART, set={"duration": "2h"})
    c = ecsim.run(sc, set={"services.web.desiredCount": 3})
    assert a.summary == b.summary == c.summary
    assert a.summary["horizon_s"] == 7200
    run_cli(cli, "run", str(QUICKSTART), "--set", "duration=2h", "--set",
            "services.web.desiredCount=3", "--out", str(tmp_path / "cli"))
    a.write(tmp_path / "py")
    assert_same_files(tmp_path / "cli", tmp_path / "py")


def test_outputs_builds_the_tables_asked_for_and_refuses_unknown_ones():
    r = ecsim.run(QUICKSTART, set={"duration": "1h"}, outputs=["tasks"])
    assert "tasks" in r._frames and "events" not in r._frames
    with pytest.raises(ValueError, match="unknown table"):
        ecsim.run(QUICKSTART, outputs=["nope"])


def test_a_bad_scenario_raises_with_every_problem_and_its_field_path(tmp_path):
    with pytest.raises(ecsim.ScenarioError) as e:
        ecsim.load(QUICKSTART, set={"services.web.desiredCount": -1})
    assert isinstance(e.value, ValueError)
    assert e.value.problems == [
        f"{QUICKSTART}: services[0].desiredCount: expected an integer from 0 to 100000, found -1"
    ]
    # Every problem at once, each with its field path.
    with pytest.raises(ecsim.ScenarioError) as e:
        ecsim.run(QUICKSTART, set={"services.web.desiredCount": -1,
                                   "services.web.placementStrategy": '[{type="nope"}]'})
    assert len(e.value.problems) == 2, e.value.problems
    assert any("services[0].desiredCount" in p for p in e.value.problems)
    assert any("services[0].placementStrategy[0].type" in p for p in e.value.problems), e.value.problems
    assert str(e.value) == "\n".join(e.value.problems)


def test_the_problems_are_the_lines_the_cli_prints(tmp_path, cli):
    import subprocess

    done = subprocess.run(
        [str(cli), "validate", str(QUICKSTART), "--set", "services.web.desiredCount=-1"],
        cwd=ROOT, capture_output=True, text=True,
    )
    assert done.returncode != 0
    with pytest.raises(ecsim.ScenarioError) as e:
        ecsim.load(QUICKSTART, set=["services.web.desiredCount=-1"])
    for p in e.value.problems:
        assert p in done.stderr + done.stdout


def test_runs_release_the_gil():
    """While a simulation runs in a thread, Python code keeps running in the
    main thread (with the GIL held by the run it could not)."""
    # Half a year of the quickstart: long enough to tell (a tenth of a second
    # or more) however fast the engine gets, small in memory.
    sc = ecsim.load(QUICKSTART, set={"duration": "180d"})
    t0 = time.perf_counter()
    ecsim.run(sc)
    alone = time.perf_counter() - t0
    assert alone > 0.02, f"the run is too short to tell ({alone:.3f} s)"
    done = threading.Event()

    def work():
        ecsim.run(sc)
        done.set()

    ticks = 0
    th = threading.Thread(target=work)
    th.start()
    started = time.perf_counter()
    while not done.is_set():
        ticks += 1
    th.join()
    elapsed = time.perf_counter() - started
    # Millions of iterations per second when the GIL is free; with the GIL
    # held for the whole run, the loop would get only the switch intervals
    # before and after.
    assert ticks > 1000 * max(elapsed, 0.01), (ticks, elapsed)


def small_sweep(tmp_path: Path) -> Path:
    base = (ROOT / "scenarios" / "teaching" / "binpack.toml").as_posix()
    f = tmp_path / "small.toml"
    f.write_text(
        f"""
name = "small"
scenario = "{base}"
seed = 11
seeds = 2
set = ['duration="2h"']

[parameters]
"instanceGroups.nodes.count" = [6, 9]

[[zip]]
"services.api.placementStrategy" = ['[{{type="binpack", field="memory"}}]', '[{{type="random"}}]']
"batchJobs.reports.placementStrategy" = ['[{{type="binpack", field="memory"}}]', '[{{type="random"}}]']
"""
    )
    return f


def test_sweep_writes_the_cli_folder_and_its_tables(tmp_path, cli):
    f = small_sweep(tmp_path)
    run_cli(cli, "sweep", str(f), "--out", str(tmp_path / "cli"), "--jobs", "2")
    s = ecsim.sweep(f, tmp_path / "py", jobs=2)
    assert_same_files(tmp_path / "cli", tmp_path / "py")
    assert s.report["ran"] == 8
    assert_frame_is_csv(s.runs, tmp_path / "cli" / "runs.csv")
    assert_frame_is_csv(s.aggregate, tmp_path / "cli" / "aggregate.csv")
    assert s.parameters == ["instanceGroups.nodes.count", "services.api.placementStrategy",
                            "batchJobs.reports.placementStrategy"]
    # Resumed: nothing to run, same bytes.
    again = ecsim.sweep(f, tmp_path / "py", resume=True)
    assert again.report["ran"] == 0 and again.report["skipped"] == 8
    assert_same_files(tmp_path / "cli", tmp_path / "py")


def test_a_bad_sweep_raises_before_running(tmp_path):
    f = small_sweep(tmp_path)
    f.write_text(f.read_text().replace('"instanceGroups.nodes.count" = [6, 9]',
                                       '"instanceGroups.nodes.count" = [6, -9]'))
    with pytest.raises(ecsim.ScenarioError) as e:
        ecsim.sweep(f, tmp_path / "out")
    assert any("instanceGroups" in p for p in e.value.problems), e.value.problems
    assert not (tmp_path / "out" / "runs.csv").exists()


def test_compare_is_the_cli_comparison(tmp_path, cli):
    steady = ROOT / "scenarios" / "cost" / "steady.toml"
    run_cli(cli, "compare", str(steady), "--set", "duration=6h", "--out", str(tmp_path / "cli"))
    c = ecsim.compare(steady, set={"duration": "6h"})
    c.write(tmp_path / "py")
    assert_same_files(tmp_path / "cli", tmp_path / "py")
    assert_frame_is_csv(c.table, tmp_path / "cli" / "comparison.csv")
    assert list(c.results) == list(c.table["variant"])
    first = next(iter(c.results))
    assert_frame_is_csv(c.results[first].cost, tmp_path / "cli" / first / "cost.csv")
    assert c.results[first].wall_time_s is None


def test_compare_refuses_a_bad_variant_with_the_cli_lines():
    steady = ROOT / "scenarios" / "cost" / "steady.toml"
    with pytest.raises(ecsim.ScenarioError) as e:
        ecsim.compare(steady, extra=["nocolon"])
    assert e.value.problems == ["--variant nocolon: expected NAME:PATH=VALUE"]


def test_threads_run_simulations_side_by_side():
    from concurrent.futures import ThreadPoolExecutor

    seeds = [1, 2, 3, 4]
    alone = [ecsim.run(QUICKSTART, seed=s, set={"duration": "6h"}).summary for s in seeds]
    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(lambda s: ecsim.run(QUICKSTART, seed=s, set={"duration": "6h"}).summary, seeds))
    assert together == alone


def test_help_is_useful():
    doc = ecsim.run.__doc__
    for word in ("seed", "set", "outputs", "ScenarioError", "GIL"):
        assert word in doc
    assert "pandas" in ecsim.__doc__
    assert ecsim.RunResult.write.__doc__
