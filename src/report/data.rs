//! One run's data for the page: read from its folder, completed by a
//! checked re-run of its scenario (see the module above).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use super::{Options, ReportError};
use crate::csvdata::CsvTable;
use crate::engine::{ExplainWindow, Simulation};
use crate::scenario;
use crate::sim::SimTime;

/// At most this many timeseries rows reach the page (the rest is thinned
/// to every k-th row; the sampled minute stays a real sample).
const MAX_SAMPLES: usize = 1500;

/// At most this many lines of one narration (a decision among thousands of
/// instances lists each one filtered out; `ecsim explain` prints them all).
const MAX_NARRATION_LINES: usize = 60;

/// At most this many bytes of narration per run: a large cluster's
/// decisions are long, and the page must stay small enough to load fast.
const MAX_NARRATION_BYTES: usize = 3_000_000;

/// At most this many events (markers) per run.
const MAX_EVENTS: usize = 5000;

/// One run, ready for the page.
pub struct RunData {
    /// Column title.
    pub label: String,
    /// Decisions narrated.
    pub decisions: usize,
    /// What the page reads.
    pub json: Value,
}

fn folder_err(path: &Path, message: impl Into<String>) -> ReportError {
    ReportError::Folder {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

fn read(path: &Path) -> Result<String, ReportError> {
    std::fs::read_to_string(path).map_err(|e| folder_err(path, format!("cannot read: {e}")))
}

fn table(path: &Path) -> Result<CsvTable, ReportError> {
    CsvTable::parse(&read(path)?)
        .map_err(|p| folder_err(path, format!("line {}: {}", p.line, p.message)))
}

/// The `scenario` and `seed` of `dir/summary.json`.
pub fn summary_name(dir: &Path) -> Result<(String, u64), ReportError> {
    let path = dir.join("summary.json");
    let v: Value = serde_json::from_str(&read(&path)?)
        .map_err(|e| folder_err(&path, format!("invalid JSON: {e}")))?;
    let name = v
        .get("scenario")
        .and_then(Value::as_str)
        .ok_or_else(|| folder_err(&path, "field `scenario`: expected the scenario's name"))?;
    let seed = v
        .get("seed")
        .and_then(Value::as_u64)
        .ok_or_else(|| folder_err(&path, "field `seed`: expected a non-negative integer"))?;
    Ok((name.to_string(), seed))
}

/// The scenario file named `name`: `opts.scenario`, or the one file under
/// `opts.search` (recursively, in path order) whose `name` is `name`.
pub fn find_scenario(name: &str, opts: &Options) -> Result<PathBuf, ReportError> {
    if let Some(p) = &opts.scenario {
        return Ok(p.clone());
    }
    let mut files = Vec::new();
    collect_toml(&opts.search, &mut files);
    files.sort();
    for f in files {
        // Sweep files and broken files are not the one: skip them.
        if let Ok(s) = scenario::load(&f, &[]) {
            if s.spec.name == name {
                return Ok(f);
            }
        }
    }
    Err(ReportError::Scenario(format!(
        "no scenario named `{name}` under {}: give its file with --scenario FILE",
        opts.search.display()
    )))
}

fn collect_toml(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect_toml(&p, out);
        } else if p.extension().is_some_and(|x| x == "toml") {
            out.push(p);
        }
    }
}

fn secs(t: SimTime) -> f64 {
    t.as_secs_f64()
}

fn opt(t: Option<SimTime>) -> Value {
    t.map_or(Value::Null, |t| json!(secs(t)))
}

/// Index of `s` in `names`, adding it when new.
fn intern(names: &mut Vec<String>, s: &str) -> usize {
    match names.iter().position(|n| n == s) {
        Some(i) => i,
        None => {
            names.push(s.to_string());
            names.len() - 1
        }
    }
}

/// The instance a narration placed its task on (`=> placed on NAME (`).
fn placed_on(text: &str) -> Option<&str> {
    let rest = &text[text.find("=> placed on ")? + "=> placed on ".len()..];
    rest.split_whitespace().next()
}

