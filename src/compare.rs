//! `ecsim compare`: one workload under several launch configurations (EC2
//! on-demand, EC2 with spot, Fargate, Fargate with Fargate Spot, ...), with
//! the same seed, so every variant sees the same arrivals and durations
//! (common random numbers), side by side.
//!
//! Variants are named bundles of `--set` overrides, given in the scenario's
//! `[variants]` table (`fargate = ["services.web.launchType=FARGATE"]`) or
//! on the command line. This module merges and checks the variants, runs
//! them, tabulates and writes the comparison folder ([`run_compare`]); the
//! CLI prints.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::csvdata::CsvText;
use crate::engine::{RunResult, Simulation};
use crate::metrics::round4;
use crate::output::{self, Kind, Lock, OutputError};
use crate::scenario::error::render;
use crate::scenario::reader::{describe, index, join, Reader};
use crate::scenario::{self, ScenarioError};

/// A named bundle of overrides.
#[derive(Debug, Clone, PartialEq)]
pub struct Variant {
    /// Name (a row of the table).
    pub name: String,
    /// `path=value` overrides.
    pub overrides: Vec<String>,
}

/// One row of the comparison. Amounts without a period in their name
/// (`run_total_usd`, `ec2_usd`, `fargate_usd`, `idle_usd`) are the run's
/// (a day, a week: the scenario's duration); `usd_per_month` is the run's
/// total scaled to a 730-hour month.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Variant name.
    pub variant: String,
    /// Total cost of the run, USD.
    pub run_total_usd: f64,
    /// The run's total scaled to a 730-hour month, USD.
    pub usd_per_month: f64,
    /// EC2 instances' cost over the run, USD.
    pub ec2_usd: f64,
    /// Fargate cost over the run, USD.
    pub fargate_usd: f64,
    /// Instance cost no task reserved, over the run, USD.
    pub idle_usd: f64,
    /// Share of paid capacity reserved by tasks, percent (Fargate: 100).
    pub paid_reserved_pct: f64,
    /// Mean CPU reservation of the EC2 cluster, percent; `None` for a
    /// variant that launched no EC2 instance.
    pub cpu_reserved_pct: Option<f64>,
    /// Mean memory reservation of the EC2 cluster, percent; `None` for a
    /// variant that launched no EC2 instance.
    pub memory_reserved_pct: Option<f64>,
    /// Minutes with fewer RUNNING tasks than desired, summed over services.
    pub minutes_below_desired: f64,
    /// Tasks that could not be placed or launched.
    pub unplaced: u64,
    /// Spot interruptions (EC2 notices and Fargate Spot).
    pub interruptions: u64,
    /// Batch submissions (the same in every variant: common random numbers).
    pub submitted: u64,
    /// Batch jobs whose RunTask failed (all reasons): work never done.
    pub jobs_failed: u64,
    /// Requests dropped for lack of capacity, summed over services (W1).
    pub requests_dropped: f64,
    /// Cost per million requests served, where services have demand (W1).
    pub usd_per_million_requests: Option<f64>,
    /// Minutes with demand above capacity, summed over services.
    pub overloaded_minutes: u64,
    /// Reserved Instances and Savings Plans over the run, when the
    /// variant has any (B3).
    pub commitments: Option<RowCommitments>,
}

/// A variant's commitments over the run (B3), for the comparison and the
/// break-even.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RowCommitments {
    /// Fees, USD (paid whether used or not).
    pub fees_usd: f64,
    /// On-demand value of the usage they covered, USD.
    pub covered_usd: f64,
    /// Eligible usage billed on-demand, USD.
    pub uncovered_usd: f64,
    /// On-demand value they could cover if fully used, USD.
    pub capacity_usd: f64,
    /// Covered over eligible usage, percent.
    pub coverage_pct: f64,
    /// Used fees over fees, percent.
    pub utilization_pct: f64,
    /// Fees nothing used, USD.
    pub unused_usd: f64,
}

impl Row {
    /// Whether the variant left work undone (jobs never run, requests
    /// dropped): its cost is then for less work than a variant that did it all.
    pub fn dropped_work(&self) -> bool {
        self.jobs_failed > 0 || self.requests_dropped > 0.0
    }

    /// What the variant left undone, in words (`27 jobs never ran`).
    fn dropped_text(&self) -> String {
        let mut parts = Vec::new();
        if self.jobs_failed > 0 {
            parts.push(format!(
                "{} job{} never ran",
                self.jobs_failed,
                if self.jobs_failed == 1 { "" } else { "s" }
            ));
        }
        if self.requests_dropped > 0.0 {
            parts.push(format!("{:.0} requests dropped", self.requests_dropped));
        }
        parts.join(", ")
    }
}

