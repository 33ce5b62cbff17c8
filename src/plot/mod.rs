//! Plots of a results folder, drawn from its files (feature `plot`).
//!
//! `ecsim plot DIR` works on any folder `ecsim run`, `ecsim sweep` (or
//! `ecsim merge`) or `ecsim compare` wrote, without running anything again:
//!
//! * a **run folder** (it has `timeseries.csv`) gives `tasks`, `instances`
//!   and `reservation` charts, plus `demand` and `cost` when the folder has
//!   the data for them, time in the scenario's UTC clock, shortfalls shaded
//!   and zoomed ([`run`]);
//! * a **sweep folder** (it has `aggregate.csv` and `sweep.json`) gives one
//!   chart per chosen metric: its mean against one parameter, one line per
//!   value of another, with the 95% confidence band (points with error
//!   bars against categories), named in words with units ([`mod@sweep`]);
//! * a **compare folder** (it has `comparison.csv`) gives `cost`, stacked
//!   bars of each variant's cost per month (EC2 compute, idle EC2, Fargate),
//!   and `utilization`, the share of paid capacity tasks reserved
//!   ([`mod@compare`]).
//!
//! Each chart is written as `NAME.png`, `NAME.svg` or both, 1200×700
//! pixels, atomically (temporary file, then rename).
//!
//! This module reads result *files*: columns are found by header name and
//! extra columns are ignored, so it depends on the file formats only, not
//! on the engine, the metrics recorder or the sweep code (all it borrows
//! from the crate is [`crate::output::write_atomic`] and the UTC calendar of
//! [`crate::sim::calendar`], to tell a run's time by the scenario's clock). Drawing is
//! plotters with its SVG and bitmap backends and a bundled font
//! ([`chart`]); no system font library is involved. The core crate builds
//! without this module (`cargo build --no-default-features`).

pub mod chart;
pub mod compare;
pub mod run;
pub mod sweep;
pub mod table;
pub mod values;

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::output::{write_atomic, OutputError};

pub use chart::{HEIGHT, WIDTH};

/// Why a folder could not be plotted.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// A file or folder could not be read or created.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A CSV file is malformed (line 1 is the header).
    #[error("{path}, line {line}: {message}")]
    Csv {
        /// The file.
        path: PathBuf,
        /// 1-based line in the file.
        line: u64,
        /// What is wrong.
        message: String,
    },
    /// A column the plot needs is not in the file.
    #[error("{path}: no column `{column}` (columns: {available})")]
    MissingColumn {
        /// The file.
        path: PathBuf,
        /// The column looked for.
        column: String,
        /// The columns the file has, comma-separated.
        available: String,
    },
    /// `sweep.json` is not the manifest `ecsim sweep` writes.
    #[error("{path}: {message}")]
    Manifest {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The folder holds neither kind of results.
    #[error("{path}: {message}")]
    NotResults {
        /// The folder.
        path: PathBuf,
        /// What was looked for, and what to do.
        message: String,
    },
    /// A metric or parameter name given on the command line is not in the
    /// sweep's tables.
    #[error("{file}: no {what} `{given}`{hint}; {what}s: {available}")]
    UnknownName {
        /// `metric` or `parameter`.
        what: &'static str,
        /// The name as given.
        given: String,
        /// ` (did you mean `x`?)` or empty.
        hint: String,
        /// The names there are, comma-separated.
        available: String,
        /// The table they were looked up in.
        file: PathBuf,
    },
    /// Options that do not fit together or do not fit the folder.
    #[error("{0}")]
    Invalid(String),
    /// plotters or the PNG encoder failed.
    #[error("drawing: {0}")]
    Draw(String),
    /// Writing an image failed.
    #[error(transparent)]
    Output(#[from] OutputError),
}

/// Which image files to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// `NAME.png` only.
    Png,
    /// `NAME.svg` only.
    Svg,
    /// Both.
    #[default]
    Both,
}

impl FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> Result<Format, String> {
        match s {
            "png" => Ok(Format::Png),
            "svg" => Ok(Format::Svg),
            "both" => Ok(Format::Both),
            other => Err(format!("`{other}`: expected png, svg or both")),
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Png => "png",
            Format::Svg => "svg",
            Format::Both => "both",
        })
    }
}

/// What to draw from a sweep folder (for a run or compare folder, any of
/// them set is an error).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SweepOptions {
    /// Metrics to plot, one chart each (default: `cpu_reservation_mean_pct`
    /// if the sweep has it, else its first metric).
    pub metrics: Vec<String>,
    /// Parameter on the x axis (default: the first with numeric values).
    pub x: Option<String>,
    /// Parameter whose values make the lines (default: the next parameter).
    pub series: Option<String>,
}

impl SweepOptions {
    fn is_empty(&self) -> bool {
        self.metrics.is_empty() && self.x.is_none() && self.series.is_none()
    }
}

/// The kind of results folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Written by `ecsim run`.
    Run,
    /// Written by `ecsim sweep` or `ecsim merge`.
    Sweep,
    /// Written by `ecsim compare`.
    Compare,
}

/// What a plot command did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// The kind of folder plotted.
    pub kind: Kind,
    /// Files written, in order.
    pub written: Vec<PathBuf>,
    /// Charts not drawn and why (e.g. a `cost.csv` of an unknown shape).
    pub notes: Vec<String>,
}

