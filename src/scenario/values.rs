//! Shared value readers of the scenario format: distributions (`dist`),
//! placement strategies and constraints, and string and Availability Zone
//! lists. Every section file reads its values through these, so no section
//! file imports another. The values act in `workload` (distributions) and
//! `placement` (strategies, constraints).

use toml::{Table, Value};

use super::reader::{index, join, quoted, Reader};
use crate::market::regions::availability_zones;
use crate::placement::query::Query;
use crate::placement::{BinpackField, Constraint, SpreadField, Strategy, MAX_STRATEGIES};
use crate::sim::SimDuration;
use crate::text::closest;
use crate::workload::Dist;

pub(crate) fn string_list(r: &mut Reader, t: &Table, path: &str, key: &str) -> Option<Vec<String>> {
    t.get(key)?;
    let p = join(path, key);
    let list: Vec<String> = r
        .list(t, path, key)
        .iter()
        .enumerate()
        .filter_map(|(i, v)| r.string(v, &index(&p, i)))
        .collect();
    if list.is_empty() {
        r.err(&p, "expected a non-empty list");
        return None;
    }
    Some(list)
}

/// `availabilityZones`: a non-empty list of zone names of the cluster's
/// `region`, each once (EC2 refuses a subnet in a zone the region lacks).
pub(crate) fn az_list(r: &mut Reader, t: &Table, path: &str, region: &str) -> Option<Vec<String>> {
    let list = string_list(r, t, path, "availabilityZones")?;
    let p = join(path, "availabilityZones");
    let zones = availability_zones(region).unwrap_or(&[]);
    let mut ok = true;
    for (i, az) in list.iter().enumerate() {
        if !zones.contains(&az.as_str()) {
            let hint = match closest(az, zones.iter().copied()) {
                Some(c) if !az.starts_with(region) || c != az => format!("; did you mean \"{c}\"?"),
                _ => String::new(),
            };
            let which = if region == crate::market::regions::DEFAULT_REGION {
                format!("{region}, the region of the catalogue")
            } else {
                format!("{region}, the cluster's region")
            };
            r.err(
                &index(&p, i),
                format!(
                    "\"{az}\" is not an Availability Zone of {which}; expected one of {}{hint}",
                    quoted(zones)
                ),
            );
            ok = false;
        } else if list[..i].contains(az) {
            r.err(&index(&p, i), format!("\"{az}\" is listed twice"));
            ok = false;
        }
    }
    ok.then_some(list)
}

/// `{ distribution = "uniform", min, max }` and friends, or a duration string (constant).
pub(crate) fn dist(r: &mut Reader, v: &Value, path: &str) -> Option<Dist> {
    if let Value::String(_) = v {
        return r.duration(v, path).map(Dist::Constant);
    }
    let known = [
        "distribution",
        "value",
        "min",
        "max",
        "mean",
        "median",
        "sigma",
    ];
    let t = r.table(v, path, &known, &[])?;
    let kind = r.required(t, path, "distribution")?;
    let kind = r.choice(
        kind,
        &join(path, "distribution"),
        &["constant", "uniform", "exponential", "lognormal"],
    )?;
    let need = |r: &mut Reader, key: &str| -> Option<SimDuration> {
        let v = r.required(t, path, key)?;
        r.duration(v, &join(path, key))
    };
    let d = match kind.as_str() {
        "constant" => Dist::Constant(need(r, "value")?),
        "uniform" => {
            let (min, max) = (need(r, "min")?, need(r, "max")?);
            if max < min {
                r.err(&join(path, "max"), format!("must be at least min ({min})"));
                return None;
            }
            Dist::Uniform { min, max }
        }
        "exponential" => Dist::Exponential {
            mean: need(r, "mean")?,
        },
        _ => {
            let median = need(r, "median")?;
            let sigma = r
                .required(t, path, "sigma")
                .and_then(|v| r.number(v, &join(path, "sigma")))?;
            if !(0.0..=10.0).contains(&sigma) {
                r.err(
                    &join(path, "sigma"),
                    format!("expected a number from 0 to 10, found {sigma}"),
                );
                return None;
            }
            Dist::LogNormal { median, sigma }
        }
    };
    Some(d)
}