/// Why a comparison could not run.
#[derive(Debug, thiserror::Error)]
pub enum CompareError {
    /// The scenario or a variant is invalid.
    #[error("variant `{variant}`: {source}")]
    Scenario {
        /// Variant.
        variant: String,
        /// The problems.
        source: ScenarioError,
    },
    /// The `[variants]` table is malformed, a `--variant` is malformed, or
    /// names are unknown, repeated or unfit to name a folder.
    #[error("{0}")]
    Variants(String),
    /// The output folder could not be locked or prepared.
    #[error(transparent)]
    Folder(#[from] OutputError),
    /// Writing the results failed (`what`: `writing variant NAME`, ...).
    #[error("{what}")]
    Write {
        /// What was being written.
        what: String,
        /// Why it failed.
        #[source]
        source: OutputError,
    },
}

impl CompareError {
    /// Whether the input (the scenario, the variants, the names) is at
    /// fault, rather than the file system: nothing has been run or written.
    pub fn is_input(&self) -> bool {
        matches!(
            self,
            CompareError::Scenario { .. } | CompareError::Variants(_)
        )
    }

    /// The individual problems, one line each (`variant `NAME`: ...` for
    /// every problem of an invalid variant).
    pub fn issues(&self) -> Vec<String> {
        match self {
            CompareError::Scenario { variant, source } => source
                .issues()
                .into_iter()
                .map(|line| format!("variant `{variant}`: {line}"))
                .collect(),
            other => vec![other.to_string()],
        }
    }
}

/// What `ecsim compare` is asked to do.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// Scenario file.
    pub scenario: &'a Path,
    /// Overrides common to every variant (`--set`).
    pub set: &'a [String],
    /// Seed for every variant (default: the scenario's).
    pub seed: Option<u64>,
    /// Variants to run, in order (`--variants`; empty: every one defined).
    pub names: &'a [String],
    /// `NAME:PATH=VALUE` definitions or extensions (`--variant`).
    pub extra: &'a [String],
    /// Output folder (default: `results/<scenario name>/compare/`).
    pub out: Option<&'a Path>,
}

/// What a comparison wrote.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The comparison folder: `comparison.csv` and one run folder per variant.
    pub dir: PathBuf,
    /// One row per variant, in order.
    pub rows: Vec<Row>,
}

impl Outcome {
    /// Each variant's run folder, in order.
    pub fn variant_dirs(&self) -> Vec<PathBuf> {
        self.rows
            .iter()
            .map(|r| self.dir.join(&r.variant))
            .collect()
    }
}

/// The variants a request asks for: the scenario's `[variants]` table
/// extended by `--variant` definitions, then narrowed and ordered by
/// `--variants`; every name checked (known, given once, fit to name a
/// folder, not a file the comparison writes).
pub fn select(req: &Request) -> Result<Vec<Variant>, CompareError> {
    let mut variants = file_variants(req.scenario)?;
    for spec in req.extra {
        let Some((name, assignment)) = spec.split_once(':') else {
            return Err(CompareError::Variants(format!(
                "--variant {spec}: expected NAME:PATH=VALUE"
            )));
        };
        if let Err(m) = output::plain_name(name) {
            return Err(CompareError::Variants(format!(
                "--variant {spec}: the name {m}; it names the variant's folder"
            )));
        }
        match variants.iter_mut().find(|v| v.name == name) {
            Some(v) => v.overrides.push(assignment.to_string()),
            None => variants.push(Variant {
                name: name.to_string(),
                overrides: vec![assignment.to_string()],
            }),
        }
    }
    if !req.names.is_empty() {
        let mut chosen = Vec::new();
        for n in req.names {
            match variants.iter().find(|v| &v.name == n) {
                Some(v) => chosen.push(v.clone()),
                None => {
                    let known: Vec<&str> = variants.iter().map(|v| v.name.as_str()).collect();
                    return Err(CompareError::Variants(format!(
                        "unknown variant `{n}`; the scenario defines: {}",
                        if known.is_empty() {
                            "none".to_string()
                        } else {
                            known.join(", ")
                        }
                    )));
                }
            }
        }
        variants = chosen;
    }
    for (i, v) in variants.iter().enumerate() {
        if variants[..i].iter().any(|w| w.name == v.name) {
            return Err(CompareError::Variants(format!(
                "variant `{}` is given twice",
                v.name
            )));
        }
        if let Err(m) = output::plain_name(&v.name) {
            return Err(CompareError::Variants(format!(
                "{}: variants: the name {m}; it names the variant's folder",
                req.scenario.display()
            )));
        }
        if v.name == "comparison.csv" || v.name.ends_with(".png") || v.name.ends_with(".svg") {
            return Err(CompareError::Variants(format!(
                "variant `{}`: the name of a file the comparison writes; rename the variant",
                v.name
            )));
        }
    }
    if variants.is_empty() {
        return Err(CompareError::Variants(format!(
            "{}: no variants: add a [variants] table or --variant NAME:PATH=VALUE",
            req.scenario.display()
        )));
    }
    Ok(variants)
}

