//! The `ecsim` command line: parse arguments, call the library, print, exit.
//!
//! Each subcommand calls one library function (`run::run_to_folder`,
//! `run::explain`, `compare::run_compare`, `sweep::run`, `sweep::merge_to`,
//! `plot::plot_dir`, `report::write_report`, `scenario::load`) and returns
//! a [`Failure`]; [`fail`] alone turns a failure into an exit status (2 for
//! bad input, 1 for anything else).
//!
//! Process-level behaviour: output goes through [`say!`], so a closed
//! standard output (`ecsim ... | head`) ends the program quietly with
//! status 0 instead of a panic; SIGINT and SIGTERM during a sweep say how
//! many runs were kept and that `--resume` continues, and exit 130 / 143;
//! `--out` is checked (a folder, not a file) and locked before any
//! simulation runs.

use std::fmt;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use anyhow::Context;
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use ecsim::compare;
use ecsim::engine::RunResult;
use ecsim::optimize;
use ecsim::output::{self, Timing};
#[cfg(feature = "plot")]
use ecsim::plot;
use ecsim::scenario;
use ecsim::sweep::{self, Progress, Shard, Sweep, SweepError};

/// Writes to standard output. When the reader has gone away (a broken
/// pipe, as in `ecsim ... | head`) the program ends quietly with status 0,
/// as `ls | head` does: what was asked has been done; any other write error
/// ends it with status 1.
fn write_stdout(args: fmt::Arguments, newline: bool) {
    let mut out = std::io::stdout().lock();
    let written = out
        .write_fmt(args)
        .and_then(|()| {
            if newline {
                out.write_all(b"\n")
            } else {
                Ok(())
            }
        })
        .and_then(|()| out.flush());
    if let Err(e) = written {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("error: writing to standard output: {e}");
        std::process::exit(1);
    }
}

/// `println!` that ends the program quietly on a closed stdout.
macro_rules! say {
    ($($arg:tt)*) => { write_stdout(format_args!($($arg)*), true) };
}

/// `print!` that ends the program quietly on a closed stdout.
macro_rules! say_raw {
    ($($arg:tt)*) => { write_stdout(format_args!($($arg)*), false) };
}

/// Most worker threads a sweep starts, whatever `--jobs` says.
const MAX_JOBS: usize = 1024;

#[derive(Parser)]
#[command(
    name = "ecsim",
    version,
    about = "Discrete-event simulator of Amazon ECS clusters"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args)]
struct ScenarioArgs {
    /// Scenario file (TOML).
    scenario: PathBuf,
    /// Seed (overrides the scenario's `seed`).
    #[arg(long)]
    seed: Option<u64>,
    /// Override a scenario value, e.g. --set services.web.desiredCount=8 (repeatable).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    set: Vec<String>,
}

/// `--plot[=FORMAT]` on the commands that write results.
#[derive(clap::Args)]
struct PlotFlag {
    /// Also draw the plots into the output folder, as `ecsim plot` does
    /// (FORMAT: png, svg or both; default both).
    #[cfg(feature = "plot")]
    #[arg(
        long,
        value_name = "FORMAT",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "both",
        value_parser = parse_format
    )]
    plot: Option<plot::Format>,
}

impl PlotFlag {
    /// Whether `--plot` was given.
    fn wanted(&self) -> bool {
        #[cfg(feature = "plot")]
        return self.plot.is_some();
        #[cfg(not(feature = "plot"))]
        false
    }
}

#[cfg(feature = "plot")]
fn parse_format(s: &str) -> Result<plot::Format, String> {
    s.parse()
}

fn parse_outputs(s: &str) -> Result<output::Outputs, String> {
    s.parse()
}

