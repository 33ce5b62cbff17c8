//! The self-contained HTML report (`ecsim report`): one `report.html` per
//! result folder (or two or more folders side by side) that a class can
//! watch offline — the cluster filling up, each placement decision
//! narrated, a timeline with the scaling and interruption markers.
//!
//! Reads result folders (`summary.json`, `tasks.csv`, `instances.csv`,
//! `timeseries.csv`, `events.csv`) like `plot` does. What the folder does
//! not hold — the narration of each placement decision, the registered
//! CPU and memory of each instance, each task's reservation and the
//! scenario's start time — comes from running the scenario named in
//! `summary.json` again with the folder's seed: the run is deterministic,
//! and the re-run is checked against the folder's `tasks.csv` and
//! `instances.csv` byte for byte, so the page can never narrate a
//! different run than the one the folder holds. Nothing below `engine/`
//! is touched: the narration is the engine's explain window, exactly what
//! `ecsim explain` prints.
//!
//! The page is one file: the data as JSON in a `<script>` element, the
//! script and style sheet inlined (plain SVG, no library), no network.
//! The same folders give the same bytes: nothing in it depends on the
//! clock, the path the folders were named by or hash-map order.

mod data;

use std::path::{Path, PathBuf};

use serde_json::Value;

pub use data::RunData;

const TEMPLATE: &str = include_str!("page.html");
const STYLE: &str = include_str!("page.css");
const SCRIPT: &str = include_str!("page.js");

/// Why a report could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A result folder is missing a file or holds something unexpected.
    #[error("{}: {message}", path.display())]
    Folder {
        /// The file or folder.
        path: PathBuf,
        /// What is wrong and what was expected.
        message: String,
    },
    /// The scenario to re-run could not be found or loaded.
    #[error("{0}")]
    Scenario(String),
    /// Writing the page failed.
    #[error(transparent)]
    Output(#[from] crate::output::OutputError),
}

/// What `ecsim report` was asked for.
#[derive(Debug, Clone)]
pub struct Options {
    /// The scenario file the folders were run from (default: the file
    /// under `search` whose `name` is the summary's `scenario`).
    pub scenario: Option<PathBuf>,
    /// Overrides the folders were run with (`--set`).
    pub set: Vec<String>,
    /// Where to write the page (default: `DIR/report.html` for one folder,
    /// `report-A-vs-B.html` beside `A` for several).
    pub out: Option<PathBuf>,
    /// Narrate at most this many placement decisions per run.
    pub max_decisions: u64,
    /// Folder searched for the scenario file when `scenario` is not given.
    pub search: PathBuf,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            scenario: None,
            set: Vec::new(),
            out: None,
            max_decisions: 2000,
            search: PathBuf::from("scenarios"),
        }
    }
}

/// What was written.
#[derive(Debug, Clone)]
pub struct Written {
    /// The page.
    pub path: PathBuf,
    /// Size in bytes.
    pub bytes: usize,
    /// The runs shown, in column order, with their decision counts.
    pub runs: Vec<(String, usize)>,
}

/// One run to show: its folder and the overrides it was run with.
#[derive(Debug, Clone)]
struct Source {
    dir: PathBuf,
    /// Column title.
    label: String,
    /// Variant overrides of a `compare` folder.
    overrides: Vec<String>,
}

/// Writes the report of `dirs` (run folders, or a `compare` folder) and
/// returns where.
pub fn write_report(dirs: &[PathBuf], opts: &Options) -> Result<Written, ReportError> {
    let (html, runs) = render(dirs, opts)?;
    let path = match &opts.out {
        Some(p) => p.clone(),
        None => default_out(dirs),
    };
    crate::output::write_atomic(&path, html.as_bytes())?;
    Ok(Written {
        path,
        bytes: html.len(),
        runs,
    })
}