/// `ecsim compare`: selects the variants, locks the output folder (before
/// anything runs; the default one is named after the scenario as the first
/// variant loads it), runs every variant and writes `comparison.csv` and
/// one run folder per variant, replacing the folder's previous comparison
/// whole.
pub fn run_compare(req: &Request) -> Result<Outcome, CompareError> {
    let variants = select(req)?;
    let lock = match req.out {
        Some(d) => Lock::acquire(d)?,
        None => {
            let first = &variants[0];
            let mut all = req.set.to_vec();
            all.extend(first.overrides.iter().cloned());
            let sc =
                scenario::load(req.scenario, &all).map_err(|source| CompareError::Scenario {
                    variant: first.name.clone(),
                    source,
                })?;
            let dir =
                output::default_dir(&sc.spec.name, "scenario").map_err(CompareError::Variants)?;
            Lock::acquire(&dir.join("compare"))?
        }
    };
    let runs = run(req.scenario, &variants, req.set, req.seed)?;
    let refs: Vec<(&Variant, &RunResult)> = runs.iter().map(|(v, r)| (v, r)).collect();
    write_locked(lock, &refs)
}

/// Writes the comparison folder `dir` of variants already run (`runs`, in
/// order, as [`run`] returns them): `comparison.csv` and one run folder per
/// variant, the files `ecsim compare` writes, replacing the folder's
/// previous comparison whole.
pub fn write_compare(dir: &Path, runs: &[(&Variant, &RunResult)]) -> Result<Outcome, CompareError> {
    write_locked(Lock::acquire(dir)?, runs)
}

fn write_locked(lock: Lock, runs: &[(&Variant, &RunResult)]) -> Result<Outcome, CompareError> {
    let dir = lock.target().to_path_buf();
    let stage = lock.stage(Kind::Compare)?;
    let mut rows = Vec::new();
    for &(v, r) in runs {
        let vdir = stage.path().join(&v.name);
        std::fs::create_dir(&vdir)
            .map_err(|source| OutputError::Io {
                path: vdir.clone(),
                source,
            })
            .and_then(|()| output::write_run_files(&vdir, r, None))
            .map_err(|e| CompareError::Write {
                what: format!("writing variant {}", v.name),
                source: stage.explain(e),
            })?;
        rows.push(row(&v.name, r));
    }
    output::write_new(&stage.path().join("comparison.csv"), csv(&rows).as_bytes()).map_err(
        |e| CompareError::Write {
            what: "writing comparison.csv".to_string(),
            source: stage.explain(e),
        },
    )?;
    stage.commit().map_err(|source| CompareError::Write {
        what: "writing the comparison".to_string(),
        source,
    })?;
    drop(lock);
    Ok(Outcome { dir, rows })
}

/// Reads the `[variants]` table of a scenario file.
pub fn file_variants(path: &Path) -> Result<Vec<Variant>, CompareError> {
    // Read within the scenario size limit: `compare /dev/zero` must not
    // read gigabytes before failing.
    let text =
        crate::scenario::limits::read_text(path, crate::scenario::limits::MAX_TEXT_FILE_BYTES)
            .map_err(CompareError::Variants)?;
    let root: toml::Table = text
        .parse()
        .map_err(|e| CompareError::Variants(format!("{}: invalid TOML: {e}", path.display())))?;
    let Some(v) = root.get("variants") else {
        return Ok(Vec::new());
    };
    let mut r = Reader::new(path);
    let out = read_variants(&mut r, v);
    if r.issues.is_empty() {
        Ok(out)
    } else {
        Err(CompareError::Variants(render(&r.issues)))
    }
}

/// The `[variants]` table: `name = ["path=value", ...]`. Every problem is
/// reported, each naming its field and what was found.
fn read_variants(r: &mut Reader, v: &toml::Value) -> Vec<Variant> {
    let Some(t) = v.as_table() else {
        r.err(
            "variants",
            format!(
                "expected a table of name = [\"path=value\", ...], found {}",
                describe(v)
            ),
        );
        return Vec::new();
    };
    let mut out = Vec::new();
    for (name, list) in t {
        let here = join("variants", name);
        let Some(items) = list.as_array() else {
            r.err(
                &here,
                format!(
                    "expected a list of \"path=value\" strings, found {}",
                    describe(list)
                ),
            );
            continue;
        };
        let mut overrides = Vec::new();
        for (i, item) in items.iter().enumerate() {
            match item.as_str() {
                Some(s) => overrides.push(s.to_string()),
                None => r.err(
                    &index(&here, i),
                    format!("expected a \"path=value\" string, found {}", describe(item)),
                ),
            }
        }
        out.push(Variant {
            name: name.clone(),
            overrides,
        });
    }
    out
}

