//! Charts of a compare folder, from the `comparison.csv` that `ecsim
//! compare` writes (one row per variant).
//!
//! * `cost` — one bar per variant, as high as its `per_month_usd` (the
//!   run's total cost extrapolated to a 730-hour month), with that value
//!   written above it. The bar is split into EC2 compute reserved by tasks
//!   (`ec2_usd − idle_usd`), idle EC2 (`idle_usd`) and Fargate
//!   (`fargate_usd`). Those three columns are the *run's* costs, so they
//!   are scaled together to fill the bar: each part is its share of their
//!   sum times `per_month_usd` ([`monthly_parts`]). What the run's total
//!   holds besides them (EBS root volumes, a commitment's settlement; about
//!   1% in the shipped studies) is thereby spread over the parts in
//!   proportion. A part that is zero for every variant is left out.
//! * `utilization` — `paid_reserved_pct` per variant: the share of the paid
//!   capacity that tasks reserved (a Fargate variant pays for its tasks
//!   only, so 100%). Skipped with a note when the file has no such column.
//!
//! A variant that dropped work (`unplaced` tasks, or failed jobs in a
//! `failed_jobs` / `jobs_failed` column, above zero) has its bar marked in
//! red with how many: its cost is not that of the whole workload.
//!
//! `variant`, `ec2_usd`, `idle_usd`, `fargate_usd` and the monthly cost are
//! required; the run's total cost, when there, gives the run's length for
//! the caption; any other column is ignored. The two cost totals are found
//! by name, `usd_per_month` and `run_total_usd` (`per_month_usd` and `total_usd` in older folders), or failing those any column
//! whose name has `month` and `usd` (the monthly one) or `total` and
//! `usd` (the run's), so that a renamed column that still
//! says its unit is read. Each variant's own folder is a run
//! folder, plotted with `ecsim plot DIR/VARIANT` (`ecsim compare --plot`
//! draws both).
//!
//! Depends on the file formats only (see the module above).

use std::path::Path;

use super::chart::{tick, Bars, Chart, Panel, XAxis};
use super::run;
use super::table::Table;
use super::{save, Format, Kind, PlotError, Report};
use crate::cost::HOURS_PER_MONTH;

/// The parts of a cost bar, bottom to top: legend text and palette index.
pub const PARTS: [(&str, usize); 3] = [
    ("EC2 compute (reserved by tasks)", 0),
    ("idle EC2 (reserved by no task)", 7),
    ("Fargate", 1),
];

/// How far `idle_usd` may exceed `ec2_usd` (half a cent: the file's rounding).
const ROUNDING_USD: f64 = 0.005;

/// One variant's row, as the charts use it.
#[derive(Debug, Clone, PartialEq)]
pub struct Variant {
    /// Variant name.
    pub name: String,
    /// Cost extrapolated to a 730-hour month, USD.
    pub per_month_usd: f64,
    /// EC2 compute, idle EC2 and Fargate ([`PARTS`]), scaled to add up to
    /// `per_month_usd`.
    pub parts: [f64; 3],
    /// Share of paid capacity reserved by tasks, percent (if the file has it).
    pub paid_reserved_pct: Option<f64>,
    /// Tasks the variant could not place or launch (or jobs that failed),
    /// if the file says.
    pub dropped: Option<f64>,
}

/// The column among `headers` holding `exact`, else the first whose
/// lowercase name passes `like`.
pub fn column_like<'a>(
    headers: &'a [String],
    exact: &str,
    like: impl Fn(&str) -> bool,
) -> Option<&'a str> {
    headers
        .iter()
        .find(|h| *h == exact)
        .or_else(|| headers.iter().find(|h| like(&h.to_lowercase())))
        .map(String::as_str)
}

/// The monthly cost column.
fn month_column(headers: &[String]) -> Option<&str> {
    column_like(headers, "per_month_usd", |h| {
        h.contains("month") && h.contains("usd")
    })
}

