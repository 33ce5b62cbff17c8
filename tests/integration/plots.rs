//! Plots: a run folder, a sweep folder and a compare folder drawn into a
//! temporary folder (files there, PNGs decode to 1200×700, SVGs parse with
//! an `<svg>` root), byte-identical output, columns found by name, optional
//! demand, cost and utilization charts, the `--plot` flags, and the errors
//! (no results, wrong metric or parameter, malformed CSV).

use std::path::{Path, PathBuf};
use std::process::Command;

use ecsim::engine::Simulation;
use ecsim::output;
use ecsim::plot::{self, Format, Kind, PlotError, SweepOptions};
use ecsim::scenario;

fn ecsim() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ecsim"))
}

/// The committed placement-strategy sweep (read only).
const SWEEP: &str = "results/sweeps/placement-strategy";

/// The committed spiky-service comparison (read only).
const COMPARE: &str = "results/cost-spiky/compare";

/// Writes a one-hour run of the teaching scenario into `dir`.
fn small_run(dir: &Path) {
    let sc = scenario::load(
        Path::new("scenarios/teaching/binpack.toml"),
        &["duration=\"1h\"".to_string()],
    )
    .unwrap();
    let result = Simulation::new(&sc.spec, sc.seed).run();
    output::write_run(dir, &result, None).unwrap();
}

/// Checks that `path` is a PNG of the chart size that decodes completely.
fn check_png(path: &Path) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{}", path.display());
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(
        (info.width, info.height),
        (plot::WIDTH, plot::HEIGHT),
        "{}",
        path.display()
    );
    // Not a blank canvas: some pixels are not white.
    assert!(
        buf[..info.buffer_size()].iter().any(|&b| b < 200),
        "{} is blank",
        path.display()
    );
}

/// Checks that `path` is an XML document with an `<svg>` root of the chart size.
fn check_svg(path: &Path) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let doc = roxmltree::Document::parse(&text)
        .unwrap_or_else(|e| panic!("{} is not XML: {e}", path.display()));
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg", "{}", path.display());
    assert_eq!(root.attribute("width"), Some("1200"));
    assert_eq!(root.attribute("height"), Some("700"));
}

fn names(paths: &[PathBuf]) -> Vec<String> {
    paths
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn run_folder_smoke() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    let out = tmp.path().join("plots");
    small_run(&run);
    let report = plot::plot_dir(&run, &out, Format::Both, &SweepOptions::default()).unwrap();
    assert_eq!(report.kind, Kind::Run);
    assert_eq!(
        names(&report.written),
        [
            "tasks.png",
            "tasks.svg",
            "instances.png",
            "instances.svg",
            "reservation.png",
            "reservation.svg",
            "cost.png",
            "cost.svg"
        ]
    );
    assert!(report.notes.is_empty(), "{:?}", report.notes);
    for p in &report.written {
        assert!(p.starts_with(&out));
        match p.extension().and_then(|e| e.to_str()) {
            Some("png") => check_png(p),
            _ => check_svg(p),
        }
    }
    // No demand column: no demand chart, and nothing said.
    assert!(!out.join("demand.png").exists());
}

#[test]
fn sweep_folder_smoke() {
    let tmp = tempfile::tempdir().unwrap();
    let report = plot::plot_dir(
        Path::new(SWEEP),
        tmp.path(),
        Format::Both,
        &SweepOptions::default(),
    )
    .unwrap();
    assert_eq!(report.kind, Kind::Sweep);
    // Default: cpu_reservation_mean_pct against the first numeric parameter.
    assert_eq!(
        names(&report.written),
        [
            "cpu_reservation_mean_pct_by_instanceGroups.nodes.count.png",
            "cpu_reservation_mean_pct_by_instanceGroups.nodes.count.svg"
        ]
    );
    check_png(&report.written[0]);
    check_svg(&report.written[1]);
    // One line per strategy (the zipped job strategy does not split them),
    // each with its band.
    let svg = std::fs::read_to_string(&report.written[1]).unwrap();
    assert!(svg.contains("placement strategy, service api:"));
    assert!(svg.contains("\nbinpack(memory)\n"), "strategies in short");
    assert!(svg.contains("shaded: 95% confidence interval of the mean (10 runs per point)"));
    assert_eq!(svg.matches("<polygon").count(), 4, "one band per strategy");

    // Several metrics, a categorical x and an explicit series.
    let opts = SweepOptions {
        metrics: vec![
            "instances_in_use_mean".into(),
            "jobs.reports.failed.RESOURCE:CPU.mean".into(),
        ],
        x: Some("services.api.placementStrategy".into()),
        series: Some("instanceGroups.nodes.count".into()),
    };
    let report = plot::plot_dir(Path::new(SWEEP), tmp.path(), Format::Png, &opts).unwrap();
    assert_eq!(
        names(&report.written),
        [
            "instances_in_use_mean_by_services.api.placementStrategy.png",
            "jobs.reports.failed.RESOURCE_CPU_by_services.api.placementStrategy.png"
        ]
    );
    report.written.iter().for_each(|p| check_png(p));
}

