//! The Pareto chart of a search: every candidate's objective mean against
//! its mean of the first constraint's metric, the Pareto front joined and
//! highlighted, the constraint's threshold dashed, the winner marked.
//! Described with `plot::chart`, so it has the plots' style and renders to
//! the same deterministic bytes.

use super::search::Estimate;
use super::store::higher_is_better;
use super::Study;
use crate::plot::chart::{Chart, LegendPlace, Line, Panel};

/// The chart, or `None` without constraints (no second axis).
pub fn pareto_chart(
    study: &Study,
    standings: &[Estimate],
    pareto: &[usize],
    winner: Option<&Estimate>,
) -> Option<Chart> {
    let first = study.def.constraints.first()?;
    let metric = &study.constraint_metrics[0].names[0];
    let x_label = match study.def.objective.as_slice() {
        [(m, w)] if *w == 1.0 => m.clone(),
        _ => "weighted objective".to_string(),
    };
    let point = |e: &Estimate| (e.objective_mean, e.value_means[0]);
    let others: Vec<(f64, f64)> = standings
        .iter()
        .filter(|e| pareto.binary_search(&e.candidate).is_err())
        .map(point)
        .collect();
    let mut front: Vec<(f64, f64)> = standings
        .iter()
        .filter(|e| pareto.binary_search(&e.candidate).is_ok())
        .map(point)
        .collect();
    front.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    let mut panel = Panel::new(x_label, format!("{metric} (mean over seeds)"));
    panel.y_include = Vec::new();
    panel.x_pad = 0.04;
    panel.legend = LegendPlace::Below;
    let (lo, hi) = standings
        .iter()
        .map(|e| e.objective_mean)
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), x| {
            (l.min(x), h.max(x))
        });
    if lo.is_finite() {
        panel.lines.push(Line::dashed(
            format!("objective {}", first.text),
            7,
            vec![(lo, first.threshold), (hi, first.threshold)],
        ));
        panel.y_include.push(first.threshold);
    }
    panel.lines.push(Line::points(
        "other candidates (fewer seeds if dropped early)",
        0,
        others,
    ));
    panel.lines.push(Line {
        dots: true,
        ..Line::solid(
            format!(
                "Pareto front ({} is better {})",
                metric,
                if higher_is_better(study) {
                    "higher"
                } else {
                    "lower"
                }
            ),
            3,
            front,
        )
    });
    if let Some(w) = winner {
        panel.lines.push(Line::points(
            "winner (feasible, lowest objective)",
            2,
            vec![point(w)],
        ));
    }
    Some(Chart {
        title: format!("{}: objective against {}", study.def.name, metric),
        panels: vec![panel],
    })
}