#[derive(Subcommand)]
enum Command {
    /// Run a scenario and write summary.json, timeseries.csv, tasks.csv,
    /// cost.csv, instances.csv, events.csv (the same bytes for the same
    /// scenario and seed) and timing.json (wall-clock figures).
    Run {
        #[command(flatten)]
        args: ScenarioArgs,
        /// Output folder (default: results/<scenario name>/). Replaced whole
        /// when the run is done; files ecsim does not write are kept.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Which files to write: `all`; `charts` (summary.json, timing.json,
        /// and timeseries.csv and cost.csv, what `ecsim plot` draws from);
        /// `summary` (summary.json and timing.json only: no per-task,
        /// per-instance or per-event files).
        #[arg(long, value_name = "SET", default_value = "all", value_parser = parse_outputs)]
        outputs: output::Outputs,
        #[command(flatten)]
        plot: PlotFlag,
        /// Also write report.html, as `ecsim report` does.
        #[arg(long)]
        report: bool,
        /// Exit with status 3 when the run misses one of the scenario's
        /// `[slo]` objectives (the results are written all the same).
        #[arg(long)]
        fail_on_slo: bool,
    },
    /// Write a scenario from a folder of AWS CLI JSON outputs (describe-clusters,
    /// describe-services, describe-task-definition, ...; see the README's
    /// "Import your cluster"). Unmapped fields are listed in its comments.
    Import {
        /// Folder of AWS CLI outputs (*.json, recognised by content).
        dir: PathBuf,
        /// Scenario file to write; task definitions (taskdefs/) and the spot
        /// price history go beside it.
        #[arg(long)]
        out: PathBuf,
        /// Simulated horizon written as `duration`.
        #[arg(long, default_value = "1d")]
        duration: String,
        /// Wall-clock of time zero written as `startTime` (RFC 3339).
        #[arg(long)]
        start: Option<String>,
    },
    /// Check scenario files and report every problem found.
    Validate {
        /// Scenario files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Overrides applied before validating.
        #[arg(long = "set", value_name = "PATH=VALUE")]
        set: Vec<String>,
    },
    /// Narrate placement decisions: candidates, filters, ranking, winner.
    Explain {
        #[command(flatten)]
        args: ScenarioArgs,
        /// Narrate only decision N (1-based, in order of the run).
        #[arg(long, conflicts_with = "first")]
        task: Option<u64>,
        /// Narrate the first K decisions (default 3).
        #[arg(long)]
        first: Option<u64>,
    },
    /// Run a parameter sweep (a grid of overrides times seeds) in parallel and
    /// write runs.csv (one row per run) and aggregate.csv (one per combination).
    Sweep {
        /// Sweep file (TOML).
        file: PathBuf,
        /// Worker threads (default: one per available core; at most one per
        /// run to do, and at most 1024).
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
        jobs: Option<u64>,
        /// Output folder (default: results/sweeps/<name>/, or
        /// results/sweeps/<name>/shard-K-of-N/ with --shard).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Run only shard K of N (1-based): the runs whose index modulo N is K-1.
        #[arg(long, value_name = "K/N")]
        shard: Option<String>,
        /// Skip the runs already finished in the output folder.
        #[arg(long)]
        resume: bool,
        /// Check the sweep file and every combination's scenario; run nothing.
        #[arg(long)]
        validate_only: bool,
        #[command(flatten)]
        plot: PlotFlag,
    },
    /// Search decision variables for the configuration that minimizes an
    /// objective (e.g. cost per month) while meeting service-level
    /// objectives on a required share of seeds, by successive halving over
    /// seeds; writes candidates.csv, rounds.csv, summary.json, best.toml
    /// and the Pareto chart.
    Optimize {
        /// Optimize file (TOML).
        file: PathBuf,
        /// Worker threads (default: one per available core; at most 1024).
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
        jobs: Option<u64>,
        /// Output folder (default: results/optimize/<name>/).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Reuse the runs already finished in the output folder.
        #[arg(long)]
        resume: bool,
        /// Run only shard K of N (1-based) of each round's new runs, into
        /// the folder the other shards write too (a shared volume); each
        /// shard waits for the others at the end of a round.
        #[arg(long, value_name = "K/N")]
        shard: Option<String>,
        /// Check the file and every candidate's scenario; run nothing.
        #[arg(long)]
        validate_only: bool,
    },
    /// Run one workload under several launch configurations with the same
    /// seed and compare cost, utilization and service health side by side.
    Compare {
        #[command(flatten)]
        args: ScenarioArgs,
        /// Variants to run, in order (default: every one in the scenario's
        /// [variants] table), e.g. --variants ec2,fargate.
        #[arg(long, value_delimiter = ',')]
        variants: Vec<String>,
        /// Define or extend a variant: NAME:PATH=VALUE (repeatable), e.g.
        /// --variant fargate:services.web.launchType=FARGATE.
        #[arg(long = "variant", value_name = "NAME:PATH=VALUE")]
        variant: Vec<String>,
        /// Output folder (default: results/<scenario name>/compare/).
        #[arg(long)]
        out: Option<PathBuf>,
        #[command(flatten)]
        plot: PlotFlag,
    },
    /// Merge the output folders of a sweep's shards into the files a
    /// single-machine sweep writes.
    Merge {
        /// Shard output folders.
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// Output folder (default: results/sweeps/<name>/).
        #[arg(long)]
        out: Option<PathBuf>,
        #[command(flatten)]
        plot: PlotFlag,
    },
    /// Draw charts from a results folder: a run's (tasks, instances,
    /// reservation), a sweep's (a metric against a parameter, one line per
    /// value of another, with 95% confidence bands) or a comparison's (cost
    /// per month and reserved share of paid capacity by variant).
    #[cfg(feature = "plot")]
    Plot {
        /// Folder written by `ecsim run`, `ecsim sweep`, `ecsim merge` or
        /// `ecsim compare`.
        dir: PathBuf,
        /// Image format: png, svg or both.
        #[arg(long, default_value = "both", value_parser = parse_format)]
        format: plot::Format,
        /// Where to write the images (default: DIR itself).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Sweep folders: metric to plot, as in aggregate.csv without the
        /// `.mean` (repeatable; default cpu_reservation_mean_pct).
        #[arg(long = "metric", value_name = "NAME")]
        metrics: Vec<String>,
        /// Sweep folders: parameter on the x axis (default: the first with
        /// numeric values).
        #[arg(long, value_name = "PARAM")]
        x: Option<String>,
        /// Sweep folders: parameter whose values make the lines (default:
        /// the one after --x).
        #[arg(long, value_name = "PARAM")]
        series: Option<String>,
    },
    /// Write report.html: an offline, interactive view of one or more
    /// result folders (run or compare) side by side.
    Report(ReportArgs),
}