/// Runs every variant of `path` (after the common `overrides`) with `seed`
/// (or the scenario's), in order. Every variant is validated first.
pub fn run(
    path: &Path,
    variants: &[Variant],
    overrides: &[String],
    seed: Option<u64>,
) -> Result<Vec<(Variant, RunResult)>, CompareError> {
    let mut loaded = Vec::new();
    for v in variants {
        let mut all = overrides.to_vec();
        all.extend(v.overrides.iter().cloned());
        let sc = scenario::load(path, &all).map_err(|source| CompareError::Scenario {
            variant: v.name.clone(),
            source,
        })?;
        loaded.push((v.clone(), sc));
    }
    Ok(loaded
        .into_iter()
        .map(|(v, sc)| {
            let s = seed.unwrap_or(sc.seed);
            (v, Simulation::new(&sc.spec, s).run())
        })
        .collect())
}

/// The comparison row of a run.
pub fn row(name: &str, r: &RunResult) -> Row {
    let s = &r.summary;
    let c = &s.cost;
    let fargate = c.fargate_usd();
    let paid = c.ec2_instances_usd + fargate;
    let reserved = c.ec2_instances_usd * c.ec2_reserved_pct / 100.0 + fargate;
    let no_ec2 = s.instances_launched == 0;
    let demand = || s.services.iter().filter_map(|x| x.demand.as_ref());
    Row {
        variant: name.to_string(),
        run_total_usd: c.total_usd,
        usd_per_month: c.per_month_usd,
        ec2_usd: c.ec2_instances_usd,
        fargate_usd: round4(fargate),
        idle_usd: c.idle_usd,
        paid_reserved_pct: if paid > 0.0 {
            round4(100.0 * reserved / paid)
        } else {
            0.0
        },
        cpu_reserved_pct: (!no_ec2).then_some(s.cpu_reservation_mean_pct),
        memory_reserved_pct: (!no_ec2).then_some(s.memory_reservation_mean_pct),
        minutes_below_desired: round4(
            s.services
                .iter()
                .map(|x| x.minutes_below_desired)
                .fold(0.0, |a, b| a + b),
        ),
        unplaced: s.unplaceable_by_reason.values().sum::<u64>() + c.fargate_spot_unavailable,
        interruptions: s.interruptions.notices + c.fargate_spot_interruptions,
        submitted: s.jobs.iter().map(|j| j.submitted).sum(),
        jobs_failed: s.jobs.iter().flat_map(|j| j.failed.values()).sum(),
        requests_dropped: round4(demand().map(|d| d.dropped).fold(0.0, |a, b| a + b)),
        usd_per_million_requests: {
            let served: f64 = demand().map(|d| d.served).fold(0.0, |a, b| a + b);
            (served > 0.0).then(|| round4(c.total_usd / served * 1e6))
        },
        overloaded_minutes: demand().map(|d| d.overloaded_minutes).sum(),
        commitments: c.commitments.as_ref().map(|k| RowCommitments {
            fees_usd: k.fees_usd,
            covered_usd: k.covered_on_demand_usd,
            uncovered_usd: k.uncovered_usd,
            capacity_usd: k.capacity_on_demand_usd,
            coverage_pct: k.coverage_pct,
            utilization_pct: k.utilization_pct,
            unused_usd: k.unused_usd,
        }),
    }
}

/// The commitment columns, written only when some variant has Reserved
/// Instances or Savings Plans (so other comparisons keep their columns).
const COMMITMENT_HEADER: [&str; 4] = [
    "commitment_fees_usd",
    "commitment_coverage_pct",
    "commitment_utilization_pct",
    "unused_commitment_usd",
];

fn any_commitments(rows: &[Row]) -> bool {
    rows.iter().any(|r| r.commitments.is_some())
}

fn commitment_cells(r: &Row, none: &str) -> Vec<String> {
    match &r.commitments {
        Some(c) => vec![
            format!("{:.2}", c.fees_usd),
            format!("{:.1}", c.coverage_pct),
            format!("{:.1}", c.utilization_pct),
            format!("{:.2}", c.unused_usd),
        ],
        None => vec![none.to_string(); COMMITMENT_HEADER.len()],
    }
}

