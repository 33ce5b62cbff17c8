//! `ecsim compare`: one workload under several launch configurations (EC2
//! on-demand, EC2 with spot, Fargate, Fargate with Fargate Spot, ...), with
//! the same seed, so every variant sees the same arrivals and durations
//! (common random numbers), side by side.
//!
//! Variants are named bundles of `--set` overrides, given in the scenario's
//! `[variants]` table (`fargate = ["services.web.launchType=FARGATE"]`) or
//! on the command line. This module loads, runs and tabulates; the CLI
//! prints and writes.

use std::fmt::Write as _;
use std::path::Path;

use crate::engine::{RunResult, Simulation};
use crate::metrics::round4;
use crate::scenario::{self, ScenarioError};

/// A named bundle of overrides.
#[derive(Debug, Clone, PartialEq)]
pub struct Variant {
    /// Name (a row of the table).
    pub name: String,
    /// `path=value` overrides.
    pub overrides: Vec<String>,
}

/// One row of the comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Variant name.
    pub variant: String,
    /// Total cost of the run, USD.
    pub total_usd: f64,
    /// Scaled to a 730-hour month, USD.
    pub per_month_usd: f64,
    /// EC2 instances' cost, USD.
    pub ec2_usd: f64,
    /// Fargate cost, USD.
    pub fargate_usd: f64,
    /// Instance cost no task reserved, USD.
    pub idle_usd: f64,
    /// Share of paid capacity reserved by tasks, percent (Fargate: 100).
    pub paid_reserved_pct: f64,
    /// Mean CPU reservation of the EC2 cluster, percent.
    pub cpu_reserved_pct: f64,
    /// Mean memory reservation of the EC2 cluster, percent.
    pub memory_reserved_pct: f64,
    /// Minutes with fewer RUNNING tasks than desired, summed over services.
    pub minutes_below_desired: f64,
    /// Tasks that could not be placed or launched.
    pub unplaced: u64,
    /// Spot interruptions (EC2 notices and Fargate Spot).
    pub interruptions: u64,
    /// Batch submissions (the same in every variant: common random numbers).
    pub submitted: u64,
    /// Cost per million requests served, where services have demand (W1).
    pub usd_per_million_requests: Option<f64>,
    /// Minutes with demand above capacity, summed over services.
    pub overloaded_minutes: u64,
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
    /// The `[variants]` table is malformed or names are unknown.
    #[error("{0}")]
    Variants(String),
}

/// Reads the `[variants]` table of a scenario file.
pub fn file_variants(path: &Path) -> Result<Vec<Variant>, CompareError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| CompareError::Variants(format!("cannot read {}: {e}", path.display())))?;
    let root: toml::Table = text
        .parse()
        .map_err(|e| CompareError::Variants(format!("{}: invalid TOML: {e}", path.display())))?;
    let Some(v) = root.get("variants") else {
        return Ok(Vec::new());
    };
    let Some(t) = v.as_table() else {
        return Err(CompareError::Variants(format!(
            "{}: variants: expected a table of name = [\"path=value\", ...]",
            path.display()
        )));
    };
    let mut out = Vec::new();
    for (name, list) in t {
        let Some(items) = list.as_array() else {
            return Err(CompareError::Variants(format!(
                "{}: variants.{name}: expected a list of \"path=value\" strings",
                path.display()
            )));
        };
        let mut overrides = Vec::new();
        for (i, item) in items.iter().enumerate() {
            match item.as_str() {
                Some(s) => overrides.push(s.to_string()),
                None => {
                    return Err(CompareError::Variants(format!(
                        "{}: variants.{name}[{i}]: expected a \"path=value\" string",
                        path.display()
                    )))
                }
            }
        }
        out.push(Variant {
            name: name.clone(),
            overrides,
        });
    }
    Ok(out)
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
    let fargate: f64 = c
        .by_capacity
        .iter()
        .filter(|(k, _)| k.starts_with("FARGATE"))
        .map(|(_, v)| *v)
        .fold(0.0, |a, b| a + b);
    let paid = c.ec2_instances_usd + fargate;
    let reserved = c.ec2_instances_usd * c.ec2_reserved_pct / 100.0 + fargate;
    Row {
        variant: name.to_string(),
        total_usd: c.total_usd,
        per_month_usd: c.per_month_usd,
        ec2_usd: c.ec2_instances_usd,
        fargate_usd: round4(fargate),
        idle_usd: c.idle_usd,
        paid_reserved_pct: if paid > 0.0 {
            round4(100.0 * reserved / paid)
        } else {
            0.0
        },
        cpu_reserved_pct: s.cpu_reservation_mean_pct,
        memory_reserved_pct: s.memory_reservation_mean_pct,
        minutes_below_desired: round4(
            s.services
                .iter()
                .map(|x| x.minutes_below_desired)
                .fold(0.0, |a, b| a + b),
        ),
        unplaced: s.unplaceable_by_reason.values().sum::<u64>() + c.fargate_spot_unavailable,
        interruptions: s.interruptions.notices + c.fargate_spot_interruptions,
        submitted: s.jobs.iter().map(|j| j.submitted).sum(),
        usd_per_million_requests: {
            let served: f64 = s
                .services
                .iter()
                .filter_map(|x| x.demand.as_ref())
                .map(|d| d.served)
                .fold(0.0, |a, b| a + b);
            (served > 0.0).then(|| round4(c.total_usd / served * 1e6))
        },
        overloaded_minutes: s
            .services
            .iter()
            .filter_map(|x| x.demand.as_ref())
            .map(|d| d.overloaded_minutes)
            .sum(),
    }
}