/// The run's total cost column.
fn total_column(headers: &[String]) -> Option<&str> {
    column_like(headers, "total_usd", |h| {
        h.contains("total") && h.contains("usd") && !h.contains("month")
    })
}

/// The column counting dropped work: `unplaced`, else a failed-jobs count.
fn dropped_column(headers: &[String]) -> Option<&str> {
    ["unplaced", "failed_jobs", "jobs_failed"]
        .into_iter()
        .find_map(|c| headers.iter().find(|h| *h == c))
        .map(String::as_str)
}

/// A compare folder's table.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// What the charts are titled with: the scenario and seed from the
    /// first variant's `summary.json`, else the folder's name (its parent's
    /// for a folder named `compare`).
    pub name: String,
    /// The variants, in file order.
    pub variants: Vec<Variant>,
    /// Length of the run, hours: `730 × total_usd / per_month_usd` of the
    /// first row with a cost (when the file has `total_usd`).
    pub run_hours: Option<f64>,
}

/// A bar's parts from the run's costs: EC2 compute reserved by tasks
/// (`ec2 − idle`), idle EC2 and Fargate, scaled by one factor so that they
/// add up to `per_month`. All zero when the run's parts are.
pub fn monthly_parts(per_month: f64, ec2: f64, idle: f64, fargate: f64) -> [f64; 3] {
    let run = [(ec2 - idle).max(0.0), idle, fargate];
    let sum: f64 = run.iter().sum();
    if sum <= 0.0 {
        return [0.0; 3];
    }
    run.map(|part| part * per_month / sum)
}

/// A dollar amount for a bar: whole dollars with thousands separators from
/// $100 up (`$1,002`), cents below (`$99.38`).
pub fn usd(v: f64) -> String {
    let sign = if v < 0.0 { "-" } else { "" };
    let a = v.abs();
    if a < 100.0 {
        return format!("{sign}${a:.2}");
    }
    let digits = format!("{a:.0}");
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}${grouped}")
}

impl Comparison {
    /// Reads `dir/comparison.csv`, checking that every row's costs make
    /// sense (none negative, idle EC2 within the EC2 cost).
    pub fn read(dir: &Path) -> Result<Comparison, PlotError> {
        let t = Table::read(&dir.join("comparison.csv"))?;
        let names = t.strings(t.column("variant")?);
        let month_name = month_column(&t.headers)
            .unwrap_or("usd_per_month")
            .to_string();
        let per_month = t.numbers_of(&month_name)?;
        let ec2 = t.numbers_of("ec2_usd")?;
        let idle = t.numbers_of("idle_usd")?;
        let fargate = t.numbers_of("fargate_usd")?;
        let optional = |name: &str| t.find(name).map(|i| t.numbers(i)).transpose();
        let reserved = optional("paid_reserved_pct")?;
        let total = match total_column(&t.headers) {
            Some(c) => optional(c)?,
            None => None,
        };
        let dropped = match dropped_column(&t.headers) {
            Some(c) => optional(c)?,
            None => None,
        };
        let bad = |line: u64, message: String| PlotError::Csv {
            path: t.path.clone(),
            line,
            message,
        };
        if t.rows.is_empty() {
            return Err(bad(1, "a header and no variants".into()));
        }
        let mut variants = Vec::with_capacity(t.rows.len());
        for (k, (line, _)) in t.rows.iter().enumerate() {
            let name = names[k].trim();
            if name.is_empty() {
                return Err(bad(*line, "column `variant`: empty".into()));
            }
            for (column, v) in [
                (month_name.as_str(), per_month[k]),
                ("ec2_usd", ec2[k]),
                ("idle_usd", idle[k]),
                ("fargate_usd", fargate[k]),
            ] {
                if v < 0.0 {
                    return Err(bad(*line, format!("column `{column}`: `{v}` is negative")));
                }
            }
            if idle[k] > ec2[k] + ROUNDING_USD {
                return Err(bad(
                    *line,
                    format!(
                        "column `idle_usd`: `{}` is more than ec2_usd ({}), which includes it",
                        idle[k], ec2[k]
                    ),
                ));
            }
            variants.push(Variant {
                name: name.to_string(),
                per_month_usd: per_month[k],
                parts: monthly_parts(per_month[k], ec2[k], idle[k], fargate[k]),
                paid_reserved_pct: reserved.as_ref().map(|r| r[k]),
                dropped: dropped.as_ref().map(|d| d[k]),
            });
        }
        let run_hours = total.and_then(|total| {
            total
                .iter()
                .zip(&per_month)
                .find(|(t, m)| **t > 0.0 && **m > 0.0)
                .map(|(t, m)| HOURS_PER_MONTH * t / m)
        });
        let mut folder = run::folder_name(dir);
        if folder == "compare" {
            folder = run::folder_name(&dir.join(".."));
        }
        let name = match variants.first() {
            Some(v) => run::named(&dir.join(&v.name), folder),
            None => folder,
        };
        Ok(Comparison {
            name,
            variants,
            run_hours,
        })
    }

