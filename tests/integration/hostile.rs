//! Hostile inputs: each test feeds one input that used to panic, exhaust
//! memory, hang, be accepted silently or be refused with a message pointing
//! the wrong way, and checks it is now refused at read time with the field
//! and the limit (or the right advice) in the message.

use std::path::Path;
use std::process::Command;

use ecsim::scenario::{self, limits};

const BASE: &str = r#"
name = "t"
duration = "4h"
[[instanceGroups]]
name = "g"
instanceTypes = ["m6i.large"]
count = 2
[[taskDefinitions]]
family = "job"
containerDefinitions = [{ name = "app", cpu = 256, memory = 512 }]
"#;

fn with(extra: &str) -> String {
    format!("{BASE}{extra}")
}

fn load_in(dir: &Path, text: &str) -> Result<scenario::Scenario, Vec<String>> {
    let path = dir.join("s.toml");
    std::fs::write(&path, text).unwrap();
    scenario::load(&path, &[]).map_err(|e| e.issues())
}

fn errors(text: &str) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    match load_in(dir.path(), text) {
        Ok(_) => panic!("expected errors for:\n{text}"),
        Err(e) => e,
    }
}

fn errors_with_files(text: &str, files: &[(&str, &str)]) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    for (name, body) in files {
        std::fs::write(dir.path().join(name), body).unwrap();
    }
    match load_in(dir.path(), text) {
        Ok(_) => panic!("expected errors for:\n{text}"),
        Err(e) => e,
    }
}

fn assert_has(errs: &[String], want: &[&str]) {
    assert!(
        errs.iter().any(|e| want.iter().all(|w| e.contains(w))),
        "no error containing all of {want:?} in {errs:#?}"
    );
}

const JOB: &str = r#"
[[batchJobs]]
name = "etl"
taskDefinition = "job"
duration = "1m"
"#;

// ---- OOM guards: refused when read, with the field and the limit ----------

#[test]
fn oom_guard_arrival_rate_times_horizon() {
    // Used to pass validation and die of OOM recording failed tasks.
    let e = errors(&with(&format!(
        "{JOB}arrivals = {{ type = \"poisson\", perHour = 1e12 }}\n"
    )));
    assert_has(
        &e,
        &[
            "batchJobs[0].arrivals.perHour",
            "expects about 4000000000000 tasks",
            "limit of 5000000",
        ],
    );
}

#[test]
fn oom_guard_interval_arrivals() {
    let e = errors(&with(&format!(
        "{JOB}arrivals = {{ type = \"every\", interval = \"1ms\" }}\n"
    )));
    assert_has(&e, &["batchJobs[0].arrivals.interval", "limit of 5000000"]);
}

#[test]
fn oom_guard_trace_count() {
    let trace = "arrival_s,count\n0,1000000000000\n";
    let e = errors_with_files(
        &with(&format!(
            "{JOB}arrivals = {{ type = \"trace\", path = \"t.csv\" }}\n"
        )),
        &[("t.csv", trace)],
    );
    assert_has(&e, &["t.csv: line 2", "`count`", "1e5"]);
    // Many rows under the per-row limit still add up to the run limit.
    let mut many = String::from("arrival_s,count\n");
    for i in 0..60 {
        many.push_str(&format!("{i},100000\n"));
    }
    let e = errors_with_files(
        &with(&format!(
            "{JOB}arrivals = {{ type = \"trace\", path = \"t.csv\" }}\n"
        )),
        &[("t.csv", &many)],
    );
    assert_has(&e, &["arrivals.path", "expects about 6000000 tasks"]);
}

#[test]
fn oom_guard_samples() {
    // `duration = "1000000d"` used to exhaust memory on the time series alone.
    let e = errors(&BASE.replace("duration = \"4h\"", "duration = \"1000000d\""));
    assert_has(
        &e,
        &[
            "duration:",
            "1440000001 time-series samples",
            "limit of 1000000",
        ],
    );
}