#[test]
fn output_is_byte_identical() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    small_run(&run);
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    for out in [&a, &b] {
        plot::plot_dir(&run, out, Format::Both, &SweepOptions::default()).unwrap();
        plot::plot_dir(
            Path::new(SWEEP),
            out,
            Format::Both,
            &SweepOptions::default(),
        )
        .unwrap();
    }
    let mut files: Vec<_> = std::fs::read_dir(&a)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    files.sort();
    assert_eq!(files.len(), 10);
    for f in files {
        let (x, y) = (
            std::fs::read(a.join(&f)).unwrap(),
            std::fs::read(b.join(&f)).unwrap(),
        );
        assert!(x == y, "{f:?} differs between two plots of the same folder");
    }
}

/// Rewrites `timeseries.csv` with its columns in reverse order plus an
/// extra column, optionally with demand and capacity columns.
fn shuffle_columns(run: &Path, demand: bool) {
    let path = run.join("timeseries.csv");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut out = String::new();
    for (i, line) in text.lines().enumerate() {
        let mut cells: Vec<String> = line.split(',').rev().map(str::to_string).collect();
        if i == 0 {
            cells.push("some_future_column".into());
            if demand {
                cells.extend(["api.demand_rps".into(), "api.served_rps".into()]);
            }
        } else {
            cells.push("x".into());
            if demand {
                cells.extend([format!("{}", i % 7), "6".into()]);
            }
        }
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    std::fs::write(&path, out).unwrap();
}

#[test]
fn columns_by_name_and_optional_charts() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    small_run(&run);
    shuffle_columns(&run, true);
    std::fs::write(
        run.join("cost.csv"),
        "hour,owner,capacity,compute_usd,idle_usd,storage_usd,note\n0,api,ec2-on-demand,0.5,0.1,0,a\n1,api,ec2-on-demand,0.25,0,0,b\n",
    )
    .unwrap();
    let out = tmp.path().join("plots");
    let report = plot::plot_dir(&run, &out, Format::Png, &SweepOptions::default()).unwrap();
    assert_eq!(
        names(&report.written),
        [
            "tasks.png",
            "instances.png",
            "reservation.png",
            "demand.png",
            "cost.png"
        ]
    );
    report.written.iter().for_each(|p| check_png(p));

    // A cost.csv of another shape is skipped with a note, not an error.
    std::fs::write(run.join("cost.csv"), "instance_id,total\ni-1,3\n").unwrap();
    let report = plot::plot_dir(&run, &out, Format::Svg, &SweepOptions::default()).unwrap();
    assert_eq!(report.written.len(), 4);
    assert_eq!(report.notes.len(), 1, "{:?}", report.notes);
    assert!(report.notes[0].contains("cost.csv has no hour column"));
}

#[test]
fn a_folder_without_results_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("notes.txt"), "nothing here").unwrap();
    let e = plot::plot_dir(
        tmp.path(),
        tmp.path(),
        Format::Both,
        &SweepOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(e, PlotError::NotResults { .. }), "{e:?}");
    let msg = e.to_string();
    assert!(
        msg.contains("timeseries.csv") && msg.contains("aggregate.csv"),
        "{msg}"
    );

    let out = ecsim().arg("plot").arg(tmp.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no results to plot"), "{stderr}");
    assert!(
        std::fs::read_dir(tmp.path()).unwrap().count() == 1,
        "nothing written"
    );
}