/// The fixed columns of `comparison.csv`, in order (the breakeven columns
/// follow, one per all-Fargate variant: see [`csv()`]).
pub const HEADER: [&str; 18] = [
    "variant",
    "run_total_usd",
    "usd_per_month",
    "ec2_usd",
    "fargate_usd",
    "idle_usd",
    "paid_reserved_pct",
    "cpu_reserved_pct",
    "memory_reserved_pct",
    "minutes_below_desired",
    "unplaced",
    "interruptions",
    "submitted",
    "overloaded_minutes",
    "usd_per_1m_requests",
    "jobs_failed",
    "requests_dropped",
    "dropped_work",
];

/// A row's cells; `none` stands for a value that does not apply (empty in
/// the CSV).
fn cells(r: &Row, none: &str) -> Vec<String> {
    let opt = |x: Option<f64>, digits: usize| {
        x.map_or_else(|| none.to_string(), |x| format!("{x:.digits$}"))
    };
    vec![
        r.variant.clone(),
        format!("{:.2}", r.run_total_usd),
        format!("{:.2}", r.usd_per_month),
        format!("{:.2}", r.ec2_usd),
        format!("{:.2}", r.fargate_usd),
        format!("{:.2}", r.idle_usd),
        format!("{:.1}", r.paid_reserved_pct),
        opt(r.cpu_reserved_pct, 1),
        opt(r.memory_reserved_pct, 1),
        format!("{:.1}", r.minutes_below_desired),
        r.unplaced.to_string(),
        r.interruptions.to_string(),
        r.submitted.to_string(),
        r.overloaded_minutes.to_string(),
        opt(r.usd_per_million_requests, 2),
        r.jobs_failed.to_string(),
        format!("{:.0}", r.requests_dropped),
        r.dropped_work().to_string(),
    ]
}

/// `comparison.csv`: one row per variant, the [`HEADER`] columns, then one
/// `breakeven_reserved_pct_vs_<fargate variant>` column per all-Fargate
/// variant, filled on the all-EC2 rows (see [`breakevens`]).
pub fn csv(rows: &[Row]) -> String {
    let be = breakevens(rows);
    let fargate: Vec<&str> = rows
        .iter()
        .filter(|r| is_fargate(r))
        .map(|r| r.variant.as_str())
        .collect();
    let mut w = CsvText::new();
    let with_commitments = any_commitments(rows);
    let mut head: Vec<String> = HEADER.iter().map(|h| h.to_string()).collect();
    if with_commitments {
        head.extend(COMMITMENT_HEADER.iter().map(|h| h.to_string()));
    }
    head.extend(
        fargate
            .iter()
            .map(|f| format!("breakeven_reserved_pct_vs_{f}")),
    );
    w.row(&head);
    for r in rows {
        let mut c = cells(r, "");
        if with_commitments {
            c.extend(commitment_cells(r, ""));
        }
        for f in &fargate {
            c.push(
                be.iter()
                    .find(|b| b.ec2 == r.variant && b.fargate == *f)
                    .map(|b| format!("{:.1}", b.reserved_pct))
                    .unwrap_or_default(),
            );
        }
        w.row(&c);
    }
    w.finish()
}

/// The side-by-side table for a terminal (and the README), with a note
/// under it naming the variants that left work undone.
pub fn table(rows: &[Row]) -> String {
    let with_commitments = any_commitments(rows);
    let mut header: Vec<&str> = HEADER.to_vec();
    if with_commitments {
        header.extend(COMMITMENT_HEADER);
    }
    let all: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let mut c = cells(r, "-");
            if with_commitments {
                c.extend(commitment_cells(r, "-"));
            }
            c
        })
        .collect();
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for c in &all {
        for (w, x) in widths.iter_mut().zip(c) {
            *w = (*w).max(x.chars().count());
        }
    }
    let mut s = String::new();
    let line = |s: &mut String, cells: Vec<&str>| {
        for (k, (c, w)) in cells.iter().zip(&widths).enumerate() {
            if k == 0 {
                let _ = write!(s, "{c:<w$}");
            } else {
                let _ = write!(s, "  {c:>w$}");
            }
        }
        s.push('\n');
    };
    line(&mut s, header.clone());
    for c in &all {
        line(&mut s, c.iter().map(String::as_str).collect());
    }
    for r in rows.iter().filter(|r| r.dropped_work()) {
        let _ = writeln!(
            s,
            "note: {} did less work than asked ({}): its cost is not for the same work as the others'",
            r.variant,
            r.dropped_text()
        );
    }
    s
}

fn is_ec2(r: &Row) -> bool {
    r.fargate_usd == 0.0 && r.ec2_usd > 0.0
}