/// Tells the C allocator to keep the memory this process frees for its
/// next allocations rather than hand it back to the system, for the
/// commands that run thousands of simulations one after another on each
/// thread: each run's memory, returned at its end (glibc trims a thread's
/// heap once 128 KiB at its top are free), was faulted in again by the next
/// run, page by page, and every return interrupted the other threads to
/// flush their address translations. The heap also grows 16 MiB at a time.
/// Blocks over 128 KiB are still mapped and unmapped on their own (fixing
/// the trim threshold stops glibc raising that one; raised by hand to 32
/// MiB, it kept 40 MiB more of a month-long run in memory). Called before
/// any thread starts; glibc only.
fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets the allocator's parameters; no other
    // thread exists yet to allocate meanwhile.
    unsafe {
        libc::mallopt(libc::M_TRIM_THRESHOLD, 256 << 20);
        libc::mallopt(libc::M_TOP_PAD, 16 << 20);
    }
}

impl ScenarioArgs {
    fn request(&self) -> ecsim::run::Request<'_> {
        ecsim::run::Request {
            scenario: &self.scenario,
            set: &self.set,
            seed: self.seed,
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match dispatch(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => fail(failure),
    }
}

/// Runs one subcommand: each parses nothing more and calls the library.
fn dispatch(command: Command) -> Result<(), Failure> {
    let out = match &command {
        Command::Run { out, .. }
        | Command::Sweep { out, .. }
        | Command::Optimize { out, .. }
        | Command::Compare { out, .. }
        | Command::Merge { out, .. } => out.as_deref(),
        _ => None,
    };
    if let Some(dir) = out {
        output::check_target(dir).map_err(|e| Failure::Input(vec![format!("--out {e}")]))?;
    }
    if matches!(command, Command::Sweep { .. } | Command::Optimize { .. }) {
        keep_freed_memory();
    }
    match command {
        Command::Run {
            args,
            out,
            outputs,
            plot,
            report,
            fail_on_slo,
        } => run(&args, out.as_deref(), outputs, &plot, report, fail_on_slo),
        Command::Import {
            dir,
            out,
            duration,
            start,
        } => import(&dir, &out, duration, start),
        Command::Validate { files, set } => validate(&files, &set),
        Command::Explain { args, task, first } => explain(&args, task, first),
        Command::Sweep {
            file,
            jobs,
            out,
            shard,
            resume,
            validate_only,
            plot,
        } => run_sweep(
            &file,
            jobs,
            out,
            shard.as_deref(),
            resume,
            validate_only,
            &plot,
        ),
        Command::Optimize {
            file,
            jobs,
            out,
            resume,
            shard,
            validate_only,
        } => run_optimize(&file, jobs, out, resume, shard.as_deref(), validate_only),
        Command::Merge { dirs, out, plot } => Ok(merge(&dirs, out, &plot)?),
        #[cfg(feature = "plot")]
        Command::Plot {
            dir,
            format,
            out,
            metrics,
            x,
            series,
        } => {
            let opts = plot::SweepOptions { metrics, x, series };
            Ok(plot_dir(&dir, out.as_deref(), format, &opts)?)
        }
        Command::Compare {
            args,
            variants,
            variant,
            out,
            plot,
        } => compare(&args, &variants, &variant, out.as_deref(), &plot),
        Command::Report(a) => Ok(report(&a)?),
    }
}

/// Why a command failed. [`fail`] prints it and decides the exit status.
enum Failure {
    /// Bad input (arguments, a scenario, a sweep file, variant names):
    /// nothing was run or written. Each line is printed as `error: LINE`.
    Input(Vec<String>),
    /// Bad input whose problems have already been printed (`validate`
    /// reports each file as it goes).
    Reported,
    /// Anything else (the file system, a folder another writer holds):
    /// printed with its causes.
    Other(anyhow::Error),
    /// `run --fail-on-slo`: the run (written) missed this many objectives.
    SloMissed(usize),
}

/// The one place a failure becomes an exit status: 2 for bad input, 3 for
/// `run --fail-on-slo` with a missed objective, 1 for anything else. (The other statuses are process-level: 0 when standard
/// output is closed ([`write_stdout`]), 1 when writing it fails otherwise,
/// 128 + the signal when a sweep is interrupted ([`on_interrupt`]).)
fn fail(failure: Failure) -> ExitCode {
    match failure {
        Failure::Input(lines) => {
            for line in lines {
                eprintln!("error: {line}");
            }
            ExitCode::from(2)
        }
        Failure::Reported => ExitCode::from(2),
        Failure::Other(e) => {
            eprintln!("error: {}", chain(&e));
            ExitCode::from(1)
        }
        Failure::SloMissed(n) => {
            eprintln!(
                "error: {n} service-level objective{} missed (--fail-on-slo)",
                if n == 1 { "" } else { "s" }
            );
            ExitCode::from(3)
        }
    }
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        Failure::Other(e)
    }
}