/// The page for `dirs`, and the runs it shows with their decision counts.
pub fn render(
    dirs: &[PathBuf],
    opts: &Options,
) -> Result<(String, Vec<(String, usize)>), ReportError> {
    if dirs.is_empty() {
        return Err(ReportError::Scenario("no result folder given".into()));
    }
    let mut sources = Vec::new();
    for d in dirs {
        sources.extend(expand(d, opts)?);
    }
    let mut runs = Vec::new();
    for s in &sources {
        runs.push(data::RunData::load(&s.dir, &s.label, &s.overrides, opts)?);
    }
    let shown = runs
        .iter()
        .map(|r| (r.label.clone(), r.decisions))
        .collect();
    let title = runs
        .iter()
        .map(|r| r.label.as_str())
        .collect::<Vec<_>>()
        .join(" vs ");
    let doc = Value::Object(
        [
            ("title".to_string(), Value::String(title.clone())),
            (
                "runs".to_string(),
                Value::Array(runs.into_iter().map(|r| r.json).collect()),
            ),
        ]
        .into_iter()
        .collect(),
    );
    Ok((page(&title, &doc), shown))
}

/// Fills the template: title, style, data and script inlined.
fn page(title: &str, doc: &Value) -> String {
    // `</` never appears inside the script elements: JSON allows `<\/`.
    let json = doc.to_string().replace("</", "<\\/");
    TEMPLATE
        .replace("{{TITLE}}", &escape_html(&format!("ecsim report: {title}")))
        .replace("{{STYLE}}", STYLE)
        .replace("{{SCRIPT}}", SCRIPT)
        .replace("{{DATA}}", &json)
}

fn escape_html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `DIR/report.html`, or `A-vs-B.html` beside the first folder.
fn default_out(dirs: &[PathBuf]) -> PathBuf {
    match dirs {
        [one] => one.join("report.html"),
        _ => {
            let names: Vec<String> = dirs.iter().map(|d| folder_name(d)).collect();
            let parent = dirs[0].parent().map(Path::to_path_buf).unwrap_or_default();
            parent.join(format!("report-{}.html", names.join("-vs-")))
        }
    }
}

fn folder_name(d: &Path) -> String {
    d.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| d.display().to_string())
}

/// A run folder is itself; a `compare` folder is its variants, in the
/// order of `comparison.csv`.
fn expand(dir: &Path, opts: &Options) -> Result<Vec<Source>, ReportError> {
    if dir.join("summary.json").is_file() {
        return Ok(vec![Source {
            dir: dir.to_path_buf(),
            label: folder_name(dir),
            overrides: Vec::new(),
        }]);
    }
    let table = dir.join("comparison.csv");
    if !table.is_file() {
        return Err(ReportError::Folder {
            path: dir.to_path_buf(),
            message: "expected a folder written by `ecsim run` (with summary.json) or \
                      `ecsim compare` (with comparison.csv)"
                .into(),
        });
    }
    let text = std::fs::read_to_string(&table).map_err(|e| ReportError::Folder {
        path: table.clone(),
        message: format!("cannot read: {e}"),
    })?;
    let csv = crate::csvdata::CsvTable::parse(&text).map_err(|p| ReportError::Folder {
        path: table.clone(),
        message: format!("line {}: {}", p.line, p.message),
    })?;
    let col = csv.column("variant").map_err(|p| ReportError::Folder {
        path: table.clone(),
        message: p.message,
    })?;
    let names: Vec<String> = csv
        .rows()
        .filter_map(|(_, r)| r.get(col).map(str::to_string))
        .collect();
    // The variants' overrides come from the scenario file's [variants].
    let first = names.first().ok_or_else(|| ReportError::Folder {
        path: table.clone(),
        message: "no variant rows".into(),
    })?;
    let scenario_name = data::summary_name(&dir.join(first))?.0;
    let file = data::find_scenario(&scenario_name, opts)?;
    let variants = crate::compare::file_variants(&file)
        .map_err(|e| ReportError::Scenario(format!("{}: {e}", file.display())))?;
    let mut out = Vec::new();
    for n in names {
        let overrides = variants
            .iter()
            .find(|v| v.name == n)
            .map(|v| v.overrides.clone())
            .ok_or_else(|| {
                ReportError::Scenario(format!(
                    "{}: variant `{n}` of {} is not in its [variants] table (a --variant \
                     given on the command line cannot be re-run: report its folder with \
                     --set instead)",
                    file.display(),
                    table.display()
                ))
            })?;
        out.push(Source {
            dir: dir.join(&n),
            label: n,
            overrides,
        });
    }
    Ok(out)
}