#[test]
fn a_wrong_metric_or_parameter_lists_the_names() {
    let tmp = tempfile::tempdir().unwrap();
    let opts = SweepOptions {
        metrics: vec!["instances_in_use_maen".into()],
        ..SweepOptions::default()
    };
    let e = plot::plot_dir(Path::new(SWEEP), tmp.path(), Format::Png, &opts).unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("no metric `instances_in_use_maen`"), "{msg}");
    assert!(
        msg.contains("(did you mean `instances_in_use_mean`?)"),
        "{msg}"
    );
    assert!(
        msg.contains("metrics: horizon_s, events_processed,"),
        "{msg}"
    );
    assert!(msg.contains("cpu_reservation_mean_pct"), "{msg}");

    let out = ecsim()
        .args(["plot", SWEEP, "--x", "nodes"])
        .arg("--out")
        .arg(tmp.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "no parameter `nodes`; parameters: instanceGroups.nodes.count, \
             services.api.placementStrategy, batchJobs.reports.placementStrategy"
        ),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_dir(tmp.path()).unwrap().count(),
        0,
        "nothing written"
    );

    // Sweep options on a run folder are refused rather than ignored.
    let run = tmp.path().join("run");
    small_run(&run);
    let e = plot::plot_dir(&run, &run, Format::Png, &opts).unwrap_err();
    assert!(e.to_string().contains("apply to sweep folders"), "{e}");
}

#[test]
fn a_malformed_csv_names_file_and_line() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    small_run(&run);
    let path = run.join("timeseries.csv");
    let text = std::fs::read_to_string(&path).unwrap();
    // Line 4 (the third record): its CPU reservation is not a number.
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let header: Vec<&str> = lines[0].split(',').collect();
    let col = header
        .iter()
        .position(|h| *h == "cpu_reservation_pct")
        .unwrap();
    let mut cells: Vec<String> = lines[3].split(',').map(str::to_string).collect();
    cells[col] = "12;5%".into();
    lines[3] = cells.join(",");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let e = plot::plot_dir(&run, &run, Format::Png, &SweepOptions::default()).unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.ends_with(
            "timeseries.csv, line 4: column `cpu_reservation_pct`: `12;5%` is not a number"
        ),
        "{msg}"
    );

    // A record with a missing field.
    lines[3] = "60.000,1".into();
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let msg = plot::plot_dir(&run, &run, Format::Png, &SweepOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("timeseries.csv, line 4: 2 fields where the header has"),
        "{msg}"
    );
}

#[test]
fn cli_plot_flags_on_run_and_sweep() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("qs");
    let st = ecsim()
        .args([
            "run",
            "scenarios/teaching/binpack.toml",
            "--set",
            "duration=\"1h\"",
            "--plot=png",
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    for f in ["tasks.png", "instances.png", "reservation.png"] {
        check_png(&out.join(f));
    }
    assert!(!out.join("tasks.svg").exists());

    // `ecsim plot` on the same folder, SVG only, elsewhere.
    let svg_out = tmp.path().join("svg");
    let st = ecsim()
        .arg("plot")
        .arg(&out)
        .args(["--format", "svg", "--out"])
        .arg(&svg_out)
        .output()
        .unwrap();
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    let stdout = String::from_utf8_lossy(&st.stdout);
    assert!(
        stdout.contains("plots: tasks.svg, instances.svg, reservation.svg"),
        "{stdout}"
    );
    check_svg(&svg_out.join("tasks.svg"));

    // A small sweep with --plot (both formats by default).
    let file = tmp.path().join("small.toml");
    let base = std::env::current_dir()
        .unwrap()
        .join("scenarios/teaching/binpack.toml")
        .display()
        .to_string()
        .replace('\\', "/");
    std::fs::write(
        &file,
        format!(
            r#"
scenario = "{base}"
seed = 3
seeds = 2
set = ['duration="1h"']
[parameters]
"instanceGroups.nodes.count" = [6, 9]
"services.api.placementStrategy" = ['[{{type="binpack", field="memory"}}]', '[{{type="random"}}]']
"#
        ),
    )
    .unwrap();
    let sweep_out = tmp.path().join("sweep");
    let st = ecsim()
        .arg("sweep")
        .arg(&file)
        .args(["--jobs", "1", "--plot", "--out"])
        .arg(&sweep_out)
        .output()
        .unwrap();
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    let stem = "cpu_reservation_mean_pct_by_instanceGroups.nodes.count";
    check_png(&sweep_out.join(format!("{stem}.png")));
    check_svg(&sweep_out.join(format!("{stem}.svg")));

    // A bad format value is refused by the argument parser.
    let st = ecsim()
        .arg("plot")
        .arg(&out)
        .args(["--format", "jpeg"])
        .output()
        .unwrap();
    assert_eq!(st.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&st.stderr).contains("expected png, svg or both"));
}