/// Whether a variant ran on Fargate only (it gets a breakeven column).
pub fn is_fargate(r: &Row) -> bool {
    r.ec2_usd == 0.0 && r.fargate_usd > 0.0
}

/// Where an EC2 variant would cost what a Fargate variant costs: the share
/// of paid EC2 capacity reserved by tasks at which the EC2 bill (which
/// scales as 1 / share for the same work) equals the Fargate bill. Above it
/// EC2 is cheaper; a value above 100% means EC2 cannot win.
///
/// With commitments (B3) only the instance usage scales: the fees are due
/// whatever the share, and usage up to what they can cover costs nothing
/// more (see [`breakeven_pct`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Breakeven {
    /// The EC2 variant.
    pub ec2: String,
    /// The Fargate variant.
    pub fargate: String,
    /// Reserved share of paid EC2 capacity at which they cost the same, percent.
    pub reserved_pct: f64,
    /// When one of the two left work undone, what (`ec2: 27 jobs never
    /// ran`): the bills are then not for the same work.
    pub not_same_work: Option<String>,
}

/// Breakevens of every all-EC2 variant against every all-Fargate variant.
pub fn breakevens(rows: &[Row]) -> Vec<Breakeven> {
    let mut out = Vec::new();
    for e in rows.iter().filter(|r| is_ec2(r)) {
        for f in rows.iter().filter(|r| is_fargate(r)) {
            let undone: Vec<String> = [e, f]
                .iter()
                .filter(|r| r.dropped_work())
                .map(|r| format!("{}: {}", r.variant, r.dropped_text()))
                .collect();
            out.push(Breakeven {
                ec2: e.variant.clone(),
                fargate: f.variant.clone(),
                reserved_pct: round4(breakeven_pct(e, f.run_total_usd)),
                not_same_work: (!undone.is_empty()).then(|| undone.join("; ")),
            });
        }
    }
    out
}

/// The reserved share (percent) at which EC2 variant `e`, doing the same
/// work, would bill `fargate_usd`.
///
/// Without commitments the bill T scales as 1 / share: s = T × sₑ / f.
///
/// With commitments of fees F that covered C of eligible on-demand usage,
/// left U uncovered and could cover K if fully used, the bill at share s is
/// F + max(0, (C + U) × sₑ / s − K) + X × sₑ / s, where X = T − F − U is the
/// spend no commitment covers (spot, EBS). Solved for a bill of f:
/// - commitments saturated: s = (T − F + C) × sₑ / (f − F + K), if there
///   (C + U) × sₑ / s ≥ K;
/// - else s = X × sₑ / (f − F) when f > F, and never (infinite) otherwise:
///   the fees alone cost more than the Fargate bill.
pub fn breakeven_pct(e: &Row, fargate_usd: f64) -> f64 {
    let (t, se, f) = (e.run_total_usd, e.paid_reserved_pct, fargate_usd);
    let Some(c) = &e.commitments else {
        return t * se / f;
    };
    let (fees, covered, uncovered, capacity) =
        (c.fees_usd, c.covered_usd, c.uncovered_usd, c.capacity_usd);
    let denominator = f - fees + capacity;
    if denominator > 0.0 {
        let s = (t - fees + covered) * se / denominator;
        if s > 0.0 && (covered + uncovered) * se / s >= capacity {
            return s;
        }
    }
    if f > fees {
        (t - fees - uncovered).max(0.0) * se / (f - fees)
    } else {
        f64::INFINITY
    }
}