/// Tells what `dir` holds.
pub fn kind_of(dir: &Path) -> Result<Kind, PlotError> {
    if !dir.is_dir() {
        return Err(PlotError::NotResults {
            path: dir.to_path_buf(),
            message: "not a folder".into(),
        });
    }
    if dir.join("timeseries.csv").is_file() {
        return Ok(Kind::Run);
    }
    let aggregate = dir.join("aggregate.csv").is_file();
    let manifest = dir.join("sweep.json").is_file();
    if aggregate && manifest {
        return Ok(Kind::Sweep);
    }
    if dir.join("comparison.csv").is_file() {
        return Ok(Kind::Compare);
    }
    let message = if manifest {
        "a sweep folder without aggregate.csv (a shard, or an unfinished sweep): \
         merge the shards with `ecsim merge` or finish the sweep with `--resume`, then plot"
    } else if aggregate {
        "aggregate.csv without sweep.json: the sweep's manifest (its parameter columns) is missing"
    } else {
        "no results to plot: expected timeseries.csv (a run folder), aggregate.csv \
         and sweep.json (a sweep folder) or comparison.csv (a compare folder)"
    };
    Err(PlotError::NotResults {
        path: dir.to_path_buf(),
        message: message.into(),
    })
}

/// Plots the results in `dir` into `out` (created if missing).
pub fn plot_dir(
    dir: &Path,
    out: &Path,
    format: Format,
    opts: &SweepOptions,
) -> Result<Report, PlotError> {
    let kind = kind_of(dir)?;
    if kind != Kind::Sweep && !opts.is_empty() {
        let what = if kind == Kind::Run { "run" } else { "compare" };
        return Err(PlotError::Invalid(format!(
            "{}: a {what} folder; --metric, --x and --series apply to sweep folders",
            dir.display()
        )));
    }
    match kind {
        Kind::Run => run::plot(dir, out, format),
        Kind::Sweep => sweep::plot(dir, out, format, opts),
        Kind::Compare => compare::plot(dir, out, format),
    }
}

/// Writes `chart` as `out/STEM.png` and/or `out/STEM.svg`.
fn save(
    out: &Path,
    stem: &str,
    chart: &chart::Chart,
    format: Format,
    written: &mut Vec<PathBuf>,
) -> Result<(), PlotError> {
    let files = render(stem, chart, format)?;
    write_files(out, &files, written)
}

/// `chart` rendered as the files `STEM.png` and/or `STEM.svg`: (file name,
/// contents), PNG first.
fn render(
    stem: &str,
    chart: &chart::Chart,
    format: Format,
) -> Result<Vec<(String, Vec<u8>)>, PlotError> {
    let mut files = Vec::new();
    // Both formats are drawn at the same size: the second reuses the
    // first's line paths.
    let mut shared = chart::Shared::default();
    if matches!(format, Format::Png | Format::Both) {
        files.push((
            format!("{stem}.png"),
            chart::png_shared(chart, &mut shared)?,
        ));
    }
    if matches!(format, Format::Svg | Format::Both) {
        let svg = chart::svg_shared(chart, &mut shared)?;
        files.push((format!("{stem}.svg"), svg.into_bytes()));
    }
    Ok(files)
}

/// Writes rendered `files` into `out` (created if missing), each
/// atomically, in order.
fn write_files(
    out: &Path,
    files: &[(String, Vec<u8>)],
    written: &mut Vec<PathBuf>,
) -> Result<(), PlotError> {
    std::fs::create_dir_all(out).map_err(|source| PlotError::Io {
        path: out.to_path_buf(),
        source,
    })?;
    for (name, bytes) in files {
        let path = out.join(name);
        write_atomic(&path, bytes)?;
        written.push(path);
    }
    Ok(())
}

/// `name` made safe as a file name: letters, digits, `.`, `-`, `_` kept,
/// anything else becomes `_`.
pub fn file_stem(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_parse_and_print() {
        for f in [Format::Png, Format::Svg, Format::Both] {
            assert_eq!(f.to_string().parse::<Format>(), Ok(f));
        }
        assert!("jpeg"
            .parse::<Format>()
            .unwrap_err()
            .contains("png, svg or both"));
    }

    #[test]
    fn file_stems_are_portable() {
        assert_eq!(
            file_stem("jobs.reports.failed.RESOURCE:CPU_by_a b"),
            "jobs.reports.failed.RESOURCE_CPU_by_a_b"
        );
    }

    #[test]
    fn folder_kinds() {
        let d = tempfile::tempdir().unwrap();
        let e = kind_of(d.path()).unwrap_err().to_string();
        assert!(e.contains("no results to plot"), "{e}");
        std::fs::write(d.path().join("sweep.json"), "{}").unwrap();
        let e = kind_of(d.path()).unwrap_err().to_string();
        assert!(e.contains("ecsim merge"), "{e}");
        std::fs::write(d.path().join("aggregate.csv"), "a\n").unwrap();
        assert_eq!(kind_of(d.path()).unwrap(), Kind::Sweep);
        std::fs::write(d.path().join("timeseries.csv"), "time_s\n").unwrap();
        assert_eq!(kind_of(d.path()).unwrap(), Kind::Run);
        let e = kind_of(&d.path().join("nope")).unwrap_err().to_string();
        assert!(e.ends_with("not a folder"), "{e}");
        let c = tempfile::tempdir().unwrap();
        std::fs::write(c.path().join("comparison.csv"), "variant\n").unwrap();
        assert_eq!(kind_of(c.path()).unwrap(), Kind::Compare);
    }
}