#[test]
fn oom_guard_memory_estimate() {
    // Each limit alone is met, but 5,000 services x 4 columns x 500,000
    // samples would need far more memory than any machine here.
    let mut text = BASE.replace("duration = \"4h\"", "duration = \"347d\"");
    for i in 0..1200 {
        text.push_str(&format!(
            "[[services]]\nserviceName = \"s{i}\"\ntaskDefinition = \"job\"\ndesiredCount = 0\n"
        ));
    }
    let e = errors(&text);
    assert_has(
        &e,
        &["would need about", "GiB of memory", "more than the limit"],
    );
}

#[test]
fn oom_guard_instances_and_services() {
    let e = errors(&BASE.replace("count = 2", "count = 2\nmaxSize = 5000\n[[instanceGroups]]\nname = \"h\"\ninstanceTypes = [\"m6i.large\"]\ncount = 1\nmaxSize = 10"));
    assert_has(&e, &["instanceGroups", "grow to 5010", "limit of 5000"]);
    let mut text = String::from(BASE);
    for i in 0..5001 {
        text.push_str(&format!(
            "[[services]]\nserviceName = \"s{i}\"\ntaskDefinition = \"job\"\ndesiredCount = 0\n"
        ));
    }
    assert_has(
        &errors(&text),
        &["services: 5001 services", "limit of 5000"],
    );
}

