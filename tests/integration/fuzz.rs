//! Fuzzing the readers: mutated copies of the shipped scenarios, of the
//! shipped task definition and of small traces and demand curves go through
//! `validate` and, when accepted, a short run. Whatever the input, reading
//! must return (an error or a scenario) without panicking, and an accepted
//! scenario must run to its (capped) horizon without panicking and with
//! bounded work.
//!
//! Mutations: a byte replaced, inserted or deleted; a line deleted,
//! duplicated or swapped with the next; a number or quoted value replaced
//! by a hostile one (0, -1, 1e12, nan, inf, 4294967295, "1000000d", ...).
//!
//! Cases: `ECSIM_FUZZ_CASES` (default 96, well under two minutes in a debug
//! build). For a long session, in release:
//!
//! ```text
//! ECSIM_FUZZ_CASES=20000 cargo test --release --test integration fuzz -- --nocapture
//! ```

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use proptest::prelude::*;
use proptest::test_runner::Config;
use regex::Regex;

use ecsim::engine::Simulation;
use ecsim::scenario::{self, limits};
use ecsim::sim::SimDuration;

/// Runs of accepted scenarios are cut to this horizon.
const RUN_CAP: SimDuration = SimDuration(3 * 3_600_000);
/// Accepted scenarios expecting more tasks than this in the capped horizon
/// are validated but not run (the limits bound them; running them only
/// costs time).
const RUN_TASKS: f64 = 20_000.0;
/// A run of a capped scenario must process fewer events than this.
const MAX_EVENTS: u64 = 5_000_000;

/// What an input is and how it reaches `validate`.
#[derive(Debug, Clone, Copy)]
enum Kind {
    /// A scenario file (its relative paths resolve beside the original).
    Scenario,
    /// A task definition JSON, loaded by the quickstart scenario.
    TaskDef,
    /// A `csv` trace for a batch job.
    Trace,
    /// An `alibaba-v2017` trace for a batch job.
    Alibaba,
    /// A demand curve CSV for a service.
    Demand,
}

struct Input {
    name: String,
    path: PathBuf,
    text: String,
    kind: Kind,
}

const TRACE: &str = "arrival_s,duration_s,cpu,memory,count\n0,60,256,512,1\n30,120,,1024,2\n600,30,512,,1\n3600,600,1024,2048,3\n";
const ALIBABA: &str = "create_timestamp,modify_timestamp,job_id,task_id,instance_num,status,plan_cpu,plan_mem\n100,160,1,1,1,Terminated,50,0.1\n130,400,1,2,2,Terminated,100,0.2\n140,150,2,1,1,Failed,50,0.1\n700,900,3,1,1,Terminated,,0.1\n";
const DEMAND: &str =
    "minute,requests\n1995-07-01T00:00,42\n1995-07-01T00:01,61\n1995-07-01T00:02,300\n1995-07-01T00:03,12\n";

/// A small scenario hosting a job fed by `{TRACE}` / a service fed by `{DEMAND}`.
fn host(kind: Kind, file: &Path) -> String {
    let f = file.display();
    let job = |format: &str| {
        format!(
            r#"[[batchJobs]]
name = "replay"
taskDefinition = "app"
arrivals = {{ type = "trace", path = "{f}", format = "{format}" }}
"#
        )
    };
    let extra = match kind {
        Kind::Trace => job("csv"),
        Kind::Alibaba => job("alibaba-v2017"),
        _ => format!(
            r#"[[services]]
serviceName = "web"
taskDefinition = "app"
desiredCount = 2
demand = {{ type = "trace", path = "{f}", peakRps = 400, taskCapacityRps = 60 }}
autoScaling = {{ minCapacity = 1, maxCapacity = 8, targetTracking = [{{ metric = "ECSServiceAverageCPUUtilization", targetValue = 50 }}] }}
"#
        ),
    };
    format!(
        r#"name = "host"
duration = "2h"
[[instanceGroups]]
name = "g"
instanceTypes = ["m6i.large"]
count = 2
[[taskDefinitions]]
family = "app"
cpu = "256"
memory = "512"
containerDefinitions = [{{ name = "app", image = "x" }}]
{extra}"#
    )
}