#[test]
fn compare_folder_smoke() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    let report = plot::plot_dir(
        Path::new(COMPARE),
        &a,
        Format::Both,
        &SweepOptions::default(),
    )
    .unwrap();
    assert_eq!(report.kind, Kind::Compare);
    assert_eq!(
        names(&report.written),
        ["cost.png", "cost.svg", "utilization.png", "utilization.svg"]
    );
    assert!(report.notes.is_empty(), "{:?}", report.notes);
    for p in &report.written {
        assert!(p.starts_with(&a));
        match p.extension().and_then(|e| e.to_str()) {
            Some("png") => check_png(p),
            _ => check_svg(p),
        }
    }
    // Every variant's bar is labelled with its $/month, the parts are in
    // the legend, the title names the scenario and seed.
    let svg = std::fs::read_to_string(a.join("cost.svg")).unwrap();
    for text in [
        "\n$1,002\n",
        "\n$724\n",
        "\n$442\n",
        "\n$288\n",
        "EC2 compute (reserved by tasks)",
        "idle EC2 (reserved by no task)",
        "\nFargate\n",
        "cost-spiky, seed 12: cost per month by variant",
        "cost of the 24 h run scaled to a 730-hour month",
    ] {
        assert!(svg.contains(text), "{text:?} not in cost.svg");
    }
    let svg = std::fs::read_to_string(a.join("utilization.svg")).unwrap();
    assert!(svg.contains("\n39.1%\n") && svg.contains("\n100.0%\n"));

    // The same folder plotted again gives the same bytes.
    plot::plot_dir(
        Path::new(COMPARE),
        &b,
        Format::Both,
        &SweepOptions::default(),
    )
    .unwrap();
    for f in names(&report.written) {
        let (x, y) = (
            std::fs::read(a.join(&f)).unwrap(),
            std::fs::read(b.join(&f)).unwrap(),
        );
        assert!(x == y, "{f} differs between two plots of the same folder");
    }

    // Sweep options are refused rather than ignored.
    let opts = SweepOptions {
        x: Some("variant".into()),
        ..SweepOptions::default()
    };
    let e = plot::plot_dir(Path::new(COMPARE), &a, Format::Png, &opts).unwrap_err();
    assert!(
        e.to_string()
            .contains("a compare folder; --metric, --x and --series apply to sweep folders"),
        "{e}"
    );
}

/// Copies the committed comparison.csv into `dir` as `comparison.csv`
/// with its columns in reverse order, an extra column, and without the
/// columns named in `drop`.
fn reshaped_comparison(dir: &Path, drop: &[&str]) {
    let text = std::fs::read_to_string(Path::new(COMPARE).join("comparison.csv")).unwrap();
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    let keep: Vec<usize> = (0..header.len())
        .rev()
        .filter(|&i| !drop.contains(&header[i]))
        .collect();
    let mut out = String::new();
    for (n, line) in text.lines().enumerate() {
        let cells: Vec<&str> = line.split(',').collect();
        let mut row: Vec<&str> = keep.iter().map(|&i| cells[i]).collect();
        row.push(if n == 0 { "some_future_column" } else { "x" });
        out.push_str(&row.join(","));
        out.push('\n');
    }
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("comparison.csv"), out).unwrap();
}

