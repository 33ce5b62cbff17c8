//! Hostile input and hostile conditions, through the built binary: files
//! read back are untrusted (manifests, names), result folders are
//! all-or-nothing with one writer at a time, a closed stdout is not an
//! error, a sweep stopped by a signal says what it kept.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The files `ecsim run` writes.
const RUN_FILES: [&str; 7] = [
    "summary.json",
    "timeseries.csv",
    "tasks.csv",
    "cost.csv",
    "instances.csv",
    "events.csv",
    "timing.json",
];

fn ecsim() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ecsim"))
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn quickstart() -> PathBuf {
    root().join("scenarios/quickstart.toml")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// Every file under `dir`, with its bytes, sorted by path (relative).
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                let rel = p.strip_prefix(base).unwrap().display().to_string();
                out.push((rel, std::fs::read(&p).unwrap()));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// The files that differ between two snapshots (changed, added, removed).
fn differing(a: &[(String, Vec<u8>)], b: &[(String, Vec<u8>)]) -> Vec<String> {
    let mut names: Vec<&String> = a.iter().chain(b).map(|(n, _)| n).collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .filter(|n| {
            let find =
                |s: &[(String, Vec<u8>)]| s.iter().find(|(m, _)| m == *n).map(|x| x.1.clone());
            find(a) != find(b)
        })
        .cloned()
        .collect()
}

/// Names in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    v.sort();
    v
}

/// `ecsim run quickstart` for 3 simulated hours into `out` with `seed`.
fn run_qs(out: &Path, seed: u64) -> Command {
    let mut c = ecsim();
    c.arg("run").arg(quickstart()).arg("--out").arg(out).args([
        "--set",
        "duration=\"3h\"",
        "--seed",
        &seed.to_string(),
    ]);
    c
}

/// A sweep of `seeds` runs of the teaching scenario, `duration` each.
fn sweep_file(dir: &Path, name: &str, seeds: u32, duration: &str) -> PathBuf {
    let text = format!(
        r#"name = "{name}"
scenario = "{}"
seed = 3
seeds = {seeds}
set = ['duration="{duration}"']
[parameters]
"instanceGroups.nodes.count" = [9]
"#,
        root()
            .join("scenarios/teaching/binpack.toml")
            .display()
            .to_string()
            .replace('\\', "/")
    );
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(&path, text).unwrap();
    path
}

/// A finished shard folder whose `sweep.json` is then edited by `edit`.
fn shard_with_manifest(tmp: &Path, edit: impl Fn(&mut serde_json::Value)) -> PathBuf {
    let file = sweep_file(tmp, "tiny", 2, "20m");
    let shard = tmp.join("shard");
    let o = ecsim()
        .arg("sweep")
        .arg(&file)
        .arg("--out")
        .arg(&shard)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let path = shard.join("sweep.json");
    let mut m: serde_json::Value = serde_json::from_str(&read(&path)).unwrap();
    edit(&mut m);
    std::fs::write(&path, serde_json::to_string_pretty(&m).unwrap()).unwrap();
    shard
}