fn inputs() -> &'static Vec<Input> {
    static INPUTS: OnceLock<Vec<Input>> = OnceLock::new();
    INPUTS.get_or_init(|| {
        let mut out = Vec::new();
        let mut dirs = vec![PathBuf::from("scenarios")];
        while let Some(d) = dirs.pop() {
            let mut entries: Vec<PathBuf> = std::fs::read_dir(&d)
                .unwrap()
                .map(|e| e.unwrap().path())
                .collect();
            entries.sort();
            for p in entries {
                if p.is_dir() {
                    // Sweep files are not scenarios; the scale scenarios
                    // (100,000 tasks) are too big to run per case and their
                    // keys are all in the other files.
                    if !p.ends_with("sweeps") && !p.ends_with("optimize") && !p.ends_with("scale") {
                        dirs.push(p);
                    }
                } else if p.extension().is_some_and(|e| e == "toml") {
                    out.push(Input {
                        name: p.display().to_string(),
                        text: std::fs::read_to_string(&p).unwrap(),
                        path: p,
                        kind: Kind::Scenario,
                    });
                }
            }
        }
        let td = PathBuf::from("scenarios/taskdefs/log-router.json");
        out.push(Input {
            name: td.display().to_string(),
            text: std::fs::read_to_string(&td).unwrap(),
            path: td,
            kind: Kind::TaskDef,
        });
        for (name, text, kind) in [
            ("trace.csv", TRACE, Kind::Trace),
            ("alibaba.csv", ALIBABA, Kind::Alibaba),
            ("demand.csv", DEMAND, Kind::Demand),
        ] {
            out.push(Input {
                name: name.into(),
                path: PathBuf::from(name),
                text: text.into(),
                kind,
            });
        }
        assert!(
            out.len() >= 12,
            "shipped scenarios not found: {}",
            out.len()
        );
        out
    })
}

/// Values substituted for a number or a quoted string.
const HOSTILE: [&str; 24] = [
    "0",
    "-1",
    "1",
    "1e12",
    "-1e300",
    "1e300",
    "nan",
    "inf",
    "-inf",
    "4294967295",
    "4294967296",
    "9223372036854775807",
    "-9223372036854775808",
    "0.000001",
    "\"\"",
    "\"0s\"",
    "\"1ms\"",
    "\"1000000d\"",
    "\"1e300s\"",
    "\"us-east-1z\"",
    "\"m6i.large\"",
    "[]",
    "{}",
    "\"../../../../dev/zero\"",
];

#[derive(Debug, Clone)]
enum Mutation {
    ReplaceByte(usize, u8),
    InsertByte(usize, u8),
    DeleteByte(usize),
    DeleteLine(usize),
    DuplicateLine(usize),
    SwapLines(usize),
    Value(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let byte = prop_oneof![
        Just(b'0'),
        Just(b'9'),
        Just(b'"'),
        Just(b'['),
        Just(b']'),
        Just(b'{'),
        Just(b'='),
        Just(b','),
        Just(b'.'),
        Just(b'-'),
        Just(b'\n'),
        Just(b'e'),
        any::<u8>(),
    ];
    prop_oneof![
        (any::<usize>(), byte.clone()).prop_map(|(i, b)| Mutation::ReplaceByte(i, b)),
        (any::<usize>(), byte).prop_map(|(i, b)| Mutation::InsertByte(i, b)),
        any::<usize>().prop_map(Mutation::DeleteByte),
        any::<usize>().prop_map(Mutation::DeleteLine),
        any::<usize>().prop_map(Mutation::DuplicateLine),
        any::<usize>().prop_map(Mutation::SwapLines),
        (any::<usize>(), 0..HOSTILE.len()).prop_map(|(i, v)| Mutation::Value(i, v)),
        (any::<usize>(), 0..HOSTILE.len()).prop_map(|(i, v)| Mutation::Value(i, v)),
        (any::<usize>(), 0..HOSTILE.len()).prop_map(|(i, v)| Mutation::Value(i, v)),
    ]
}

fn values() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r#"-?\d+(\.\d+)?([eE][+-]?\d+)?|"[^"\n]*""#).unwrap())
}