/// Shortens a narration to its first lines and its last ones.
fn clip(text: &str, number: u64) -> String {
    let lines: Vec<&str> = text.lines().collect();
    if lines.len() <= MAX_NARRATION_LINES {
        return text.to_string();
    }
    let head = MAX_NARRATION_LINES - 10;
    let mut out = lines[..head].join("\n");
    out.push_str(&format!(
        "\n     ... {} more lines: `ecsim explain --task {number}` prints them all\n",
        lines.len() - MAX_NARRATION_LINES
    ));
    out.push_str(&lines[lines.len() - 10..].join("\n"));
    out.push('\n');
    out
}

impl RunData {
    /// Reads `dir`, re-runs its scenario (with `overrides` and the options'
    /// `--set`), checks the re-run against the folder and assembles the data.
    pub fn load(
        dir: &Path,
        label: &str,
        overrides: &[String],
        opts: &Options,
    ) -> Result<RunData, ReportError> {
        let (name, seed) = summary_name(dir)?;
        let file = find_scenario(&name, opts)?;
        let mut set = overrides.to_vec();
        set.extend(opts.set.iter().cloned());
        let sc = scenario::load(&file, &set).map_err(|e| {
            ReportError::Scenario(format!(
                "re-running {} for the narration: {}",
                file.display(),
                e.issues().join("; ")
            ))
        })?;
        let spec = &sc.spec;
        let mut sim = Simulation::new(spec, seed);
        sim.explain(ExplainWindow::First(opts.max_decisions));
        // Run to the horizon, read the cluster (registered resources of
        // every instance ever launched), then finish: the same run.
        sim.run_until(SimTime::ZERO + spec.horizon);
        let mut registered: BTreeMap<String, (u32, u32)> = BTreeMap::new();
        let mut alias: BTreeMap<String, String> = BTreeMap::new();
        for inst in sim.cluster().instances() {
            registered.insert(
                inst.ec2_instance_id.clone(),
                (inst.registered.cpu, inst.registered.memory),
            );
            alias.insert(inst.id.to_string(), inst.ec2_instance_id.clone());
        }
        let result = sim.run();

        // The re-run must be the folder's run.
        for (file_name, ours) in [
            ("tasks.csv", crate::output::tasks_csv(&result)),
            ("instances.csv", crate::output::instances_csv(&result)),
        ] {
            let path = dir.join(file_name);
            if read(&path)? != ours {
                return Err(folder_err(
                    &path,
                    format!(
                        "differs from a re-run of {} with seed {seed}: the folder was written \
                         with other overrides (pass the same --set, or --scenario) or by \
                         another version of ecsim (run it again)",
                        file.display()
                    ),
                ));
            }
        }

        let mut owners: Vec<String> = spec.services.iter().map(|s| s.name.clone()).collect();
        owners.extend(spec.jobs.iter().map(|j| j.name.clone()));
        let services = spec.services.len();

        // Instances: [id, type, az, purchase, USD/h, cpu, MiB, launched,
        // registered, draining, terminated, termination].
        let mut azs: Vec<String> = Vec::new();
        let mut index: BTreeMap<&str, usize> = BTreeMap::new();
        let mut instances = Vec::new();
        for (k, i) in result.instances.iter().enumerate() {
            index.insert(i.instance.as_str(), k);
            intern(&mut azs, &i.az);
            let (cpu, mem) = registered.get(&i.instance).copied().unwrap_or((0, 0));
            instances.push(json!([
                i.instance,
                i.instance_type,
                i.az,
                i.purchase,
                i.price_usd_per_hour,
                cpu,
                mem,
                secs(i.launched),
                opt(i.registered),
                opt(i.draining),
                opt(i.terminated),
                i.termination
            ]));
        }
        azs.sort();

        // Decisions ([number, time, time text, source, narration, chosen
        // instance, task placed, instances filtered out]), matched to the task each placed: the lowest-id task
        // on the chosen instance that entered PENDING at the decision's time.
        let mut taken = vec![false; result.tasks.len()];
        let mut decisions = Vec::new();
        let mut task_decision: BTreeMap<usize, u64> = BTreeMap::new();
        let mut narrated = 0;
        for d in &result.explanations {
            if narrated > MAX_NARRATION_BYTES {
                break;
            }
            let chosen = placed_on(&d.text).and_then(|n| {
                if index.contains_key(n) {
                    Some(n.to_string())
                } else {
                    alias.get(n).cloned()
                }
            });
            let inst = chosen.as_deref().and_then(|c| index.get(c).copied());
            // `     - NAME (type, az, ...) filtered out: WHY` lines.
            let filtered: Vec<usize> = d
                .text
                .lines()
                .filter(|l| l.contains(" filtered out: "))
                .filter_map(|l| l.trim_start().strip_prefix("- "))
                .filter_map(|l| l.split_whitespace().next())
                .filter_map(|n| {
                    index
                        .get(n)
                        .or_else(|| alias.get(n).and_then(|e| index.get(e.as_str())))
                        .copied()
                })
                .collect();
            let mut task = None;
            if let Some(c) = chosen.as_deref() {
                task = result.tasks.iter().enumerate().position(|(k, t)| {
                    !taken[k] && t.instance.as_deref() == Some(c) && t.pending == Some(d.time)
                });
            }
            if let Some(k) = task {
                taken[k] = true;
                task_decision.insert(k, d.number);
            }
            let text = clip(&d.text, d.number);
            narrated += text.len();
            decisions.push(json!([
                d.number,
                secs(d.time),
                d.time.to_string(),
                d.source,
                text,
                inst,
                task.map(|k| result.tasks[k].id.0),
                filtered
            ]));
        }

        // Tasks on EC2: [id, owner, instance, cpu, MiB, pending, running,
        // stopping, stopped, stop reason, decision].
        let mut reasons: Vec<String> = Vec::new();
        let mut tasks = Vec::new();
        for (k, t) in result.tasks.iter().enumerate() {
            let Some(inst) = t.instance.as_deref().and_then(|i| index.get(i).copied()) else {
                continue;
            };
            let res = spec
                .task_definitions
                .iter()
                .find(|d| d.def.family == t.family)
                .map(|d| d.def.reservation())
                .unwrap_or_default();
            let owner = intern(&mut owners, &t.owner);
            let reason = t.stop_reason.as_deref().map(|r| intern(&mut reasons, r));
            tasks.push(json!([
                t.id.0,
                owner,
                inst,
                res.cpu,
                res.memory,
                opt(t.pending),
                opt(t.running),
                opt(t.stopping),
                opt(t.stopped),
                reason,
                task_decision.get(&k)
            ]));
        }

        let decisions_len = decisions.len();
        let series = timeseries(dir, &result.instances)?;
        let events = events(dir)?;

        let json = json!({
            "label": label,
            "scenario": name,
            "seed": seed,
            "start": spec.start_epoch_s,
            "horizon": spec.horizon.as_secs_f64(),
            "azs": azs,
            "owners": owners,
            "services": services,
            "reasons": reasons,
            "instances": instances,
            "tasks": tasks,
            "decisions": decisions,
            "decisionsTotal": result.summary.tasks_placed,
            "series": series,
            "events": events,
        });
        Ok(RunData {
            label: label.to_string(),
            decisions: decisions_len,
            json,
        })
    }
}