    fn categories(&self) -> XAxis {
        XAxis::Categories(self.variants.iter().map(|v| v.name.clone()).collect())
    }

    /// The stacked bars of cost per month.
    pub fn cost_chart(&self) -> Chart {
        let mut p = Panel::new("variant", "USD per month (730 h)");
        p.x_axis = self.categories();
        let scaled = "scaled to a 730-hour month; parts in the run's proportions";
        p.caption = Some(match self.run_hours {
            // One decimal is all the rounded cents in the file can tell.
            Some(h) => format!(
                "cost of the {} h run {scaled}",
                tick((h * 10.0).round() / 10.0)
            ),
            None => format!("cost of the run {scaled}"),
        });
        for (j, (label, color)) in PARTS.into_iter().enumerate() {
            let points: Vec<(f64, f64)> = self
                .variants
                .iter()
                .enumerate()
                .map(|(i, v)| (i as f64, v.parts[j]))
                .collect();
            if points.iter().any(|p| p.1 > 0.0) {
                p.bars.push(Bars {
                    label: label.into(),
                    color,
                    points,
                });
            }
        }
        p.bar_labels = self
            .variants
            .iter()
            .enumerate()
            .map(|(i, v)| (i as f64, usd(v.per_month_usd)))
            .collect();
        p.bar_notes = self
            .variants
            .iter()
            .enumerate()
            .filter_map(|(i, v)| {
                let n = v.dropped.filter(|n| *n > 0.0)?;
                Some((i as f64, format!("dropped {} tasks", tick(n))))
            })
            .collect();
        Chart {
            title: format!("{}: cost per month by variant", self.name),
            panels: vec![p],
        }
    }

    /// The bars of the reserved share of paid capacity, if the file has it.
    pub fn utilization_chart(&self) -> Option<Chart> {
        let values: Vec<f64> = self
            .variants
            .iter()
            .map(|v| v.paid_reserved_pct)
            .collect::<Option<_>>()?;
        let mut p = Panel::new("variant", "paid capacity reserved by tasks (%)");
        p.x_axis = self.categories();
        p.y_include = vec![0.0, 100.0];
        p.y_percent = true;
        p.caption = Some(
            "EC2: share of the instances' cost reserved by tasks; Fargate bills tasks only (100%)"
                .into(),
        );
        p.bars.push(Bars {
            label: "reserved by tasks".into(),
            color: 2,
            points: values
                .iter()
                .enumerate()
                .map(|(i, v)| (i as f64, *v))
                .collect(),
        });
        p.bar_labels = values
            .iter()
            .enumerate()
            .map(|(i, v)| (i as f64, format!("{v:.1}%")))
            .collect();
        Some(Chart {
            title: format!("{}: paid capacity reserved by tasks", self.name),
            panels: vec![p],
        })
    }
}