fn apply(text: &str, m: &Mutation) -> String {
    let mut bytes = text.as_bytes().to_vec();
    let n = bytes.len().max(1);
    let lines: Vec<&str> = text.split('\n').collect();
    let l = lines.len().max(1);
    match *m {
        Mutation::ReplaceByte(i, b) => {
            if !bytes.is_empty() {
                bytes[i % n] = b;
            }
        }
        Mutation::InsertByte(i, b) => bytes.insert(i % (bytes.len() + 1), b),
        Mutation::DeleteByte(i) => {
            if !bytes.is_empty() {
                bytes.remove(i % n);
            }
        }
        Mutation::DeleteLine(i) | Mutation::DuplicateLine(i) | Mutation::SwapLines(i) => {
            let mut ls: Vec<&str> = lines.clone();
            let k = i % l;
            match m {
                Mutation::DeleteLine(_) => {
                    ls.remove(k);
                }
                Mutation::DuplicateLine(_) => ls.insert(k, lines[k]),
                _ => {
                    if k + 1 < ls.len() {
                        ls.swap(k, k + 1);
                    }
                }
            }
            return ls.join("\n");
        }
        Mutation::Value(i, v) => {
            let found: Vec<_> = values().find_iter(text).collect();
            if found.is_empty() {
                return text.to_string();
            }
            let at = &found[i % found.len()];
            return format!("{}{}{}", &text[..at.start()], HOSTILE[v], &text[at.end()..]);
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Validates the mutated input and, if accepted, runs it briefly.
fn check(input: &Input, mutated: &str) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().unwrap();
    let (scenario_text, scenario_path) = match input.kind {
        Kind::Scenario => (mutated.to_string(), input.path.clone()),
        Kind::TaskDef => {
            let f = dir.path().join("td.json");
            std::fs::write(&f, mutated).unwrap();
            let quick = std::fs::read_to_string("scenarios/quickstart.toml").unwrap();
            let text = quick.replace(
                "file = \"taskdefs/log-router.json\"",
                &format!("file = \"{}\"", f.display()),
            );
            (text, PathBuf::from("scenarios/quickstart.toml"))
        }
        kind => {
            let f = dir.path().join(&input.name);
            std::fs::write(&f, mutated).unwrap();
            (host(kind, &f), dir.path().join("host.toml"))
        }
    };
    let Ok(mut sc) = scenario::load_str(&scenario_text, &scenario_path, &[]) else {
        return Ok(());
    };
    sc.spec.horizon = sc.spec.horizon.min(RUN_CAP);
    let tasks: f64 = sc
        .spec
        .jobs
        .iter()
        .map(|j| limits::expected_job_tasks(j, sc.spec.horizon))
        .sum();
    prop_assert!(tasks <= limits::MAX_EXPECTED_TASKS);
    if tasks > RUN_TASKS {
        return Ok(());
    }
    if let Some(log) = std::env::var_os("ECSIM_FUZZ_LOG") {
        // The case about to run, so a case that is killed can be found.
        let _ = std::fs::write(log, format!("{}\n{mutated}", input.name));
    }
    let started = std::time::Instant::now();
    let result = Simulation::new(&sc.spec, sc.seed).run();
    if started.elapsed().as_secs() >= 5 {
        eprintln!(
            "slow case ({:.1} s) from {}:\n{mutated}",
            started.elapsed().as_secs_f64(),
            input.name
        );
    }
    prop_assert!(
        result.summary.events_processed < MAX_EVENTS,
        "{} events in a {} run",
        result.summary.events_processed,
        sc.spec.horizon
    );
    Ok(())
}

fn cases() -> u32 {
    std::env::var("ECSIM_FUZZ_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(96)
}

proptest! {
    #![proptest_config(Config::with_cases(cases()))]

    #[test]
    fn fuzz_mutated_inputs_never_panic(
        which in any::<usize>(),
        mutations in proptest::collection::vec(mutation(), 1..4),
    ) {
        let all = inputs();
        let input = &all[which % all.len()];
        let mut text = input.text.clone();
        for m in &mutations {
            text = apply(&text, m);
        }
        check(input, &text)?;
    }
}

/// Every unmutated input is accepted and runs (so the fuzzer starts from
/// inputs that reach the run, not from inputs refused at once).
#[test]
fn fuzz_seeds_are_valid() {
    for input in inputs() {
        let dir = tempfile::tempdir().unwrap();
        let (text, path) = match input.kind {
            Kind::Scenario => (input.text.clone(), input.path.clone()),
            Kind::TaskDef => (
                std::fs::read_to_string("scenarios/quickstart.toml").unwrap(),
                PathBuf::from("scenarios/quickstart.toml"),
            ),
            kind => {
                let f = dir.path().join(&input.name);
                std::fs::write(&f, &input.text).unwrap();
                (host(kind, &f), dir.path().join("host.toml"))
            }
        };
        if let Err(e) = scenario::load_str(&text, &path, &[]) {
            panic!("{}: {e}", input.name);
        }
    }
}