/// `placementStrategy = [{ type, field }]` (P2–P5).
pub(crate) fn strategies(r: &mut Reader, t: &Table, path: &str) -> Vec<Strategy> {
    let spath = join(path, "placementStrategy");
    let list = r.list(t, path, "placementStrategy");
    if list.len() > MAX_STRATEGIES {
        r.err(
            &spath,
            format!(
                "at most {MAX_STRATEGIES} strategies may be chained (P5), found {}",
                list.len()
            ),
        );
    }
    let mut out = Vec::new();
    for (i, v) in list.iter().enumerate() {
        let p = index(&spath, i);
        let Some(st) = r.table(v, &p, &["type", "field"], &[]) else {
            continue;
        };
        let Some(kind) = r
            .required(st, &p, "type")
            .and_then(|v| r.choice(v, &join(&p, "type"), &["binpack", "spread", "random"]))
        else {
            continue;
        };
        let field = r.opt_string(st, &p, "field");
        let fpath = join(&p, "field");
        match kind.as_str() {
            "binpack" => match field.as_deref() {
                Some("cpu" | "CPU") => out.push(Strategy::Binpack(BinpackField::Cpu)),
                Some("memory" | "MEMORY") => out.push(Strategy::Binpack(BinpackField::Memory)),
                Some(f) => r.err(&fpath, format!("binpack packs on \"cpu\" or \"memory\", found \"{f}\"")),
                None => r.err(&fpath, "binpack needs `field`: \"cpu\" or \"memory\""),
            },
            "spread" => match field.as_deref() {
                Some("instanceId" | "host") => out.push(Strategy::Spread(SpreadField::InstanceId)),
                Some(f) if f.starts_with("attribute:") && f.len() > "attribute:".len() => {
                    out.push(Strategy::Spread(SpreadField::Attribute(f["attribute:".len()..].to_string())))
                }
                Some(f) => r.err(
                    &fpath,
                    format!("spread needs \"instanceId\", \"host\" or \"attribute:<name>\" (e.g. \"attribute:ecs.availability-zone\"), found \"{f}\""),
                ),
                None => r.err(&fpath, "spread needs `field`, e.g. \"attribute:ecs.availability-zone\""),
            },
            // P4: `field` is not used by random.
            _ => out.push(Strategy::Random),
        }
    }
    out
}

/// One `{ type, expression }` constraint (P7).
pub(crate) fn constraint(r: &mut Reader, v: &Value, path: &str) -> Option<Constraint> {
    let t = r.table(v, path, &["type", "expression"], &[])?;
    let kind = r.required(t, path, "type")?;
    let kind = r.choice(kind, &join(path, "type"), &["distinctInstance", "memberOf"])?;
    if kind == "distinctInstance" {
        if t.contains_key("expression") {
            r.err(
                &join(path, "expression"),
                "distinctInstance takes no expression",
            );
        }
        return Some(Constraint::DistinctInstance);
    }
    let expr = r.req_string(t, path, "expression")?;
    match Query::parse(&expr) {
        Ok(q) => Some(Constraint::MemberOf(q)),
        Err(e) => {
            r.err(&join(path, "expression"), format!("{e} in `{expr}`"));
            None
        }
    }
}

pub(crate) fn constraints(r: &mut Reader, t: &Table, path: &str) -> Vec<Constraint> {
    let cpath = join(path, "placementConstraints");
    r.list(t, path, "placementConstraints")
        .iter()
        .enumerate()
        .filter_map(|(i, v)| constraint(r, v, &index(&cpath, i)))
        .collect()
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn value(text: &str) -> Value {
        let t: Table = toml::from_str(&format!("v = {text}")).expect("test TOML");
        t["v"].clone()
    }

    #[test]
    fn a_duration_string_is_a_constant_distribution() {
        let mut r = Reader::new(Path::new("s.toml"));
        let d = dist(&mut r, &value("\"90s\""), "x");
        assert_eq!(d, Some(Dist::Constant(SimDuration::from_secs(90))));
        assert!(r.issues.is_empty());
    }

    #[test]
    fn a_uniform_distribution_with_max_below_min_names_the_field() {
        let mut r = Reader::new(Path::new("s.toml"));
        let v = value("{ distribution = \"uniform\", min = \"20s\", max = \"10s\" }");
        assert_eq!(dist(&mut r, &v, "cluster.imagePullTime"), None);
        assert_eq!(r.issues.len(), 1);
        assert_eq!(r.issues[0].path, "cluster.imagePullTime.max");
        assert!(r.issues[0].message.starts_with("must be at least min"));
    }

    #[test]
    fn distinct_instance_takes_no_expression() {
        // ECS-MODEL P7
        let mut r = Reader::new(Path::new("s.toml"));
        let v = value("{ type = \"distinctInstance\", expression = \"attribute:x == y\" }");
        assert!(matches!(
            constraint(&mut r, &v, "c"),
            Some(Constraint::DistinctInstance)
        ));
        assert_eq!(r.issues[0].path, "c.expression");
    }
}