/// Draws the charts of the compare folder `dir` into `out`.
pub fn plot(dir: &Path, out: &Path, format: Format) -> Result<Report, PlotError> {
    let c = Comparison::read(dir)?;
    let mut report = Report {
        kind: Kind::Compare,
        written: Vec::new(),
        notes: Vec::new(),
    };
    save(out, "cost", &c.cost_chart(), format, &mut report.written)?;
    match c.utilization_chart() {
        Some(chart) => save(out, "utilization", &chart, format, &mut report.written)?,
        None => report.notes.push(
            "utilization: comparison.csv has no paid_reserved_pct column; chart skipped".into(),
        ),
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: [f64; 3], b: [f64; 3]) -> bool {
        a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-9)
    }

    #[test]
    fn parts_are_scaled_to_the_monthly_total() {
        // cost-spiky's ec2 row: a one-day run, $32.64 of instances of which
        // $19.88 idle, $1,002.40 a month (storage included). Factor
        // 1002.40 / 32.64.
        let p = monthly_parts(1002.40, 32.64, 19.88, 0.0);
        let k = 1002.40 / 32.64;
        assert!(close(p, [12.76 * k, 19.88 * k, 0.0]), "{p:?}");
        assert!((p.iter().sum::<f64>() - 1002.40).abs() < 1e-9);
        // A mixed variant: 6 + 2 of EC2 (2 idle), 2 of Fargate, 100 a month:
        // run parts 4, 2, 2 of 8.
        assert!(close(
            monthly_parts(100.0, 6.0, 2.0, 2.0),
            [50.0, 25.0, 25.0]
        ));
        // Fargate only.
        assert!(close(
            monthly_parts(331.27, 0.0, 0.0, 10.89),
            [0.0, 0.0, 331.27]
        ));
        // Nothing to split: no parts, whatever the total says.
        assert_eq!(monthly_parts(5.0, 0.0, 0.0, 0.0), [0.0; 3]);
        // Idle a rounding step above the EC2 cost: no negative compute.
        assert!(close(
            monthly_parts(10.0, 1.0, 1.004, 0.0),
            [0.0, 10.0, 0.0]
        ));
    }

    #[test]
    fn dollars_for_the_bars() {
        let table = [
            (1002.4, "$1,002"),
            (1995.5, "$1,996"),
            (724.42, "$724"),
            (100.0, "$100"),
            (99.38, "$99.38"),
            (0.0, "$0.00"),
            (1234567.0, "$1,234,567"),
            (-1500.0, "-$1,500"),
        ];
        for (v, want) in table {
            assert_eq!(usd(v), want, "usd({v})");
        }
    }

    fn read(csv: &str) -> Result<Comparison, PlotError> {
        let d = tempfile::tempdir().unwrap();
        let dir = d.path().join("study").join("compare");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("comparison.csv"), csv).unwrap();
        Comparison::read(&dir)
    }

    #[test]
    fn rows_become_variants_whatever_the_column_order() {
        let c = read(
            "fargate_usd,note,variant,idle_usd,ec2_usd,per_month_usd,total_usd\n\
             0,x,ec2,1,3,146,6.1\n\
             4,y,fargate,0,0,120,4\n",
        )
        .unwrap();
        // Named after the folder above `compare` (no summary.json here).
        assert_eq!(c.name, "study");
        let names: Vec<&str> = c.variants.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(names, ["ec2", "fargate"]);
        // ec2 3 of which 1 idle: compute 2, idle 1, scaled to 146.
        assert!(close(
            c.variants[0].parts,
            [146.0 * 2.0 / 3.0, 146.0 / 3.0, 0.0]
        ));
        assert_eq!(c.variants[1].parts, [0.0, 0.0, 120.0]);
        assert_eq!(c.variants[0].paid_reserved_pct, None);
        // 730 × 6.1 / 146 = 30.5 hours.
        assert!((c.run_hours.unwrap() - 30.5).abs() < 1e-9);
        assert!(c.utilization_chart().is_none());
        // The Fargate part is there, so all three parts are; the caption
        // gives the run's length.
        let chart = c.cost_chart();
        let p = &chart.panels[0];
        assert_eq!(p.bars.len(), 3);
        assert_eq!(p.bar_labels[0], (0.0, "$146".to_string()));
        assert!(p.caption.as_ref().unwrap().contains("30.5 h run"));
    }

    #[test]
    fn renamed_cost_columns_that_keep_their_unit_are_read() {
        let c = read(
            "variant,usd_per_month_730h,run_total_usd,ec2_usd,idle_usd,fargate_usd\n\
             a,146,6.1,3,1,0\n",
        )
        .unwrap();
        assert_eq!(c.variants[0].per_month_usd, 146.0);
        assert!((c.run_hours.unwrap() - 30.5).abs() < 1e-9);
        // Without any monthly column the error names the one expected.
        let e = read("variant,ec2_usd,idle_usd,fargate_usd\na,1,0,0\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("no column `usd_per_month`"), "{e}");
    }

    #[test]
    fn variants_that_dropped_work_are_marked() {
        // cost-nightly-batch: ec2 could not place 27 tasks, fargate all.
        let c = read(
            "variant,per_month_usd,ec2_usd,idle_usd,fargate_usd,unplaced\n\
             ec2,1995.2,65.28,57.15,0,27\n\
             fargate,331.27,0,0,10.89,0\n",
        )
        .unwrap();
        let p = &c.cost_chart().panels[0];
        assert_eq!(p.bar_notes, vec![(0.0, "dropped 27 tasks".to_string())]);
        // A failed-jobs column counts when there is no `unplaced`.
        let c = read(
            "variant,per_month_usd,ec2_usd,idle_usd,fargate_usd,failed_jobs\n\
             ec2,10,1,0,0,0\nspot,10,1,0,0,3\n",
        )
        .unwrap();
        assert_eq!(
            c.cost_chart().panels[0].bar_notes,
            vec![(1.0, "dropped 3 tasks".to_string())]
        );
        // Neither column: nothing to say.
        let c = read("variant,per_month_usd,ec2_usd,idle_usd,fargate_usd\na,1,1,0,0\n").unwrap();
        assert!(c.cost_chart().panels[0].bar_notes.is_empty());
    }

    #[test]
    fn parts_nobody_has_are_left_out() {
        let c = read(
            "variant,per_month_usd,ec2_usd,idle_usd,fargate_usd,paid_reserved_pct\n\
             a,100,2,0,0,100\n\
             b,50,1,0,0,100\n",
        )
        .unwrap();
        let chart = c.cost_chart();
        let labels: Vec<&str> = chart.panels[0]
            .bars
            .iter()
            .map(|b| b.label.as_str())
            .collect();
        assert_eq!(labels, [PARTS[0].0]);
        assert!(chart.panels[0]
            .caption
            .as_ref()
            .unwrap()
            .starts_with("cost of the run "));
        let u = c.utilization_chart().unwrap();
        assert!(u.panels[0].y_percent, "percent ticks");
        assert_eq!(u.panels[0].bar_labels[1], (1.0, "100.0%".to_string()));
    }

    #[test]
    fn impossible_rows_name_their_line_and_column() {
        let head = "variant,per_month_usd,ec2_usd,idle_usd,fargate_usd\n";
        let err = |rows: &str| read(&format!("{head}{rows}")).unwrap_err().to_string();
        let e = err("a,1,1,0,0\nb,1,-2,0,0\n");
        assert!(
            e.ends_with("comparison.csv, line 3: column `ec2_usd`: `-2` is negative"),
            "{e}"
        );
        let e = err("a,1,1,2,0\n");
        assert!(
            e.ends_with(
                "line 2: column `idle_usd`: `2` is more than ec2_usd (1), which includes it"
            ),
            "{e}"
        );
        let e = err(" ,1,1,0,0\n");
        assert!(e.ends_with("line 2: column `variant`: empty"), "{e}");
        let e = err("");
        assert!(
            e.ends_with("comparison.csv, line 1: a header and no variants"),
            "{e}"
        );
        // Within the file's rounding, idle may exceed the EC2 cost.
        assert!(read(&format!("{head}a,1,1,1.004,0\n")).is_ok());
    }
}