impl From<output::OutputError> for Failure {
    fn from(e: output::OutputError) -> Self {
        Failure::Other(e.into())
    }
}

impl From<scenario::ScenarioError> for Failure {
    fn from(e: scenario::ScenarioError) -> Self {
        Failure::Input(e.issues())
    }
}

impl From<SweepError> for Failure {
    fn from(e: SweepError) -> Self {
        if e.is_input() {
            Failure::Input(e.issues())
        } else {
            Failure::Other(e.into())
        }
    }
}

impl From<ecsim::run::RunError> for Failure {
    fn from(e: ecsim::run::RunError) -> Self {
        if e.is_input() {
            Failure::Input(e.issues())
        } else {
            Failure::Other(e.into())
        }
    }
}

impl From<compare::CompareError> for Failure {
    fn from(e: compare::CompareError) -> Self {
        if e.is_input() {
            Failure::Input(e.issues())
        } else {
            Failure::Other(e.into())
        }
    }
}

/// An error and its causes, `: `-separated, each cause left out when the
/// message before it already ends with it (an I/O error wrapped with its
/// path would otherwise print twice).
fn chain(e: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in e.chain() {
        let part = cause.to_string();
        if text.ends_with(&part) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&part);
    }
    text
}

fn run(
    args: &ScenarioArgs,
    out: Option<&Path>,
    outputs: output::Outputs,
    plot: &PlotFlag,
    with_report: bool,
    fail_on_slo: bool,
) -> Result<(), Failure> {
    // What --plot and --report read must be written.
    let mut refused = Vec::new();
    if with_report && outputs != output::Outputs::All {
        refused.push(format!(
            "--report reads tasks.csv, instances.csv and events.csv, which --outputs {} does not write; use --outputs all",
            outputs.as_str()
        ));
    }
    if plot.wanted() && outputs == output::Outputs::Summary {
        refused.push(
            "--plot draws from timeseries.csv, which --outputs summary does not write; use --outputs charts or all"
                .to_string(),
        );
    }
    if !refused.is_empty() {
        return Err(Failure::Input(refused));
    }
    let ran = ecsim::run::run_to_folder_with(&args.request(), out, outputs)?;
    print_summary(&ran.result, &ran.timing, &ran.dir);
    plot_after(&ran.dir, plot)?;
    let missed = ran.result.summary.slo_missed();
    if with_report {
        report_after(args, ran.dir)?;
    }
    if fail_on_slo && missed > 0 {
        return Err(Failure::SloMissed(missed));
    }
    Ok(())
}