/// The breakevens as lines for a terminal.
pub fn breakeven_text(b: &[Breakeven]) -> String {
    let mut s = String::new();
    for x in b {
        let verdict = if x.reserved_pct > 100.0 {
            "never: even fully reserved, EC2 costs more".to_string()
        } else {
            format!(
                "EC2 is cheaper above {:.1}% of paid capacity reserved",
                x.reserved_pct
            )
        };
        let caveat = x
            .not_same_work
            .as_ref()
            .map(|w| format!(" (not the same work: {w})"))
            .unwrap_or_default();
        let _ = writeln!(s, "  {} vs {}: {verdict}{caveat}", x.ec2, x.fargate);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nightly() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/cost/nightly-batch.toml")
    }

    fn request<'a>(
        scenario: &'a Path,
        names: &'a [String],
        extra: &'a [String],
        out: Option<&'a Path>,
    ) -> Request<'a> {
        Request {
            scenario,
            set: &[],
            seed: None,
            names,
            extra,
            out,
        }
    }

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    fn input_error(req: &Request) -> String {
        let e = select(req).expect_err("refused");
        assert!(e.is_input(), "{e}");
        let lines = e.issues();
        assert_eq!(lines.len(), 1, "{lines:?}");
        lines[0].clone()
    }

    /// Variants run first and written afterwards (as the Python package
    /// does) give the folder `ecsim compare` writes, byte for byte.
    #[test]
    fn write_compare_writes_what_run_compare_writes() {
        let path = nightly();
        let set = strings(&["duration=\"2h\""]);
        let tmp = tempfile::tempdir().unwrap();
        let direct = tmp.path().join("direct");
        let req = Request {
            set: &set,
            ..request(&path, &[], &[], Some(&direct))
        };
        let done = run_compare(&req).unwrap();
        let variants = select(&req).unwrap();
        let runs = run(&path, &variants, &set, None).unwrap();
        let refs: Vec<(&Variant, &RunResult)> = runs.iter().map(|(v, r)| (v, r)).collect();
        let later = tmp.path().join("later");
        let out = write_compare(&later, &refs).unwrap();
        assert_eq!(out.rows, done.rows);
        let read =
            |p: PathBuf| std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        assert_eq!(
            read(later.join("comparison.csv")),
            read(direct.join("comparison.csv"))
        );
        for v in &variants {
            for f in ["summary.json", "tasks.csv", "cost.csv", "timeseries.csv"] {
                assert_eq!(
                    read(later.join(&v.name).join(f)),
                    read(direct.join(&v.name).join(f))
                );
            }
        }
    }

    #[test]
    fn select_extends_the_table_then_orders_by_names() {
        let path = nightly();
        let extra = strings(&["ec2:instanceGroups.batch.count=3", "big:duration=\"2h\""]);
        let names = strings(&["big", "ec2"]);
        let v = select(&request(&path, &names, &extra, None)).unwrap();
        assert_eq!(
            v,
            vec![
                Variant {
                    name: "big".into(),
                    overrides: strings(&["duration=\"2h\""]),
                },
                Variant {
                    name: "ec2".into(),
                    overrides: strings(&["instanceGroups.batch.count=3"]),
                },
            ]
        );
        let all = select(&request(&path, &[], &[], None)).unwrap();
        assert_eq!(all[0].name, "ec2");
        assert!(all.len() >= 2);
    }

    #[test]
    fn select_refuses_bad_names_with_the_cli_messages() {
        let path = nightly();
        let none: Vec<String> = Vec::new();
        let m = input_error(&request(&path, &none, &strings(&["nocolon"]), None));
        assert_eq!(m, "--variant nocolon: expected NAME:PATH=VALUE");
        let m = input_error(&request(&path, &none, &strings(&["../x:a=1"]), None));
        assert!(
            m.starts_with("--variant ../x:a=1: the name `../x` contains a path separator"),
            "{m}"
        );
        let m = input_error(&request(&path, &strings(&["nope"]), &none, None));
        assert!(
            m.starts_with("unknown variant `nope`; the scenario defines: ec2, ec2-managed"),
            "{m}"
        );
        let m = input_error(&request(&path, &strings(&["ec2", "ec2"]), &none, None));
        assert_eq!(m, "variant `ec2` is given twice");
        let m = input_error(&request(
            &path,
            &none,
            &strings(&["comparison.csv:seed=1"]),
            None,
        ));
        assert_eq!(
            m,
            "variant `comparison.csv`: the name of a file the comparison writes; rename the variant"
        );
    }

    #[test]
    fn a_scenario_without_variants_is_refused_before_any_folder_is_made() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("plain.toml");
        std::fs::write(&path, "name = \"plain\"\n").unwrap();
        let out = tmp.path().join("out");
        let none: Vec<String> = Vec::new();
        let e = run_compare(&request(&path, &none, &none, Some(&out))).expect_err("refused");
        assert!(e.is_input());
        assert_eq!(
            e.issues(),
            vec![format!(
                "{}: no variants: add a [variants] table or --variant NAME:PATH=VALUE",
                path.display()
            )]
        );
        assert!(!out.exists());
    }

    #[test]
    fn an_invalid_variant_names_itself_on_every_problem_line() {
        let path = nightly();
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        let extra = strings(&["bad:instanceGroups.batch.count=-1"]);
        let names = strings(&["bad"]);
        let e = run_compare(&request(&path, &names, &extra, Some(&out))).expect_err("refused");
        assert!(e.is_input(), "{e}");
        let lines = e.issues();
        assert!(!lines.is_empty());
        assert!(
            lines.iter().all(|l| l.starts_with("variant `bad`: ")),
            "{lines:?}"
        );
        assert!(!out.exists());
    }

    #[test]
    fn run_compare_writes_the_table_and_one_folder_per_variant() {
        let path = nightly();
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        let set = strings(&["duration=\"2h\""]);
        let names = strings(&["ec2"]);
        let none: Vec<String> = Vec::new();
        let req = Request {
            set: &set,
            ..request(&path, &names, &none, Some(&out))
        };
        let o = run_compare(&req).unwrap();
        assert_eq!(o.dir, out);
        assert_eq!(o.rows.len(), 1);
        assert_eq!(o.variant_dirs(), vec![out.join("ec2")]);
        assert!(out.join("ec2/summary.json").is_file());
        let table = std::fs::read_to_string(out.join("comparison.csv")).unwrap();
        assert_eq!(table, csv(&o.rows));
    }

    #[test]
    fn a_folder_that_cannot_be_locked_is_not_an_input_error() {
        let path = nightly();
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("a-file");
        std::fs::write(&file, "mine").unwrap();
        let out = file.join("below");
        let none: Vec<String> = Vec::new();
        let names = strings(&["ec2"]);
        let e = run_compare(&request(&path, &names, &none, Some(&out))).expect_err("refused");
        assert!(!e.is_input(), "{e}");
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "mine");
    }

    #[test]
    fn variants_table_problems_are_all_listed_with_what_was_found() {
        // Read through the scenario Reader: every bad entry is reported
        // (it used to stop at the first) and says what it found.
        let tmp = tempfile::tempdir().unwrap();
        let f = tmp.path().join("v.toml");
        std::fs::write(&f, "[variants]\na = 3\nb = [\"x=1\", 2]\nc = [\"y=2\"]\n").unwrap();
        let e = file_variants(&f).unwrap_err().to_string();
        let d = f.display();
        assert!(
            e.contains(&format!(
                "{d}: variants.a: expected a list of \"path=value\" strings, found the integer 3"
            )),
            "{e}"
        );
        assert!(
            e.contains(&format!(
                "{d}: variants.b[1]: expected a \"path=value\" string, found the integer 2"
            )),
            "{e}"
        );
        assert!(e.ends_with("(2 problems)"), "{e}");
        std::fs::write(&f, "variants = 1\n").unwrap();
        let e = file_variants(&f).unwrap_err().to_string();
        assert!(
            e.ends_with(
                "variants: expected a table of name = [\"path=value\", ...], found the integer 1"
            ),
            "{e}"
        );
    }

    fn priced(name: &str, total: f64, reserved_pct: f64, c: Option<RowCommitments>) -> Row {
        Row {
            variant: name.into(),
            run_total_usd: total,
            usd_per_month: total,
            ec2_usd: total,
            fargate_usd: 0.0,
            idle_usd: 0.0,
            paid_reserved_pct: reserved_pct,
            cpu_reserved_pct: None,
            memory_reserved_pct: None,
            minutes_below_desired: 0.0,
            unplaced: 0,
            interruptions: 0,
            submitted: 0,
            jobs_failed: 0,
            requests_dropped: 0.0,
            usd_per_million_requests: None,
            overloaded_minutes: 0,
            commitments: c,
        }
    }

    fn fees(fees: f64, covered: f64, uncovered: f64, capacity: f64) -> Option<RowCommitments> {
        Some(RowCommitments {
            fees_usd: fees,
            covered_usd: covered,
            uncovered_usd: uncovered,
            capacity_usd: capacity,
            coverage_pct: 0.0,
            utilization_pct: 0.0,
            unused_usd: 0.0,
        })
    }

    #[test]
    fn breakeven_keeps_commitment_fees_fixed() {
        // No commitment: T × s / f = 100 × 50 / 80 = 62.5 %.
        assert_eq!(breakeven_pct(&priced("e", 100.0, 50.0, None), 80.0), 62.5);
        // ECS-MODEL B3. Fees 40 covering 60 of on-demand usage (capacity
        // 60), 40 uncovered, nothing else: T = 80, s = 50 %, f = 70.
        // Saturated: s* = (T − F + C) × s / (f − F + K) = 100 × 50 / 90
        // = 55.56 %; there usage 100 × 50 / 55.56 = 90 ≥ 60. ✓
        let e = priced("e", 80.0, 50.0, fees(40.0, 60.0, 40.0, 60.0));
        assert!((breakeven_pct(&e, 70.0) - 5000.0 / 90.0).abs() < 1e-9);
        // Commitments bigger than the usage (capacity 200, all 100 covered,
        // 10 of EBS besides): the bill is F + X × s / s*; 10 × 50 / (70 −
        // 60) = 50 %.
        let e = priced("e", 70.0, 50.0, fees(60.0, 100.0, 0.0, 200.0));
        assert!((breakeven_pct(&e, 70.0) - 50.0).abs() < 1e-9);
        // Fees alone above the Fargate bill: never.
        assert!(breakeven_pct(&e, 55.0).is_infinite());
    }
}