/// Limits the child's address space, so a manifest that makes ecsim
/// allocate by its claims fails fast instead of exhausting the machine.
#[cfg(unix)]
fn limit_memory(c: &mut Command, bytes: u64) {
    use std::os::unix::process::CommandExt;
    unsafe {
        c.pre_exec(move || {
            let lim = libc::rlimit {
                rlim_cur: bytes as libc::rlim_t,
                rlim_max: bytes as libc::rlim_t,
            };
            if libc::setrlimit(libc::RLIMIT_AS, &lim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

#[test]
fn merge_of_a_manifest_claiming_1e18_runs_is_an_error_not_a_panic() {
    let tmp = tempfile::tempdir().unwrap();
    let shard = shard_with_manifest(tmp.path(), |m| {
        m["total_runs"] = serde_json::json!(1_000_000_000_000_000_000u64);
    });
    let o = ecsim()
        .arg("merge")
        .arg(&shard)
        .arg("--out")
        .arg(tmp.path().join("merged"))
        .output()
        .unwrap();
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{e}");
    assert!(!e.contains("panicked"), "{e}");
    assert!(
        e.contains(
            "sweep.json: total_runs is 1000000000000000000 but combinations x seeds is 1 x 2"
        ),
        "{e}"
    );
    assert!(!tmp.path().join("merged").exists());
}

#[cfg(unix)]
#[test]
fn a_manifest_run_count_is_bounded_before_anything_is_sized_by_it() {
    let tmp = tempfile::tempdir().unwrap();
    // Counts that agree with each other but are absurd: 3e9 runs.
    let shard = shard_with_manifest(tmp.path(), |m| {
        m["total_runs"] = serde_json::json!(3_000_000_000u64);
        m["combinations"] = serde_json::json!(1_500_000_000u64);
    });
    let mut c = ecsim();
    c.arg("merge")
        .arg(&shard)
        .arg("--out")
        .arg(tmp.path().join("merged"));
    limit_memory(&mut c, 2 << 30);
    let o = c.output().unwrap();
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{e}");
    assert!(
        e.contains("total_runs is 3000000000, more than the 1000000 runs a sweep may have"),
        "{e}"
    );
}

/// Runs `c`, killing it after `secs` seconds (then panics).
fn output_within(c: &mut Command, secs: u64) -> Output {
    let mut child = c
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed().as_secs() >= secs {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{c:?} still running after {secs} s");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

#[test]
fn merge_of_a_shard_of_a_huge_count_answers_at_once() {
    let tmp = tempfile::tempdir().unwrap();
    let shard = shard_with_manifest(tmp.path(), |m| {
        m["shard"] = serde_json::json!("1/1000000000000");
    });
    let mut c = ecsim();
    c.arg("merge")
        .arg(&shard)
        .arg("--out")
        .arg(tmp.path().join("merged"));
    #[cfg(unix)]
    limit_memory(&mut c, 2 << 30);
    let o = output_within(&mut c, 20);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{e}");
    assert!(
        e.contains("missing shards: 2/1000000000000, ") && e.ends_with(", ...\n"),
        "{e}"
    );
}

#[test]
fn merge_refuses_a_manifest_name_that_leaves_its_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let shard = shard_with_manifest(tmp.path(), |m| {
        m["name"] = serde_json::json!("../../../escaped");
    });
    // Default out: results/sweeps/<name> under the working folder.
    let cwd = tmp.path().join("a/b");
    std::fs::create_dir_all(&cwd).unwrap();
    let o = ecsim()
        .arg("merge")
        .arg(&shard)
        .current_dir(&cwd)
        .output()
        .unwrap();
    let e = stderr(&o);
    assert!(!o.status.success(), "{e}");
    assert!(
        e.contains("name: `../../../escaped` contains a path separator"),
        "{e}"
    );
    assert!(!tmp.path().join("a/escaped").exists());
    assert!(!cwd.join("results").exists());
}

#[test]
fn compare_refuses_variant_names_that_leave_the_output_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out/compare");
    let abs = tmp.path().join("abs");
    for name in ["../../x".to_string(), abs.display().to_string()] {
        let o = ecsim()
            .arg("compare")
            .arg(quickstart())
            .args(["--set", "duration=\"1h\"", "--variant"])
            .arg(format!("{name}:services.web.desiredCount=2"))
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap();
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{name}: {e}");
        assert!(e.contains("contains a path separator"), "{e}");
    }
    assert!(!tmp.path().join("x").exists());
    assert!(!abs.exists());
    assert!(!out.exists());
}

#[test]
fn out_at_an_existing_file_is_refused_before_the_simulation() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("taken");
    std::fs::write(&file, "mine").unwrap();
    let o = run_qs(&file, 1).output().unwrap();
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert!(
        e.contains("--out") && e.contains("exists and is a file, not a folder"),
        "{e}"
    );
    assert!(o.stdout.is_empty(), "nothing ran");
    assert_eq!(read(&file), "mine");
}

/// A run that fails while writing (the file-size limit stands in for a
/// full disk: `timeseries.csv` is over it, `summary.json` is not) leaves
/// the previous result whole and no temporary file behind.
#[cfg(unix)]
#[test]
fn a_failure_while_writing_leaves_the_previous_result_whole() {
    use std::os::unix::process::CommandExt;
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("qs");
    let o = run_qs(&out, 1).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let before = snapshot(&out);
    let summary = before.iter().find(|(n, _)| n == "summary.json").unwrap();
    let limit = summary.1.len() as u64 + 1000;
    assert!(before.iter().any(|(_, b)| b.len() as u64 > limit));

    let mut c = run_qs(&out, 2);
    unsafe {
        c.pre_exec(move || {
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            let lim = libc::rlimit {
                rlim_cur: limit as libc::rlim_t,
                rlim_max: limit as libc::rlim_t,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &lim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let o = c.output().unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let changed = differing(&snapshot(&out), &before);
    assert!(
        changed.is_empty(),
        "the previous result changed: {changed:?}"
    );
    assert_eq!(names(tmp.path()), ["qs"], "temporary files left");

    // The next run replaces it whole.
    let o = run_qs(&out, 2).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(read(&out.join("summary.json")).contains("\"seed\": 2"));
    assert_eq!(names(tmp.path()), ["qs"]);
}

/// A sweep whose final tables cannot be written (file-size limit) leaves
/// the previous manifest and tables whole; its run files are kept for
/// `--resume`.
#[cfg(unix)]
#[test]
fn a_sweep_failing_at_its_tables_leaves_the_previous_ones_whole() {
    use std::os::unix::process::CommandExt;
    let tmp = tempfile::tempdir().unwrap();
    let file = sweep_file(tmp.path(), "tiny", 12, "20m");
    let out = tmp.path().join("sw");
    let sweep = |extra: &[&str]| {
        let mut c = ecsim();
        c.arg("sweep").arg(&file).arg("--out").arg(&out).args(extra);
        c
    };
    let o = sweep(&[]).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let before = snapshot(&out);
    let limit = read(&out.join("sweep.json")).len() as u64 + 100;
    assert!(read(&out.join("runs.csv")).len() as u64 > limit);
    // The same runs as shard 1/1: another manifest, no aggregate.
    let mut c = sweep(&["--shard", "1/1", "--resume"]);
    unsafe {
        c.pre_exec(move || {
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            let lim = libc::rlimit {
                rlim_cur: limit as libc::rlim_t,
                rlim_max: limit as libc::rlim_t,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &lim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let o = c.output().unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let changed = differing(&snapshot(&out), &before);
    assert!(
        changed.is_empty(),
        "the previous result changed: {changed:?}"
    );
    assert_eq!(names(tmp.path()), ["sw", "tiny.toml"]);
    let o = sweep(&["--shard", "1/1", "--resume"]).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("skipped 12"));
    assert!(read(&out.join("sweep.json")).contains("\"shard\": \"1/1\""));
    assert!(!out.join("aggregate.csv").exists());
}

/// What a killed writer leaves (a half-written temporary folder, the
/// fixed-name temporary file of earlier versions) is removed by the next
/// run; files that are not ecsim's stay.
#[test]
fn the_next_run_removes_what_a_killed_one_left() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("qs");
    let o = run_qs(&out, 1).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let half = tmp.path().join(".qs.ecsim-tmp-4242-0");
    std::fs::create_dir(&half).unwrap();
    std::fs::write(half.join("timeseries.csv"), vec![b'1'; 12 << 20]).unwrap();
    std::fs::write(out.join("timeseries.csv.tmp"), vec![b'1'; 1 << 20]).unwrap();
    std::fs::write(out.join("notes.md"), "mine").unwrap();
    let o = run_qs(&out, 2).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(names(tmp.path()), ["qs"]);
    let mut expected: Vec<String> = RUN_FILES
        .iter()
        .map(|s| s.to_string())
        .chain(["notes.md".to_string()])
        .collect();
    expected.sort();
    assert_eq!(names(&out), expected);
    assert_eq!(read(&out.join("notes.md")), "mine");
}

#[cfg(unix)]
#[test]
fn a_symlink_at_a_temporary_name_is_not_followed() {
    let tmp = tempfile::tempdir().unwrap();
    let victim = tmp.path().join("victim");
    std::fs::write(&victim, "precious").unwrap();
    let victim_dir = tmp.path().join("victim-dir");
    std::fs::create_dir(&victim_dir).unwrap();
    std::fs::write(victim_dir.join("keep"), "precious").unwrap();
    let out = tmp.path().join("qs");
    std::fs::create_dir(&out).unwrap();
    // The names earlier versions used, and this version's pattern.
    for f in RUN_FILES {
        std::os::unix::fs::symlink(&victim, out.join(format!("{f}.tmp"))).unwrap();
    }
    std::os::unix::fs::symlink(&victim_dir, tmp.path().join(".qs.ecsim-tmp-1-0")).unwrap();
    std::os::unix::fs::symlink(&victim, tmp.path().join(".qs.ecsim-lock")).unwrap();
    let o = run_qs(&out, 1).output().unwrap();
    let e = stderr(&o);
    assert_eq!(read(&victim), "precious", "{e}");
    assert_eq!(names(&victim_dir), ["keep"]);
    assert_eq!(read(&victim_dir.join("keep")), "precious");
    // The planted lock link makes the run fail rather than follow it.
    if !o.status.success() {
        assert!(e.contains(".qs.ecsim-lock"), "{e}");
        std::fs::remove_file(tmp.path().join(".qs.ecsim-lock")).unwrap();
        let o = run_qs(&out, 1).output().unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
    }
    assert_eq!(read(&victim), "precious");
    assert!(out.join("summary.json").is_file());
    assert!(std::fs::symlink_metadata(out.join("summary.json"))
        .unwrap()
        .is_file());

    // A sweep's run log likewise: a link where its part would go is
    // neither read nor written through.
    let file = sweep_file(tmp.path(), "tiny", 2, "20m");
    let sw = tmp.path().join("sw");
    std::fs::create_dir_all(sw.join("runs")).unwrap();
    std::os::unix::fs::symlink(&victim, sw.join("runs/r0000.json.tmp")).unwrap();
    std::os::unix::fs::symlink(&victim, sw.join("runs/part-0000.jsonl")).unwrap();
    std::os::unix::fs::symlink(&victim, sw.join("runs/r0001.json")).unwrap();
    std::os::unix::fs::symlink(&victim, sw.join("sweep.json.tmp")).unwrap();
    let o = ecsim()
        .arg("sweep")
        .arg(&file)
        .arg("--out")
        .arg(&sw)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(read(&victim), "precious");
}

/// Two runs with different seeds into one folder at once: whichever
/// finishes, the folder holds one run's files whole; a refused one says why.
#[test]
fn concurrent_writers_never_mix_their_files() {
    let tmp = tempfile::tempdir().unwrap();
    let refs: Vec<Vec<(String, Vec<u8>)>> = [1u64, 2]
        .iter()
        .map(|&seed| {
            let d = tmp.path().join(format!("ref{seed}"));
            let o = run_qs(&d, seed).output().unwrap();
            assert!(o.status.success(), "{}", stderr(&o));
            deterministic(&d)
        })
        .collect();
    assert!(!differing(&refs[0], &refs[1]).is_empty());
    let out = tmp.path().join("shared");
    for trial in 0..8 {
        let spawn = |seed| {
            run_qs(&out, seed)
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        };
        let (a, b) = (spawn(1), spawn(2));
        for child in [a, b] {
            let o = child.wait_with_output().unwrap();
            if !o.status.success() {
                let e = stderr(&o);
                assert!(
                    e.contains("another ecsim is writing this folder"),
                    "trial {trial}: {e}"
                );
            }
        }
        let got = deterministic(&out);
        assert!(
            got == refs[0] || got == refs[1],
            "trial {trial}: the folder mixes the two runs' files: {:?} differ from seed 1, {:?} from seed 2",
            differing(&got, &refs[0]),
            differing(&got, &refs[1])
        );
    }
    assert_eq!(names(tmp.path()), ["ref1", "ref2", "shared"]);
}

/// The files of a run folder that do not vary with wall time.
fn deterministic(dir: &Path) -> Vec<(String, Vec<u8>)> {
    snapshot(dir)
        .into_iter()
        .filter(|(n, _)| n != "timing.json")
        .collect()
}

/// While one process holds a folder's lock, a second writer is refused at
/// once, before simulating, with a message naming the folder.
#[test]
fn a_second_writer_is_refused_with_a_message() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("qs");
    let lock = ecsim::output::Lock::acquire(&out).unwrap();
    let o = run_qs(&out, 1).output().unwrap();
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{e}");
    assert!(
        e.contains(&format!(
            "{}: another ecsim is writing this folder (process {})",
            out.display(),
            std::process::id()
        )),
        "{e}"
    );
    assert!(o.stdout.is_empty());
    drop(lock);
    assert!(run_qs(&out, 1).output().unwrap().status.success());
}

/// `ecsim ... | head`: the reader goes away; ecsim ends quietly with 0.
#[test]
fn a_closed_stdout_ends_quietly_with_status_0() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("qs");
    let commands: Vec<Command> = vec![
        {
            let mut c = ecsim();
            c.arg("validate").arg(quickstart());
            c
        },
        {
            let mut c = ecsim();
            c.arg("explain").arg(quickstart()).args(["--first", "40"]);
            c
        },
        run_qs(&out, 1),
        {
            // The report of the run just written (its line goes to stdout).
            let mut c = ecsim();
            c.arg("report")
                .arg(&out)
                .arg("--scenario")
                .arg(quickstart())
                .args(["--set", "duration=\"3h\""]);
            c
        },
    ];
    for mut c in commands {
        let mut child = c
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let mut e = String::new();
        child.stderr.take().unwrap().read_to_string(&mut e).unwrap();
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(0), "{c:?}: {e}");
        assert!(!e.contains("panicked"), "{e}");
    }
    assert!(
        out.join("summary.json").is_file(),
        "the run's work was done"
    );
}

#[cfg(unix)]
#[test]
fn a_signal_on_a_sweep_says_what_was_kept_and_how_to_resume() {
    let tmp = tempfile::tempdir().unwrap();
    // 40 runs of a simulated month, one at a time: long enough to stop.
    let file = sweep_file(tmp.path(), "slow", 40, "30d");
    for (signal, code) in [(libc::SIGINT, 130), (libc::SIGTERM, 143)] {
        let out = tmp.path().join(format!("out{signal}"));
        let child = ecsim()
            .arg("sweep")
            .arg(&file)
            .args(["--jobs", "1", "--out"])
            .arg(&out)
            .stderr(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        // The runs kept: the whole lines of the sweep's part of the log.
        let part = out.join("runs/part-0000.jsonl");
        let kept = || {
            std::fs::read_to_string(&part)
                .map(|t| t.matches('\n').count())
                .unwrap_or(0)
        };
        let started = std::time::Instant::now();
        while kept() == 0 {
            assert!(started.elapsed().as_secs() < 120, "no run finished");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        unsafe {
            libc::kill(child.id() as libc::pid_t, signal);
        }
        let o = child.wait_with_output().unwrap();
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(code), "{e}");
        let kept = kept();
        assert!((1..40).contains(&kept), "{kept}");
        // The count is the runs synced when the signal came (one more may
        // have been appended before the exit).
        let said = e
            .split("kept ")
            .nth(1)
            .and_then(|t| t.split(' ').next())
            .and_then(|n| n.parse::<usize>().ok())
            .unwrap_or_else(|| panic!("{e}"));
        assert!(
            said == kept || said + 1 == kept,
            "said {said}, kept {kept}: {e}"
        );
        assert!(e.contains(&format!("kept {said} of 40 runs")), "{e}");
        assert!(e.contains("--resume"), "{e}");
    }
}

#[test]
fn jobs_is_capped_and_an_absurd_value_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    let file = sweep_file(tmp.path(), "four", 4, "20m");
    let started = std::time::Instant::now();
    let o = ecsim()
        .arg("sweep")
        .arg(&file)
        .args(["--jobs", "100000", "--out"])
        .arg(tmp.path().join("out"))
        .output()
        .unwrap();
    let e = stderr(&o);
    assert!(o.status.success(), "{e}");
    assert!(e.contains("--jobs 100000"), "{e}");
    assert!(started.elapsed().as_secs() < 15, "{:?}", started.elapsed());
}

#[test]
fn run_help_lists_every_file_it_writes() {
    let o = ecsim().args(["run", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&o.stdout);
    for f in RUN_FILES {
        assert!(help.contains(f), "{f} missing from:\n{help}");
    }
}