/// Draws the plots of a results folder just written, if `--plot` was given.
#[cfg(feature = "plot")]
fn plot_after(dir: &Path, flag: &PlotFlag) -> anyhow::Result<()> {
    if let Some(format) = flag.plot {
        plot_dir(dir, None, format, &plot::SweepOptions::default())?;
    }
    Ok(())
}

#[cfg(not(feature = "plot"))]
fn plot_after(_dir: &Path, _flag: &PlotFlag) -> anyhow::Result<()> {
    Ok(())
}

/// `ecsim plot`: draws the charts of `dir` into `out` (default `dir`).
#[cfg(feature = "plot")]
fn plot_dir(
    dir: &Path,
    out: Option<&Path>,
    format: plot::Format,
    opts: &plot::SweepOptions,
) -> anyhow::Result<()> {
    let report = plot::plot_dir(dir, out.unwrap_or(dir), format, opts)?;
    for note in &report.notes {
        eprintln!("note: {note}");
    }
    let names: Vec<String> = report
        .written
        .iter()
        .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    say!(
        "plots: {} in {}",
        names.join(", "),
        out.unwrap_or(dir).display()
    );
    Ok(())
}

fn print_summary(r: &RunResult, timing: &Timing, dir: &Path) {
    let s = &r.summary;
    say!(
        "{}: seed {}, {:.1} h simulated, {} events in {:.3} s ({:.0} events/s)",
        s.scenario,
        s.seed,
        s.horizon_s / 3600.0,
        s.events_processed,
        timing.wall_time_s,
        timing.events_per_s
    );
    for line in s.report_lines() {
        say!("  {line}");
    }
    say!("  results in {}", dir.display());
}

fn import(dir: &Path, out: &Path, duration: String, start: Option<String>) -> Result<(), Failure> {
    let opts = ecsim::import::ImportOptions { duration, start };
    let imported =
        ecsim::import::import_dir(dir, &opts).map_err(|e| Failure::Input(vec![e.to_string()]))?;
    imported
        .write(out)
        .map_err(|e| Failure::Other(anyhow::anyhow!("writing {}: {e}", out.display())))?;
    let unmapped: usize = imported.sources.iter().map(|s| s.unmapped().len()).sum();
    say!(
        "{}: imported from {} files ({} unmapped fields listed in its comments); check it with `ecsim validate`",
        out.display(),
        imported.sources.len(),
        unmapped
    );
    Ok(())
}