/// What Fargate and Fargate Spot tasks were billed in each hour of the run,
/// from the `cost.csv` ledger (compute and storage; B2), by hour index.
/// Empty when the folder has no ledger or no Fargate row.
fn fargate_billed_by_hour(dir: &Path) -> Result<Vec<f64>, ReportError> {
    let path = dir.join("cost.csv");
    if !path.is_file() {
        return Ok(Vec::new());
    }
    let t = table(&path)?;
    let col = |n: &str| t.column(n).map_err(|p| folder_err(&path, p.message));
    let (hc, cc, uc, sc) = (
        col("hour")?,
        col("capacity")?,
        col("compute_usd")?,
        col("storage_usd")?,
    );
    let mut by_hour: Vec<f64> = Vec::new();
    for (line, r) in t.rows() {
        if !matches!(r.get(cc), Some("FARGATE" | "FARGATE_SPOT")) {
            continue;
        }
        let num = |c: usize, name: &str| {
            r.get(c).unwrap_or("").parse::<f64>().map_err(|_| {
                folder_err(
                    &path,
                    format!("line {line}, column `{name}`: expected a number"),
                )
            })
        };
        let hour = num(hc, "hour")?;
        if !(0.0..1e7).contains(&hour) {
            return Err(folder_err(
                &path,
                format!("line {line}, column `hour`: expected an hour of the run, found {hour}"),
            ));
        }
        let h = hour as usize;
        if by_hour.len() <= h {
            by_hour.resize(h + 1, 0.0);
        }
        by_hour[h] += num(uc, "compute_usd")? + num(sc, "storage_usd")?;
    }
    Ok(by_hour)
}