#[test]
fn compare_columns_by_name_and_optional_utilization() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("compare");
    reshaped_comparison(&dir, &[]);
    // The first variant's summary names the charts.
    std::fs::create_dir_all(dir.join("ec2")).unwrap();
    std::fs::copy(
        Path::new(COMPARE).join("ec2/summary.json"),
        dir.join("ec2/summary.json"),
    )
    .unwrap();
    let report = plot::plot_dir(&dir, &dir, Format::Svg, &SweepOptions::default()).unwrap();
    assert_eq!(names(&report.written), ["cost.svg", "utilization.svg"]);
    // The same charts as from the file in its own column order.
    let theirs = tmp.path().join("theirs");
    plot::plot_dir(
        Path::new(COMPARE),
        &theirs,
        Format::Svg,
        &SweepOptions::default(),
    )
    .unwrap();
    for f in ["cost.svg", "utilization.svg"] {
        let ours = std::fs::read_to_string(dir.join(f)).unwrap();
        let original = std::fs::read_to_string(theirs.join(f)).unwrap();
        assert!(ours == original, "{f} differs with the columns reordered");
    }

    // Only the columns the cost bars need: no utilization chart, a note,
    // and a caption that cannot give the run's length.
    reshaped_comparison(
        &dir,
        &[
            "total_usd",
            "paid_reserved_pct",
            "cpu_reserved_pct",
            "memory_reserved_pct",
            "minutes_below_desired",
            "unplaced",
            "interruptions",
            "submitted",
            "overloaded_minutes",
            "usd_per_1m_requests",
        ],
    );
    let out = tmp.path().join("plots");
    let report = plot::plot_dir(&dir, &out, Format::Png, &SweepOptions::default()).unwrap();
    assert_eq!(names(&report.written), ["cost.png"]);
    check_png(&report.written[0]);
    assert_eq!(
        report.notes,
        ["utilization: comparison.csv has no paid_reserved_pct column; chart skipped"]
    );
}

#[test]
fn a_malformed_comparison_names_file_line_and_column() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("compare");
    std::fs::create_dir_all(&dir).unwrap();
    let text = std::fs::read_to_string(Path::new(COMPARE).join("comparison.csv")).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let col = lines[0]
        .split(',')
        .position(|h| h == "fargate_usd")
        .unwrap();
    let write = |lines: &[String]| {
        std::fs::write(dir.join("comparison.csv"), lines.join("\n") + "\n").unwrap();
    };
    let error = || {
        plot::plot_dir(&dir, &dir, Format::Png, &SweepOptions::default())
            .unwrap_err()
            .to_string()
    };

    // Line 3 (the second variant): its Fargate cost is not a number.
    let mut bad = lines.clone();
    let mut cells: Vec<&str> = bad[2].split(',').collect();
    cells[col] = "n/a";
    bad[2] = cells.join(",");
    write(&bad);
    let msg = error();
    assert!(
        msg.ends_with("comparison.csv, line 3: column `fargate_usd`: `n/a` is not a number"),
        "{msg}"
    );
    // From the command line: exit code 1, the message, nothing drawn.
    let out = ecsim().arg("plot").arg(&dir).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("line 3: column `fargate_usd`"), "{stderr}");
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        1,
        "nothing written"
    );

    // A record with missing fields.
    let mut bad = lines.clone();
    bad[4] = "fargate-spot,9.47".into();
    write(&bad);
    let msg = error();
    assert!(
        msg.ends_with(&format!(
            "comparison.csv, line 5: 2 fields where the header has {}",
            lines[0].split(',').count()
        )),
        "{msg}"
    );

    // Idle EC2 cost above the EC2 cost it is part of.
    let idle = lines[0].split(',').position(|h| h == "idle_usd").unwrap();
    let mut cells: Vec<String> = lines[1].split(',').map(str::to_string).collect();
    cells[idle] = "99.00".into();
    lines[1] = cells.join(",");
    write(&lines);
    let msg = error();
    assert!(
        msg.ends_with(
            "line 2: column `idle_usd`: `99` is more than ec2_usd (32.64), which includes it"
        ),
        "{msg}"
    );

    // A required column missing.
    write(&["variant,total_usd\nec2,1\n".to_string()]);
    let msg = error();
    assert!(
        msg.ends_with("comparison.csv: no column `usd_per_month` (columns: variant, total_usd)"),
        "{msg}"
    );
}