#[test]
fn oom_guard_file_sizes_and_devices() {
    // `file = "/dev/zero"` used to read 2 GB before failing.
    if Path::new("/dev/zero").exists() {
        let e =
            errors("name = \"t\"\nduration = \"1h\"\n[[taskDefinitions]]\nfile = \"/dev/zero\"\n");
        assert_has(
            &e,
            &["taskDefinitions[0].file", "/dev/zero", "not a regular file"],
        );
        let e = errors(&with(&format!(
            "{JOB}arrivals = {{ type = \"trace\", path = \"/dev/zero\" }}\n"
        )));
        assert_has(&e, &["arrivals.path", "not a regular file"]);
        // `ecsim compare /dev/zero` reads the variants table first: refused
        // before any byte is read too.
        let e = ecsim::compare::file_variants(Path::new("/dev/zero"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("/dev/zero") && e.contains("not a regular file"),
            "{e}"
        );
    }
    // A file above the limit is refused before it is read.
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.json");
    let f = std::fs::File::create(&big).unwrap();
    f.set_len(limits::MAX_TEXT_FILE_BYTES + 1).unwrap();
    let e = load_in(
        dir.path(),
        "name = \"t\"\nduration = \"1h\"\n[[taskDefinitions]]\nfile = \"big.json\"\n",
    )
    .unwrap_err();
    assert_has(
        &e,
        &["taskDefinitions[0].file", "more than the limit of 16 MiB"],
    );
}

// ---- silently accepted: values AWS would refuse ---------------------------

#[test]
fn availability_zones_outside_the_region_are_refused() {
    for (az, hint) in [("us-east-1z", "did you mean"), ("eu-west-1a", "")] {
        let e = errors(&with(&format!(
            "[cluster]\navailabilityZones = [\"us-east-1a\", \"{az}\"]\n"
        )));
        assert_has(
            &e,
            &[
                "cluster.availabilityZones[1]",
                &format!("\"{az}\" is not an Availability Zone of us-east-1"),
                "\"us-east-1f\"",
                hint,
            ],
        );
    }
    let e = errors(&BASE.replace(
        "count = 2",
        "count = 2\navailabilityZones = [\"us-east-1g\"]",
    ));
    assert_has(
        &e,
        &["instanceGroups[0].availabilityZones[0]", "us-east-1g"],
    );
    // All six real zones are accepted.
    let dir = tempfile::tempdir().unwrap();
    let ok = with("[cluster]\navailabilityZones = [\"us-east-1a\", \"us-east-1b\", \"us-east-1c\", \"us-east-1d\", \"us-east-1e\", \"us-east-1f\"]\n");
    assert!(load_in(dir.path(), &ok).is_ok());
}

#[test]
fn instance_sizes_beyond_physical_ones_are_refused() {
    // vcpu = 4294967295 made the reservation read 0.0 %.
    let e = errors(&with(
        "[[instanceTypes]]\nname = \"m6i.large\"\nvcpu = 4294967295\n",
    ));
    assert_has(
        &e,
        &[
            "instanceTypes[0].vcpu",
            "expected 1 to 3584 vCPU, found 4294967295",
            "896",
        ],
    );
    let e = errors(&with(
        "[[instanceTypes]]\nname = \"huge.x\"\nvcpu = 8\nmemoryMiB = 4000000000\n",
    ));
    assert_has(&e, &["instanceTypes[0].memoryMiB", "134217728"]);
    // The largest real size times the margin is still accepted.
    let dir = tempfile::tempdir().unwrap();
    let ok = with("[[instanceTypes]]\nname = \"huge.x\"\nvcpu = 3584\nmemoryMiB = 134217728\n");
    assert!(load_in(dir.path(), &ok).is_ok());
}

#[test]
fn desired_count_outside_the_scaling_range_is_refused() {
    let svc = "[[services]]\nserviceName = \"web\"\ntaskDefinition = \"job\"\ndesiredCount = 50\nautoScaling = { minCapacity = 1, maxCapacity = 10, targetTracking = [{ metric = \"ECSServiceAverageCPUUtilization\", targetValue = 50 }] }\n";
    let e = errors(&with(svc));
    assert_has(
        &e,
        &[
            "services[0].desiredCount",
            "desiredCount 50 is outside the autoScaling range [minCapacity 1, maxCapacity 10]",
        ],
    );
    let e = errors(&with(&svc.replace("desiredCount = 50", "desiredCount = 0")));
    assert_has(&e, &["desiredCount 0 is outside"]);
}

#[test]
fn non_finite_numbers_say_finite() {
    // Used to say "expected a number, found a number".
    let e = errors(&with(&format!(
        "{JOB}arrivals = {{ type = \"poisson\", perHour = nan }}\n"
    )));
    assert_has(
        &e,
        &[
            "batchJobs[0].arrivals.perHour",
            "expected a finite number, found nan",
        ],
    );
    let e = errors(&with(&format!(
        "{JOB}arrivals = {{ type = \"poisson\", perHour = -inf }}\n"
    )));
    assert_has(&e, &["found -inf"]);
}

#[test]
fn bad_traces_are_refused_with_the_line() {
    let job = format!("{JOB}arrivals = {{ type = \"trace\", path = \"t.csv\" }}\n");
    let cases = [
        (
            "arrival_s\n",
            "t.csv: line 1: the trace has a header but no rows",
        ),
        ("", "t.csv: line 1"),
        (
            "arrival_s\n0\n60\n30\n",
            "t.csv: line 4: the trace is not sorted by `arrival_s`: 30 comes after 60 (line 3)",
        ),
        (
            "arrival_s,cpu,memory\n0,0,0\n",
            "t.csv: line 2: a task with `cpu` = 0 and `memory` = 0 reserves nothing",
        ),
        (
            "arrival_s\n1e300\n",
            "t.csv: line 2: `arrival_s` must be a non-negative number",
        ),
        (
            "arrival_s\n90000\n99999\n",
            "none of the trace's 2 rows arrives within the run",
        ),
    ];
    for (trace, want) in cases {
        let e = errors_with_files(&with(&job), &[("t.csv", trace)]);
        assert_has(&e, &[want]);
    }
}

// ---- vague or misleading messages -----------------------------------------

fn ecsim(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_ecsim"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn run_on_a_sweep_file_says_use_sweep() {
    let (code, _, err) = ecsim(&["validate", "scenarios/sweeps/black-friday.toml"]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("this is a sweep file")
            && err.contains("ecsim sweep scenarios/sweeps/black-friday.toml"),
        "{err}"
    );
}

#[test]
fn run_on_an_optimize_file_says_use_optimize() {
    let (code, _, err) = ecsim(&["validate", "scenarios/optimize/cheapest-black-friday.toml"]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("this is an optimize file")
            && err.contains("ecsim optimize scenarios/optimize/cheapest-black-friday.toml"),
        "{err}"
    );
}

#[test]
fn set_with_a_misspelled_name_suggests_the_path() {
    let (code, _, err) = ecsim(&[
        "validate",
        "scenarios/quickstart.toml",
        "--set",
        "services.wbe.desiredCount=3",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("did you mean services.web.desiredCount?"),
        "{err}"
    );
}

#[test]
fn explain_out_of_range_is_an_error() {
    let (code, out, err) = ecsim(&["explain", "scenarios/quickstart.toml", "--task", "100000"]);
    assert_ne!(code, 0, "{out}{err}");
    assert!(
        err.contains("--task 100000: out of range") && err.contains("tasks were placed"),
        "{err}"
    );
}

#[test]
fn missing_sweep_file_says_why_once() {
    let (code, _, err) = ecsim(&["sweep", "/nonexistent/sweep.toml", "--validate-only"]);
    assert_ne!(code, 0);
    assert_eq!(
        err.matches("No such file").count(),
        1,
        "the OS error is printed once: {err}"
    );
    assert!(err.contains("/nonexistent/sweep.toml"), "{err}");
}

#[test]
fn sweep_with_misspelled_paths_reports_each_path_once() {
    // 5 misspelled paths x 10 values used to take minutes and print 500,002
    // lines (every problem once per combination); 4 x 10 is at the
    // combination limit, and each path is reported once.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.toml"), BASE).unwrap();
    let mut sweep = String::from("scenario = \"s.toml\"\nseed = 1\n[parameters]\n");
    for k in 0..4 {
        let values: Vec<String> = (1..=10).map(|v| v.to_string()).collect();
        sweep.push_str(&format!(
            "\"instanceGroups.g.cuont{k}\" = [{}]\n",
            values.join(", ")
        ));
    }
    let f = dir.path().join("sw.toml");
    std::fs::write(&f, sweep).unwrap();
    let started = std::time::Instant::now();
    let (code, _, err) = ecsim(&["sweep", f.to_str().unwrap(), "--validate-only"]);
    assert_eq!(code, 2, "{err}");
    assert!(started.elapsed().as_secs() < 20);
    let lines: Vec<&str> = err.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(lines.len(), 4, "{err}");
    assert!(
        err.contains("parameters.\"instanceGroups.g.cuont0\"") && err.contains("unknown field"),
        "{err}"
    );
}

#[test]
fn sweep_combinations_are_capped() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.toml"), BASE).unwrap();
    let values: Vec<String> = (1..=200).map(|v| v.to_string()).collect();
    let sweep = format!(
        "scenario = \"s.toml\"\nseed = 1\n[parameters]\n\"instanceGroups.g.count\" = [{v}]\n\"taskDefinitions.job.containerDefinitions[0].cpu\" = [{v}]\n",
        v = values.join(", ")
    );
    let f = dir.path().join("sw.toml");
    std::fs::write(&f, sweep).unwrap();
    let (code, _, err) = ecsim(&["sweep", f.to_str().unwrap(), "--validate-only"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("40000 parameter combinations") && err.contains("limit of 10000"),
        "{err}"
    );
}

#[test]
fn oom_guard_spot_reclaim_rate() {
    // Found by fuzzing: eventsPerDay = 4294967296 on spot-what-if.toml passed
    // validation and the run exhausted memory.
    let text = std::fs::read_to_string("scenarios/spot-what-if.toml")
        .unwrap()
        .replace("eventsPerDay = 0.5", "eventsPerDay = 4294967296");
    let e = match scenario::load_str(&text, Path::new("scenarios/spot-what-if.toml"), &[]) {
        Ok(_) => panic!("accepted"),
        Err(e) => e.issues(),
    };
    assert_has(&e, &["reclaim.eventsPerDay", "from 0 to 1440"]);
}

// ---- panics -----------------------------------------------------------------

#[test]
fn demand_timestamp_far_in_the_future_is_an_error_not_a_panic() {
    // Found by fuzzing: a year of 4294967295 overflowed the offset in ms
    // (a panic in `SimDuration::from_secs`).
    let demand = "minute,requests\n1995-07-01T00:00,42\n4294967295-07-01T00:01,61\n";
    let svc = "[[services]]\nserviceName = \"web\"\ntaskDefinition = \"job\"\ndesiredCount = 1\ndemand = { type = \"trace\", path = \"d.csv\", peakRps = 100, taskCapacityRps = 50 }\n";
    let e = errors_with_files(&with(svc), &[("d.csv", demand)]);
    assert_has(&e, &["d.csv: line 3", "expected a timestamp"]);
}

/// Every failure gets its status from one mapping: bad input (a scenario,
/// an argument, a variant name) is 2, with each problem on its own
/// `error:` line; a folder that cannot be written is 1.
#[test]
fn exit_status_is_two_for_bad_input_and_one_for_the_file_system() {
    // validate reports each file as it goes, then exits 2 once.
    let (code, out, err) = ecsim(&[
        "validate",
        "scenarios/quickstart.toml",
        "scenarios/sweeps/black-friday.toml",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(out.starts_with("scenarios/quickstart.toml: ok ("), "{out}");
    assert!(err.starts_with("error: ") && err.ends_with('\n'), "{err}");
    // explain with a decision out of range: one line, 2.
    let (code, _, err) = ecsim(&["explain", "scenarios/quickstart.toml", "--task", "100000"]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("error: --task 100000: out of range"),
        "{err}"
    );
    // compare with an unknown variant: 2, nothing run.
    let (code, out, err) = ecsim(&[
        "compare",
        "scenarios/cost/nightly-batch.toml",
        "--variants",
        "nope",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty(), "{out}");
    assert!(
        err.starts_with("error: unknown variant `nope`; the scenario defines: ec2, "),
        "{err}"
    );
    // A sweep shard that is not K/N: 2.
    let (code, _, err) = ecsim(&[
        "sweep",
        "scenarios/sweeps/black-friday.toml",
        "--shard",
        "3/2",
        "--validate-only",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.starts_with("error: --shard 3/2: "), "{err}");
    // A compare folder whose lock file cannot be opened (a folder stands
    // in its place): the file system's fault, 1.
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir(tmp.path().join(".cmp.ecsim-lock")).unwrap();
    let out_dir = tmp.path().join("cmp");
    let (code, out, err) = ecsim(&[
        "compare",
        "scenarios/cost/nightly-batch.toml",
        "--variants",
        "ec2",
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(out.is_empty(), "{out}");
    assert!(
        err.starts_with("error: ") && err.contains(".cmp.ecsim-lock"),
        "{err}"
    );
    assert!(!out_dir.exists());
}

#[test]
fn merge_of_a_folder_without_a_manifest_says_so_and_exits_1() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("not-a-shard");
    std::fs::create_dir(&dir).unwrap();
    let (code, out, err) = ecsim(&["merge", dir.to_str().unwrap()]);
    assert_eq!(code, 1, "{err}");
    assert!(out.is_empty(), "{out}");
    assert_eq!(
        err,
        format!(
            "error: {}: no sweep.json: not the output folder of `ecsim sweep`\n",
            dir.display()
        )
    );
}