const HEADER: [&str; 15] = [
    "variant",
    "total_usd",
    "per_month_usd",
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
];

fn cells(r: &Row) -> [String; 15] {
    [
        r.variant.clone(),
        format!("{:.2}", r.total_usd),
        format!("{:.2}", r.per_month_usd),
        format!("{:.2}", r.ec2_usd),
        format!("{:.2}", r.fargate_usd),
        format!("{:.2}", r.idle_usd),
        format!("{:.1}", r.paid_reserved_pct),
        format!("{:.1}", r.cpu_reserved_pct),
        format!("{:.1}", r.memory_reserved_pct),
        format!("{:.1}", r.minutes_below_desired),
        r.unplaced.to_string(),
        r.interruptions.to_string(),
        r.submitted.to_string(),
        r.overloaded_minutes.to_string(),
        r.usd_per_million_requests
            .map(|x| format!("{x:.2}"))
            .unwrap_or_default(),
    ]
}

/// `comparison.csv`.
pub fn csv(rows: &[Row]) -> String {
    let mut s = HEADER.join(",");
    s.push('\n');
    for r in rows {
        let c = cells(r);
        let _ = writeln!(s, "{}", c.join(","));
    }
    s
}

/// The side-by-side table for a terminal (and the README).
pub fn table(rows: &[Row]) -> String {
    let all: Vec<[String; 15]> = rows.iter().map(cells).collect();
    let mut widths: Vec<usize> = HEADER.iter().map(|h| h.len()).collect();
    for c in &all {
        for (w, x) in widths.iter_mut().zip(c) {
            *w = (*w).max(x.len());
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
    line(&mut s, HEADER.to_vec());
    for c in &all {
        line(&mut s, c.iter().map(String::as_str).collect());
    }
    s
}

/// Where an EC2 variant would cost what a Fargate variant costs: the share
/// of paid EC2 capacity reserved by tasks at which the EC2 bill (which
/// scales as 1 / share for the same work) equals the Fargate bill. Above it
/// EC2 is cheaper; a value above 100% means EC2 cannot win.
#[derive(Debug, Clone, PartialEq)]
pub struct Breakeven {
    /// The EC2 variant.
    pub ec2: String,
    /// The Fargate variant.
    pub fargate: String,
    /// Reserved share of paid EC2 capacity at which they cost the same, percent.
    pub reserved_pct: f64,
}

/// Breakevens of every all-EC2 variant against every all-Fargate variant.
pub fn breakevens(rows: &[Row]) -> Vec<Breakeven> {
    let mut out = Vec::new();
    for e in rows
        .iter()
        .filter(|r| r.fargate_usd == 0.0 && r.ec2_usd > 0.0)
    {
        for f in rows
            .iter()
            .filter(|r| r.ec2_usd == 0.0 && r.fargate_usd > 0.0)
        {
            out.push(Breakeven {
                ec2: e.variant.clone(),
                fargate: f.variant.clone(),
                reserved_pct: round4(e.total_usd * e.paid_reserved_pct / f.total_usd),
            });
        }
    }
    out
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
        let _ = writeln!(s, "  {} vs {}: {verdict}", x.ec2, x.fargate);
    }
    s
}