#[test]
fn cli_plot_flag_on_compare() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("cmp");
    let st = ecsim()
        .args([
            "compare",
            "scenarios/cost/spiky.toml",
            "--variants",
            "ec2,fargate",
            "--set",
            "duration=\"1h\"",
            "--plot=png",
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    // The comparison's charts, then each variant's run charts.
    for f in ["cost.png", "utilization.png"] {
        check_png(&out.join(f));
    }
    for v in ["ec2", "fargate"] {
        for f in ["tasks.png", "instances.png", "reservation.png", "cost.png"] {
            check_png(&out.join(v).join(f));
        }
    }
    assert!(!out.join("cost.svg").exists());
    let stdout = String::from_utf8_lossy(&st.stdout);
    assert!(
        stdout.contains("plots: cost.png, utilization.png in"),
        "{stdout}"
    );

    // Without --plot, no charts.
    let bare = tmp.path().join("bare");
    let st = ecsim()
        .args([
            "compare",
            "scenarios/cost/spiky.toml",
            "--variants",
            "fargate",
            "--set",
            "duration=\"1h\"",
            "--out",
        ])
        .arg(&bare)
        .output()
        .unwrap();
    assert!(st.status.success());
    assert!(!bare.join("cost.png").exists());
    assert!(!bare.join("fargate").join("tasks.png").exists());
}

/// Plots the committed folder `dir` as SVG into a temporary folder and
/// returns the text of `stem.svg`.
fn svg_of(dir: &str, stem: &str, opts: &SweepOptions) -> String {
    let tmp = tempfile::tempdir().unwrap();
    plot::plot_dir(Path::new(dir), tmp.path(), Format::Svg, opts).unwrap();
    let path = tmp.path().join(format!("{stem}.svg"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The shortfall colour with its opacity, as plotters writes a filled polygon.
const SHORTFALL_FILL: &str = "<polygon opacity=\"0.45\" fill=\"#D62728\"";

/// Polylines of `svg` stroked in `color` with more than two points (a
/// line through data, not an error bar, a cap or a tick).
fn data_polylines(svg: &str, color: &str) -> usize {
    let doc = roxmltree::Document::parse(svg).unwrap();
    doc.descendants()
        .filter(|n| n.has_tag_name("polyline") && n.attribute("stroke") == Some(color))
        .filter(|n| {
            n.attribute("points")
                .unwrap_or("")
                .split_whitespace()
                .count()
                > 2
        })
        .count()
}

#[test]
fn spot_kills_show_as_a_shaded_shortfall_with_a_zoom() {
    // ECS-MODEL S2: an interrupted spot instance's tasks are killed and
    // replaced; the committed spot what-if loses 8 of web's 16 tasks for
    // 20 s, between two minute samples.
    let svg = svg_of("results/spot-what-if", "tasks", &SweepOptions::default());
    assert!(svg.contains(SHORTFALL_FILL), "no shaded shortfall");
    for text in [
        "web below desired",
        "tasks lost: 3 times, 41 s below desired in all",
        "longest shortfall (tasks lost): 8 tasks missing at worst, 20 s below desired",
    ] {
        assert!(svg.contains(text), "{text:?} not in tasks.svg");
    }
}

#[test]
fn black_friday_dropped_requests_are_shaded_and_the_sale_zoomed() {
    let svg = svg_of("results/black-friday", "demand", &SweepOptions::default());
    assert!(svg.contains(SHORTFALL_FILL), "no shaded shortfall");
    assert!(svg.contains("web requests not served"));
    // The zoom runs from a little before the sale (10:00 on the second
    // day) to after it (14:00), on the scenario's clock.
    assert!(svg.contains("zoom: Fri 27 Nov 09:14 to 14:47"), "{svg}");
    // The scaling lag shows in the tasks chart's zoom too.
    let svg = svg_of("results/black-friday", "tasks", &SweepOptions::default());
    assert!(svg.contains("longest shortfall (desired count raised)"));
}

#[test]
fn run_charts_tell_the_scenario_clock() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    small_run(&run);
    plot::plot_dir(&run, &run, Format::Svg, &SweepOptions::default()).unwrap();
    let svg = std::fs::read_to_string(run.join("tasks.svg")).unwrap();
    // The teaching scenario has no startTime: the default, 2026-01-01.
    assert!(
        svg.contains("time (UTC), from Thu 1 Jan 2026 00:00"),
        "{svg}"
    );
    assert!(svg.contains("\nThu 1 Jan\n") && svg.contains("\n00:10\n"));
    assert!(!svg.contains("time (h)"));
    // Percentages say so on their ticks.
    let svg = std::fs::read_to_string(run.join("reservation.svg")).unwrap();
    assert!(svg.contains("\n100%\n") && svg.contains("\n0%\n"), "{svg}");
}

#[test]
fn the_total_cost_leaves_its_parts_visible() {
    // Quickstart runs on on-demand EC2 only: its one capacity equals the
    // total. The capacity is a filled area, the total a dashed line on top.
    let svg = svg_of("results/quickstart", "cost", &SweepOptions::default());
    assert!(
        svg.contains("<polygon opacity=\"0.45\" fill=\"#1F77B4\""),
        "ec2-on-demand is not an area"
    );
    assert!(svg.contains("\nec2-on-demand\n"));
    assert!(svg.contains("total: $"));
}

#[test]
fn categories_are_points_with_error_bars_not_a_trend() {
    let opts = SweepOptions {
        x: Some("services.api.placementStrategy".into()),
        ..SweepOptions::default()
    };
    let svg = svg_of(
        SWEEP,
        "cpu_reservation_mean_pct_by_services.api.placementStrategy",
        &opts,
    );
    // One series per cluster size, none joined, no band polygons.
    for color in ["#1F77B4", "#FF7F0E", "#2CA02C"] {
        assert_eq!(data_polylines(&svg, color), 0, "{color} joins categories");
    }
    assert_eq!(svg.matches("<polygon").count(), 0, "bands on categories");
    assert!(svg.contains("bars: 95% confidence interval of the mean (10 runs per point)"));
    // Strategies in short on the axis, axis names in words with units.
    assert!(svg.contains("\nspread(AZ) + spread(instance)\n"), "{svg}");
    assert!(svg.contains("placement strategy, service api"));
    assert!(svg.contains("mean CPU reservation (%)"));
    assert!(svg.contains("\n70%\n"));
    // The numeric x of the default chart still draws lines and bands.
    let svg = svg_of(
        SWEEP,
        "cpu_reservation_mean_pct_by_instanceGroups.nodes.count",
        &SweepOptions::default(),
    );
    assert!(data_polylines(&svg, "#1F77B4") >= 1);
    assert!(svg.contains("instances in group nodes (instances)"));
}

#[test]
fn sweep_titles_and_axes_are_words_never_cut() {
    let opts = SweepOptions {
        metrics: vec!["services.web.demand.overloaded_minutes".into()],
        x: Some(
            "instanceGroups.app.instancesDistribution.onDemandPercentageAboveBaseCapacity".into(),
        ),
        series: Some("services.web.autoScaling.targetTracking[0].targetValue".into()),
    };
    let svg = svg_of(
        "results/sweeps/cost-spot-share",
        "services.web.demand.overloaded_minutes_by_instanceGroups.app.instancesDistribution.onDemandPercentageAboveBaseCapacity",
        &opts,
    );
    assert!(!svg.contains('…'), "a cut title");
    assert!(svg.contains(
        "cost-spot-share: time overloaded, service web (mean) by on-demand share above the base, group app"
    ));
    assert!(svg.contains("on-demand share above the base, group app (%)"));
    assert!(svg.contains("time overloaded, service web (min)"));
    assert!(svg.contains("\n30%\n"), "percent ticks on x");
    assert!(!svg.contains("onDemandPercentageAboveBaseCapacity"));
}

#[test]
fn compare_bars_mark_variants_that_dropped_work() {
    // cost-nightly-batch: ec2 and ec2-spot could not place 27 ETL tasks
    // (memory), the other variants ran everything.
    let svg = svg_of(
        "results/cost-nightly-batch/compare",
        "cost",
        &SweepOptions::default(),
    );
    assert_eq!(svg.matches("\ndropped 27 tasks\n").count(), 2, "{svg}");
    // In the shortfall colour.
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let note = doc
        .descendants()
        .find(|n| {
            n.has_tag_name("text") && n.text().is_some_and(|t| t.trim() == "dropped 27 tasks")
        })
        .unwrap();
    assert_eq!(note.attribute("fill"), Some("#D62728"));
    // cost-spiky dropped nothing: no note.
    let svg = svg_of(COMPARE, "cost", &SweepOptions::default());
    assert!(!svg.contains("dropped"));
}