fn validate(files: &[PathBuf], set: &[String]) -> Result<(), Failure> {
    let mut bad = false;
    for f in files {
        match scenario::load(f, set) {
            Ok(s) => {
                say!(
                    "{}: ok ({} instance groups, {} services, {} job streams, {})",
                    f.display(),
                    s.spec.instance_groups.len(),
                    s.spec.services.len(),
                    s.spec.jobs.len(),
                    s.spec.horizon
                );
                if !s.ignored.is_empty() {
                    say!(
                        "{}: ignored (not modelled): {}",
                        f.display(),
                        s.ignored.join(", ")
                    );
                }
            }
            Err(e) => {
                bad = true;
                for line in e.issues() {
                    eprintln!("error: {line}");
                }
            }
        }
    }
    if bad {
        Err(Failure::Reported)
    } else {
        Ok(())
    }
}

fn explain(args: &ScenarioArgs, task: Option<u64>, first: Option<u64>) -> Result<(), Failure> {
    let told = ecsim::run::explain(&args.request(), task, first)?;
    if told.decisions.is_empty() {
        let made = told.tasks_placed;
        if let Some(n) = task {
            return Err(Failure::Input(vec![format!(
                "--task {n}: out of range: the run made fewer than {n} placement decisions ({made} tasks were placed; decisions are numbered from 1, one per placement attempt)"
            )]));
        }
        say!("no placement decision in that range ({made} decisions were made)");
    }
    for d in &told.decisions {
        say!("decision {} at {} for {}:", d.number, d.time, d.source);
        say_raw!("{}", d.text);
    }
    Ok(())
}