/// `timeseries.csv` by column (numbers), thinned to `MAX_SAMPLES` rows,
/// plus `ec2_usd_per_hour`, the price of the instances alive at each row,
/// and, when Fargate tasks ran, `fargate_usd_per_hour`, what they were
/// billed in the hour of each row.
fn timeseries(
    dir: &Path,
    instances: &[crate::engine::InstanceRecord],
) -> Result<Value, ReportError> {
    let fargate = fargate_billed_by_hour(dir)?;
    let mut fargate_cost = Vec::new();
    let path = dir.join("timeseries.csv");
    let t = table(&path)?;
    let headers: Vec<String> = t.headers().iter().map(str::to_string).collect();
    let Some(tc) = headers.iter().position(|h| h == "time_s") else {
        return Err(folder_err(&path, "no `time_s` column"));
    };
    let rows: Vec<_> = t.rows().collect();
    for (line, r) in &rows {
        if r.get(tc).unwrap_or("").parse::<f64>().is_err() {
            return Err(folder_err(
                &path,
                format!("line {line}, column `time_s`: expected a number of seconds"),
            ));
        }
    }
    let step = rows.len().div_ceil(MAX_SAMPLES).max(1);
    // Numeric columns only (alarm states and the like are not charted).
    let numeric: Vec<bool> = (0..headers.len())
        .map(|c| {
            rows.iter().all(|(_, r)| {
                r.get(c)
                    .is_none_or(|x| x.is_empty() || x.parse::<f64>().is_ok())
            })
        })
        .collect();
    let mut cols: Vec<Vec<Value>> = vec![Vec::new(); headers.len()];
    let mut cost = Vec::new();
    for (_, r) in rows.iter().step_by(step) {
        for (c, h) in headers.iter().enumerate() {
            if !numeric[c] {
                continue;
            }
            let cell = r.get(c).unwrap_or("");
            let v = cell.parse::<f64>().map_or(Value::Null, |x| json!(x));
            if h == "time_s" {
                let now = v.as_f64().unwrap_or(0.0);
                let usd: f64 = instances
                    .iter()
                    .filter(|i| {
                        secs(i.launched) <= now && i.terminated.is_none_or(|e| secs(e) > now)
                    })
                    .map(|i| i.price_usd_per_hour)
                    .sum();
                cost.push(json!((usd * 10_000.0).round() / 10_000.0));
                if !fargate.is_empty() {
                    let h = (now / 3600.0).floor().max(0.0) as usize;
                    let usd = fargate.get(h).copied().unwrap_or(0.0);
                    fargate_cost.push(json!((usd * 10_000.0).round() / 10_000.0));
                }
            }
            cols[c].push(v);
        }
    }
    let mut out = serde_json::Map::new();
    for ((h, c), keep) in headers.into_iter().zip(cols).zip(numeric) {
        if keep {
            out.insert(h, Value::Array(c));
        }
    }
    out.insert("ec2_usd_per_hour".into(), Value::Array(cost));
    if !fargate.is_empty() {
        out.insert("fargate_usd_per_hour".into(), Value::Array(fargate_cost));
    }
    Ok(Value::Object(out))
}

/// `events.csv` as [time, source, event, message] rows.
fn events(dir: &Path) -> Result<Value, ReportError> {
    let path = dir.join("events.csv");
    let t = table(&path)?;
    let col = |n: &str| t.column(n).map_err(|p| folder_err(&path, p.message));
    let (tc, sc, ec, mc) = (
        col("time_s")?,
        col("source")?,
        col("event")?,
        col("message")?,
    );
    let mut out = Vec::new();
    for (line, r) in t.rows().take(MAX_EVENTS) {
        let time: f64 = r.get(tc).unwrap_or("").parse().map_err(|_| {
            folder_err(
                &path,
                format!("line {line}, column `time_s`: expected a number"),
            )
        })?;
        out.push(json!([
            time,
            r.get(sc).unwrap_or(""),
            r.get(ec).unwrap_or(""),
            r.get(mc).unwrap_or("")
        ]));
    }
    Ok(Value::Array(out))
}
