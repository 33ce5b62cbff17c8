//! `[slo]`: service-level objectives judged on every run
//! (`objectives = ["services.web.availability >= 99.9", ...]`), the share
//! of the desired count partial availability asks for
//! (`availabilityShare`, default 0.9), and the confidence of the intervals
//! sweeps give for the share of seeds meeting each objective (`confidence`,
//! default 0.95). Objectives are parsed and resolved here, against the
//! scenario's services and job streams (src/slo); the engine judges them.

use toml::{Table, Value};

use super::reader::{index, join, type_name, Reader};
use crate::engine::SloSpec;
use crate::slo::{Objective, Resolved};

const FIELDS: &[&str] = &["objectives", "availabilityShare", "confidence"];

/// The `[slo]` section of `root` (defaults without one); `services` and
/// `jobs` are the names objectives may refer to.
pub(crate) fn section(r: &mut Reader, root: &Table, services: &[&str], jobs: &[&str]) -> SloSpec {
    let mut spec = SloSpec::default();
    let Some(v) = root.get("slo") else {
        return spec;
    };
    let Some(t) = r.table(v, "slo", FIELDS, &[]) else {
        return spec;
    };
    if let Some(x) = r.opt_number(t, "slo", "availabilityShare") {
        if x > 0.0 && x <= 1.0 {
            spec.availability_share = x;
        } else {
            r.err(
                "slo.availabilityShare",
                format!("expected a share of the desired count above 0 and at most 1 (e.g. 0.9), found {x}"),
            );
        }
    }
    if let Some(x) = r.opt_number(t, "slo", "confidence") {
        if x > 0.0 && x < 1.0 {
            spec.confidence = x;
        } else {
            r.err(
                "slo.confidence",
                format!("expected a confidence above 0 and below 1 (e.g. 0.95), found {x}"),
            );
        }
    }
    let path = join("slo", "objectives");
    for (i, item) in r.list(t, "slo", "objectives").iter().enumerate() {
        let at = index(&path, i);
        let Value::String(text) = item else {
            r.err(
                &at,
                format!(
                    "expected an objective as a string such as \"services.web.availability >= 99.9\", found {}",
                    type_name(item)
                ),
            );
            continue;
        };
        let resolved = Objective::parse(text).and_then(|objective| {
            let field = objective.resolve(services, jobs)?;
            Ok(Resolved { objective, field })
        });
        match resolved {
            Ok(x) => spec.objectives.push(x),
            Err(e) => r.err(&at, e),
        }
    }
    spec
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn read(text: &str) -> (SloSpec, Vec<String>) {
        let root: Table = text.parse().unwrap();
        let mut r = Reader::new(Path::new("dir/x.toml"));
        let spec = section(&mut r, &root, &["web", "api"], &["etl"]);
        let issues = r.issues.iter().map(|i| i.to_string()).collect();
        (spec, issues)
    }

    #[test]
    fn reads_objectives_share_and_confidence() {
        let (spec, issues) = read(
            r#"[slo]
objectives = ["services.web.availability >= 99.9", "jobs.etl.wait_p99 <= \"60s\"", "dropped <= 0.1"]
availabilityShare = 0.75
confidence = 0.9"#,
        );
        assert!(issues.is_empty(), "{issues:?}");
        let fields: Vec<&str> = spec.objectives.iter().map(|o| o.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "services.web.availability_pct",
                "jobs.etl.wait_p99_s",
                "dropped_pct"
            ]
        );
        assert_eq!((spec.availability_share, spec.confidence), (0.75, 0.9));
        // Without the section: no objectives, the defaults.
        let (spec, issues) = read("name = \"x\"");
        assert!(issues.is_empty() && spec == SloSpec::default());
        assert_eq!((spec.availability_share, spec.confidence), (0.9, 0.95));
    }

    #[test]
    fn errors_name_file_field_index_and_expectation() {
        let (spec, issues) = read(
            r#"[slo]
objectives = ["services.web.availability >= 99.9", "services.wbe.availability >= 99", 3, "jobs.etl.wait_p99 60s"]
availabilityShare = 1.5
confidence = 1
targets = 1"#,
        );
        assert_eq!(spec.objectives.len(), 1);
        let all = issues.join("\n");
        for want in [
            "slo.objectives[1]",
            "no service named \"wbe\"",
            "did you mean \"web\"",
            "slo.objectives[2]",
            "expected an objective as a string",
            "slo.objectives[3]",
            "expected `<metric> <op> <threshold>`",
            "slo.availabilityShare",
            "at most 1",
            "slo.confidence",
            "below 1",
            "slo.targets",
        ] {
            assert!(all.contains(want), "{want} not in:\n{all}");
        }
        assert!(issues.iter().all(|i| i.contains("dir/x.toml")), "{all}");
        assert!(!all.contains("slo.objectives[0]"), "{all}");
    }
}