fn run_sweep(
    file: &Path,
    jobs: Option<u64>,
    out: Option<PathBuf>,
    shard: Option<&str>,
    resume: bool,
    validate_only: bool,
    plot: &PlotFlag,
) -> Result<(), Failure> {
    let shard = shard.map(Shard::parse).transpose()?;
    let sw = Sweep::load(file)?;
    let combos = sw.combinations.len();
    let seeds = sw.def.seeds;
    if validate_only {
        say!(
            "{}: ok ({} combinations x {} seeds = {} runs, sweep {})",
            file.display(),
            combos,
            seeds,
            sw.total_runs(),
            sw.fingerprint
        );
        return Ok(());
    }
    let dir = match out {
        Some(d) => d,
        None => sweep::output_dir(&sw, file, shard)?,
    };
    let jobs = jobs.map_or(0, |j| usize::try_from(j).unwrap_or(usize::MAX));
    let jobs = if jobs > MAX_JOBS {
        eprintln!("note: --jobs {jobs} is more than the {MAX_JOBS} worker threads ecsim starts; using {MAX_JOBS}");
        MAX_JOBS
    } else {
        jobs
    };
    let opts = sweep::Options {
        jobs,
        shard,
        resume,
    };
    let bar = if std::io::stderr().is_terminal() {
        ProgressBar::new(0)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("{elapsed_precise} [{bar:40}] {pos}/{len} runs, ETA {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let started = Instant::now();
    on_interrupt(&dir, bar.clone());
    let report = sweep::run(&sw, &dir, &opts, &|p| match p {
        Progress::Start { to_run, skipped } => {
            KEPT.store(skipped, Ordering::SeqCst);
            SELECTED.store(to_run + skipped, Ordering::SeqCst);
            bar.set_length(to_run as u64);
        }
        Progress::Done(_) => {
            KEPT.fetch_add(1, Ordering::SeqCst);
            bar.inc(1);
        }
    });
    bar.finish_and_clear();
    let report = report.with_context(|| format!("sweep {}", file.display()))?;
    let wall = started.elapsed().as_secs_f64();
    let part = match shard {
        Some(s) => format!(
            "shard {s}: {} of {} runs",
            report.selected, report.total_runs
        ),
        None => format!("{} runs", report.total_runs),
    };
    say!(
        "{}: {} ({} combinations x {} seeds); ran {}, skipped {} already finished; {:.1} s",
        sw.def.name,
        part,
        combos,
        seeds,
        report.ran,
        report.skipped,
        wall
    );
    say!("  results in {}", report.dir.display());
    if shard.is_some() {
        if plot_requested(plot) {
            say!("  no plots for a shard: plot the folder `ecsim merge` writes");
        }
    } else {
        plot_after(&report.dir, plot)?;
    }
    Ok(())
}

fn run_optimize(
    file: &Path,
    jobs: Option<u64>,
    out: Option<PathBuf>,
    resume: bool,
    shard: Option<&str>,
    validate_only: bool,
) -> Result<(), Failure> {
    let started = Instant::now();
    let shard = shard.map(Shard::parse).transpose()?;
    let study = optimize::Study::load(file)?;
    let d = &study.def;
    let schedule =
        optimize::search::schedule(d.search.min_seeds, d.search.max_seeds, d.search.growth);
    if validate_only {
        say!(
            "{}: ok ({} candidates ({} sample), rounds of {:?} seeds, search {})",
            file.display(),
            study.candidates.len(),
            d.search.sample.as_str(),
            schedule,
            study.fingerprint
        );
        return Ok(());
    }
    let dir = match out {
        Some(d) => d,
        None => optimize::output_dir(&study, file)?,
    };
    let jobs = jobs.map_or(0, |j| usize::try_from(j).unwrap_or(usize::MAX));
    let jobs = if jobs > MAX_JOBS {
        eprintln!("note: --jobs {jobs} is more than the {MAX_JOBS} worker threads ecsim starts; using {MAX_JOBS}");
        MAX_JOBS
    } else {
        jobs
    };
    let bar = if std::io::stderr().is_terminal() {
        ProgressBar::new(0)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template(
            "{elapsed_precise} [{bar:40}] {pos}/{len} runs of round {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    on_interrupt(&dir, bar.clone());
    SELECTED.store(0, Ordering::SeqCst);
    let opts = optimize::Options {
        jobs,
        resume,
        shard,
    };
    let outcome = optimize::run(&study, &dir, &opts, &|p| match p {
        optimize::Progress::Round {
            round,
            candidates,
            seeds,
            to_run,
            reused,
            others,
        } => {
            SELECTED.fetch_add(to_run, Ordering::SeqCst);
            bar.set_position(0);
            bar.set_length(to_run as u64);
            bar.set_message(round.to_string());
            let others = match shard {
                Some(s) if others > 0 => {
                    format!(", {others} left to the other shards (this is {s})")
                }
                _ => String::new(),
            };
            bar.suspend(|| {
                say!(
                    "round {round}: {candidates} candidates x {seeds} seeds: {to_run} runs to simulate, {reused} reused{others}"
                )
            });
        }
        optimize::Progress::Waiting { runs } => {
            bar.suspend(|| say!("  waiting for {runs} runs of the other shards"));
        }
        optimize::Progress::Done => {
            KEPT.fetch_add(1, Ordering::SeqCst);
            bar.inc(1);
        }
    });
    bar.finish_and_clear();
    let outcome = outcome.with_context(|| format!("optimize {}", file.display()))?;
    let wall = started.elapsed().as_secs_f64();
    say!(
        "{}: {} simulations ({} run now, {} read back from the folder) in {} rounds; {:.1} s",
        d.name,
        outcome.simulations(),
        outcome.ran,
        outcome.resumed,
        outcome.rounds.len(),
        wall
    );
    match &outcome.winner {
        Some(w) => {
            say!("  winner: {}", study.describe(w.candidate));
            say!(
                "  objective mean {} over {} seeds; every objective met on {:.0}% of them (95% CI {:.0}-{:.0}%)",
                sweep::table::num(w.objective_mean),
                w.runs,
                w.all_met.share * 100.0,
                w.all_met.lo * 100.0,
                w.all_met.hi * 100.0
            );
            say!("  best.toml: ecsim run {}", outcome.dir.join("best.toml").display());
        }
        None => say!(
            "  no feasible candidate in the last round (see candidates.csv): relax the objectives or the confidence, widen the variables, or raise maxSeeds"
        ),
    }
    say!("  results in {}", outcome.dir.display());
    Ok(())
}

/// Runs of the sweep in progress kept in its run log, and runs it is
/// responsible for (`usize::MAX` before it starts).
static KEPT: AtomicUsize = AtomicUsize::new(0);
static SELECTED: AtomicUsize = AtomicUsize::new(usize::MAX);

/// On SIGINT or SIGTERM during a sweep: say how many runs are kept in `dir`
/// and that `--resume` continues, and exit with 128 + the signal (130, 143).
/// Every kept run is whole in the run log (a run counts once its line is
/// synced); a line cut short by the exit is skipped by the next sweep.
#[cfg(unix)]
fn on_interrupt(dir: &Path, bar: ProgressBar) {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM]) else {
        return;
    };
    let dir = dir.to_path_buf();
    std::thread::spawn(move || {
        if let Some(sig) = signals.forever().next() {
            bar.abandon();
            let selected = SELECTED.load(Ordering::SeqCst);
            if selected == usize::MAX {
                eprintln!("\ninterrupted before any run started");
            } else {
                eprintln!(
                    "\ninterrupted: kept {} of {selected} runs in {}; run the same command again with --resume to continue",
                    KEPT.load(Ordering::SeqCst),
                    dir.display()
                );
            }
            std::process::exit(128 + sig);
        }
    });
}

#[cfg(not(unix))]
fn on_interrupt(_dir: &Path, _bar: ProgressBar) {}

#[cfg(feature = "plot")]
fn plot_requested(flag: &PlotFlag) -> bool {
    flag.plot.is_some()
}

#[cfg(not(feature = "plot"))]
fn plot_requested(_flag: &PlotFlag) -> bool {
    false
}

fn merge(dirs: &[PathBuf], out: Option<PathBuf>, plot: &PlotFlag) -> anyhow::Result<()> {
    let report = sweep::merge_to(dirs, out.as_deref())?;
    say!(
        "merged {} folders: {} runs; results in {}",
        dirs.len(),
        report.total_runs,
        report.dir.display()
    );
    plot_after(&report.dir, plot)?;
    Ok(())
}

fn compare(
    args: &ScenarioArgs,
    names: &[String],
    extra: &[String],
    out: Option<&Path>,
    plot: &PlotFlag,
) -> Result<(), Failure> {
    let outcome = compare::run_compare(&compare::Request {
        scenario: &args.scenario,
        set: &args.set,
        seed: args.seed,
        names,
        extra,
        out,
    })?;
    say_raw!("{}", compare::table(&outcome.rows));
    let be = compare::breakevens(&outcome.rows);
    if !be.is_empty() {
        say!("breakeven (same work, EC2 bill scaled to the reserved share):");
        say_raw!("{}", compare::breakeven_text(&be));
    }
    say!("  results in {}", outcome.dir.display());
    // The comparison's charts, then each variant's run charts.
    plot_after(&outcome.dir, plot)?;
    for vdir in outcome.variant_dirs() {
        plot_after(&vdir, plot)?;
    }
    Ok(())
}

#[derive(clap::Args)]
struct ReportArgs {
    /// Folders written by `ecsim run` or `ecsim compare` (two or more: side by side).
    #[arg(required = true)]
    dirs: Vec<PathBuf>,
    /// Scenario file the folders were run from (default: found by name under scenarios/).
    #[arg(long)]
    scenario: Option<PathBuf>,
    /// Overrides the folders were run with (repeatable).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    set: Vec<String>,
    /// Output file (default: DIR/report.html).
    #[arg(long)]
    out: Option<PathBuf>,
}

fn report(a: &ReportArgs) -> anyhow::Result<()> {
    let opts = ecsim::report::Options {
        scenario: a.scenario.clone(),
        set: a.set.clone(),
        out: a.out.clone(),
        ..Default::default()
    };
    let w = ecsim::report::write_report(&a.dirs, &opts)?;
    say!(
        "report: {} ({} KB)",
        w.path.display(),
        w.bytes.div_ceil(1024)
    );
    Ok(())
}

/// `run --report`: the report of the folder just written.
fn report_after(args: &ScenarioArgs, dir: PathBuf) -> anyhow::Result<()> {
    report(&ReportArgs {
        dirs: vec![dir],
        scenario: Some(args.scenario.clone()),
        set: args.set.clone(),
        out: None,
    })
}
