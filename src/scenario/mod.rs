//! Scenario files: TOML -> validated [`SimSpec`], with clear errors.
//!
//! A scenario is read in four steps: the file is parsed into a TOML tree;
//! `--set` overrides edit the tree ([`overrides`]); a path-tracking reader
//! walks the tree, converting units once and collecting every problem with
//! its file and field path; cross-checks reject sizes no instance can hold
//! and constraints no instance can satisfy. ECS parts use ECS's own field
//! names (`containerDefinitions`, `desiredCount`, `placementStrategy`, ...)
//! so task definitions and `create-service` input can be pasted; the file
//! format is documented in `scenarios/README.md`.
//!
//! Raw and validated are two types on purpose. The raw form is the TOML
//! tree ([`toml::Table`]): anything the file says, unchecked, which is what
//! `--set` overrides, sweep grids and `compare` variants edit (each names a
//! path in that tree, so an override is checked exactly like a value typed
//! in the file). The validated form is [`SimSpec`]: units converted, names
//! resolved to ids, defaults filled, every cross-section rule checked, so
//! the engine never re-checks input and never sees a string it must parse.
//! Between them sits one reader, `reader::Reader`, used by every file the
//! user writes (scenario, sweep file, compare variants): it walks the tree,
//! records every problem with its file and field path instead of stopping
//! at the first, and yields the validated value only when there was none.
//!
//! Where a field is read: the section's own file (`cluster.rs` for
//! `[cluster]`, `groups.rs` for `[[instanceGroups]]`, `services.rs` for
//! `[[services]]`, ...), whose key list is beside its reader; shared value
//! shapes (durations, distributions, constraints, strategies) are in
//! `values.rs` and `units.rs`; checks across sections in `cross_check.rs`.
//! Where it acts: the `engine/` file named in that file's module doc.
//!
//! This module reads files; the engine never imports it.

mod aws;
mod build;
mod capacity_providers;
mod capacity_strategy;
mod cluster;
mod commitments;
mod cross_check;
mod csvfile;
mod demand;
pub mod error;
mod failures;
mod fargate;
mod groups;
mod jobs;
pub mod limits;
pub mod overrides;
mod pricing;
pub(crate) mod reader;
mod scaling;
mod services;
mod slo;
mod spot;
mod task_failures;
pub(crate) mod taskdef;
mod trace;
pub mod units;
mod values;

use std::path::{Path, PathBuf};

use toml::Table;

pub use error::{Issue, ScenarioError};

use crate::engine::SimSpec;
use reader::Reader;

/// A loaded, validated scenario.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// The file it came from.
    pub path: PathBuf,
    /// What the engine runs.
    pub spec: SimSpec,
    /// Seed from the file (or `--seed`).
    pub seed: u64,
    /// Fields accepted and not modelled (AWS fields of pasted or `file =`
    /// JSON), by path, each once; `validate` lists them.
    pub ignored: Vec<String>,
}

/// Loads `path`, applies `overrides` (`path=value` strings) and validates.
pub fn load(path: &Path, overrides: &[String]) -> Result<Scenario, ScenarioError> {
    let text = limits::read_text_or_why(path, limits::MAX_TEXT_FILE_BYTES).map_err(|why| {
        ScenarioError::Invalid(vec![Issue {
            file: path.to_path_buf(),
            path: String::new(),
            message: format!("cannot read: {why}"),
        }])
    })?;
    load_str(&text, path, overrides)
}

/// Like [`load`], from text; `path` names the file in errors and anchors
/// relative paths (task definition files, traces).
pub fn load_str(text: &str, path: &Path, overrides: &[String]) -> Result<Scenario, ScenarioError> {
    let mut root: Table = text.parse().map_err(|e: toml::de::Error| {
        ScenarioError::Invalid(vec![Issue {
            file: path.to_path_buf(),
            path: String::new(),
            message: format!("invalid TOML: {}", e.to_string().trim_end()),
        }])
    })?;
    let dir = path.parent().unwrap_or(Path::new("."));
    // AWS-shaped groups and capacity providers first, so overrides and
    // every reader see ecsim's keys.
    let mut r = Reader::new(path);
    aws::translate_root(&mut r, &mut root, dir);
    for assignment in overrides {
        let (p, v) = overrides::parse_assignment(assignment)?;
        overrides::apply(&mut root, &p, overrides::parse_value(&v)).map_err(|message| {
            ScenarioError::Override {
                assignment: assignment.clone(),
                message,
            }
        })?;
    }
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("scenario");
    let built = build::build(&mut r, &toml::Value::Table(root), dir, stem);
    match built {
        Some((spec, seed)) if r.issues.is_empty() => Ok(Scenario {
            path: path.to_path_buf(),
            spec,
            seed,
            ignored: r.ignored,
        }),
        _ => Err(ScenarioError::Invalid(r.issues)),
    }
}
