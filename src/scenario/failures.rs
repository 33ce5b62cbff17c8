//! `[failures]`: AZ outages and instance failures (ECS-MODEL X1, X4),
//! written inline or replayed from a CSV file. Read here; acts in
//! engine/failures.rs (which documents the model).
//!
//! ```toml
//! [failures]
//! healthCheckGracePeriod = "300s"   # X4: replacement launched after it
//! file = "failures.csv"             # time,kind,target,count,duration
//!
//! [[failures.azOutages]]
//! availabilityZone = "us-east-1a"   # or "random"
//! at = "26h"                        # or an RFC 3339 time, or a distribution
//! duration = "2h"                   # or a distribution
//!
//! [failures.instances]
//! perInstanceHour = 0.0005
//! mtbf = { "m5.large" = "2000h" }
//! at = [{ at = "5h", group = "app", count = 2 }, { at = "6h", instance = "i-0a1b2c3d4e5f67890" }]
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use toml::{Table, Value};

use super::csvfile::CsvFile;
use super::reader::{index, join, quoted, Reader};
use super::units::parse_duration;
use super::values::dist;
use crate::engine::{
    AzChoice, AzOutageSpec, FailureTarget, FailuresSpec, InstanceFailureSpec, InstanceGroupSpec,
    RandomInstanceFailures,
};
use crate::model::InstanceGroupId;
use crate::sim::calendar::parse_instant;
use crate::sim::{SimDuration, SimTime};
use crate::workload::Dist;

/// Above this many failures per instance-hour a rate is a typo (one a
/// minute per instance).
const MAX_RATE_PER_HOUR: f64 = 60.0;

/// What the section needs to know of the rest of the scenario.
pub(crate) struct Known<'a> {
    /// Instance groups.
    pub groups: &'a [&'a InstanceGroupSpec],
    /// The AZs Fargate uses.
    pub fargate_azs: &'a [String],
    /// Wall-clock time of time zero, Unix seconds.
    pub start_epoch_s: i64,
}

impl Known<'_> {
    /// Every AZ of the scenario, sorted.
    fn azs(&self) -> Vec<String> {
        let mut azs: Vec<String> = (self.groups.iter())
            .flat_map(|g| g.availability_zones.iter().cloned())
            .chain(self.fargate_azs.iter().cloned())
            .collect();
        azs.sort();
        azs.dedup();
        azs
    }

    fn group(&self, name: &str) -> Option<InstanceGroupId> {
        (self.groups.iter())
            .position(|g| g.name == name)
            .map(|k| InstanceGroupId(k as u32))
    }

    fn group_names(&self) -> String {
        let names: Vec<&str> = self.groups.iter().map(|g| g.name.as_str()).collect();
        if names.is_empty() {
            "none".into()
        } else {
            quoted(&names)
        }
    }

    /// Whether some instance seed has this EC2 id.
    fn has_instance(&self, ec2: &str) -> bool {
        (self.groups.iter())
            .flat_map(|g| g.instances.iter())
            .any(|s| s.ec2_instance_id.as_deref() == Some(ec2))
    }

    /// A time from the start: a duration (`"26h"`) or an RFC 3339 time at
    /// or after the scenario's start.
    fn moment(&self, text: &str) -> Result<SimTime, String> {
        if let Ok(d) = parse_duration(text) {
            return Ok(SimTime::ZERO + d);
        }
        match parse_instant(text) {
            Some(t) if t >= self.start_epoch_s => {
                Ok(SimTime::ZERO + SimDuration::from_secs((t - self.start_epoch_s) as u64))
            }
            Some(_) => Err(format!("\"{text}\" is before the scenario's startTime")),
            None => Err(format!(
                "expected a duration from the start such as \"26h\" or an RFC 3339 time such as \"2026-01-02T02:00:00Z\", found \"{text}\""
            )),
        }
    }
}

/// Reads `[failures]`; the default (no failures) when absent.
pub(crate) fn failures_section(
    r: &mut Reader,
    root: &Table,
    dir: &Path,
    k: &Known,
) -> FailuresSpec {
    let mut spec = FailuresSpec {
        health_check_grace: FailuresSpec::DEFAULT_GRACE,
        availability_zones: k.azs(),
        ..FailuresSpec::default()
    };
    let Some(v) = root.get("failures") else {
        return spec;
    };
    let known = ["healthCheckGracePeriod", "azOutages", "instances", "file"];
    let Some(t) = r.table(v, "failures", &known, &[]) else {
        return spec;
    };
    if let Some(d) = r.opt_seconds(t, "failures", "healthCheckGracePeriod") {
        spec.health_check_grace = d;
    }
    for (i, v) in r.list(t, "failures", "azOutages").iter().enumerate() {
        let p = index("failures.azOutages", i);
        if let Some(o) = az_outage(r, v, &p, k, &spec.availability_zones) {
            spec.az_outages.push(o);
        }
    }
    if let Some(v) = t.get("instances") {
        let p = "failures.instances";
        let known = ["perInstanceHour", "mtbf", "at"];
        if let Some(it) = r.table(v, p, &known, &[]) {
            let rate = r.opt_number(it, p, "perInstanceHour");
            if rate.is_some_and(|x| !(0.0..=MAX_RATE_PER_HOUR).contains(&x)) {
                r.err(
                    &join(p, "perInstanceHour"),
                    format!("expected failures per running instance-hour, from 0 to {MAX_RATE_PER_HOUR}"),
                );
            }
            let by_type = mtbf(r, it, p, k);
            if rate.is_some() || !by_type.is_empty() {
                spec.random = Some(RandomInstanceFailures {
                    per_instance_hour: rate.unwrap_or(0.0),
                    by_type,
                });
            }
            for (i, v) in r.list(it, p, "at").iter().enumerate() {
                let q = index(&join(p, "at"), i);
                if let Some(f) = scripted(r, v, &q, k) {
                    spec.instance_failures.push(f);
                }
            }
        }
    }
    if let Some(file) = r.opt_string(t, "failures", "file") {
        match read_replay(&dir.join(&file), k, &spec.availability_zones) {
            Ok((outages, instances)) => {
                spec.az_outages.extend(outages);
                spec.instance_failures.extend(instances);
            }
            Err(e) => r.err("failures.file", e),
        }
    }
    // Stable: failures at one time keep their order in the file.
    spec.instance_failures.sort_by_key(|f| f.at);
    spec
}

/// Refuses random failure rates whose replacement launches alone would
/// need more memory than a run may use (each launch keeps an instance
/// record, [`BYTES_PER_INSTANCE`](super::limits::BYTES_PER_INSTANCE)):
/// expected failures = Σ over groups of the larger of `count` and
/// `maxSize` × its highest rate × the horizon in hours.
pub(crate) fn check_size(r: &mut Reader, spec: &crate::engine::SimSpec) {
    let Some(random) = &spec.failures.random else {
        return;
    };
    let hours = spec.horizon.as_millis() as f64 / 3_600_000.0;
    let expected: f64 = (spec.instance_groups.iter())
        .map(|g| {
            let rate = (g.instance_types.iter())
                .map(|t| random.rate(&t.name))
                .fold(0.0, f64::max);
            f64::from(g.count.max(g.max_size)) * rate * hours
        })
        .sum();
    let bytes = expected * super::limits::BYTES_PER_INSTANCE as f64;
    let limit = super::limits::memory_limit() / 2;
    if bytes > limit as f64 {
        r.err(
            "failures.instances",
            format!(
                "the failure rates expect about {expected:.0} failed instances over the run, each replaced by a launch: more than half the memory limit of a run ({} instances at most); lower perInstanceHour or raise mtbf",
                limit / super::limits::BYTES_PER_INSTANCE
            ),
        );
    }
}

/// `at`: a time (duration from the start, RFC 3339 string or TOML date),
/// or a distribution of durations from the start.
fn start(r: &mut Reader, v: &Value, path: &str, k: &Known) -> Option<Dist> {
    match v {
        Value::String(s) => match k.moment(s) {
            Ok(t) => Some(Dist::Constant(t - SimTime::ZERO)),
            Err(e) => {
                r.err(path, e);
                None
            }
        },
        Value::Datetime(_) => {
            let t = r.instant(v, path)?;
            if t < k.start_epoch_s {
                r.err(path, "is before the scenario's startTime");
                return None;
            }
            Some(Dist::Constant(SimDuration::from_secs(
                (t - k.start_epoch_s) as u64,
            )))
        }
        Value::Table(_) => dist(r, v, path),
        other => {
            r.err(
                path,
                format!(
                    "expected a duration from the start such as \"26h\", an RFC 3339 time or a distribution such as {{ distribution = \"uniform\", min = \"1h\", max = \"48h\" }}, found {}",
                    super::reader::describe(other)
                ),
            );
            None
        }
    }
}

fn az_outage(
    r: &mut Reader,
    v: &Value,
    path: &str,
    k: &Known,
    azs: &[String],
) -> Option<AzOutageSpec> {
    let t = r.table(v, path, &["availabilityZone", "at", "duration"], &[])?;
    let az = r.req_string(t, path, "availabilityZone");
    let az = az.and_then(|a| choose_az(r, &join(path, "availabilityZone"), &a, azs));
    let at = r
        .required(t, path, "at")
        .and_then(|v| start(r, v, &join(path, "at"), k));
    let duration = r
        .required(t, path, "duration")
        .and_then(|v| dist(r, v, &join(path, "duration")));
    if duration == Some(Dist::Constant(SimDuration::ZERO)) {
        r.err(&join(path, "duration"), "must be longer than zero");
        return None;
    }
    Some(AzOutageSpec {
        az: az?,
        at: at?,
        duration: duration?,
    })
}

fn choose_az(r: &mut Reader, path: &str, name: &str, azs: &[String]) -> Option<AzChoice> {
    if name == "random" {
        if azs.is_empty() {
            r.err(path, "\"random\" needs an AZ to choose from: the scenario has no instance group or Fargate AZ");
            return None;
        }
        return Some(AzChoice::Random);
    }
    if azs.iter().any(|a| a == name) {
        return Some(AzChoice::Named(name.to_string()));
    }
    let mut choices: Vec<&str> = azs.iter().map(String::as_str).collect();
    choices.push("random");
    r.err(
        path,
        format!(
            "expected one of the scenario's AZs or \"random\": {}; found \"{name}\"",
            quoted(&choices)
        ),
    );
    None
}

/// `mtbf = { "m5.large" = "2000h" }`: a rate of 1 / MTBF per hour.
fn mtbf(r: &mut Reader, t: &Table, path: &str, k: &Known) -> BTreeMap<String, f64> {
    let mut out = BTreeMap::new();
    let Some(v) = t.get("mtbf") else {
        return out;
    };
    let p = join(path, "mtbf");
    let Some(m) = v.as_table() else {
        r.err(
            &p,
            "expected a table of instance type = mean time between failures, e.g. { \"m5.large\" = \"2000h\" }",
        );
        return out;
    };
    for (ty, v) in m {
        let q = join(&p, ty);
        let used = (k.groups.iter()).any(|g| g.instance_types.iter().any(|t| &t.name == ty));
        if !used {
            r.err(&q, format!("no instance group uses instance type \"{ty}\""));
            continue;
        }
        let Some(d) = r.duration(v, &q) else { continue };
        if d.as_millis() < 60_000 {
            r.err(
                &q,
                "expected a mean time between failures of at least one minute",
            );
            continue;
        }
        out.insert(ty.clone(), 3_600_000.0 / d.as_millis() as f64);
    }
    out
}

fn scripted(r: &mut Reader, v: &Value, path: &str, k: &Known) -> Option<InstanceFailureSpec> {
    let t = r.table(v, path, &["at", "group", "instance", "count"], &[])?;
    let at = r
        .required(t, path, "at")
        .and_then(|v| start(r, v, &join(path, "at"), k));
    let at = match at {
        Some(Dist::Constant(d)) => Some(SimTime::ZERO + d),
        Some(_) => {
            r.err(
                &join(path, "at"),
                "expected a time: scripted instance failures happen at a fixed time (use perInstanceHour for random ones)",
            );
            None
        }
        None => None,
    };
    let count = r.opt_u32(t, path, "count");
    let target = match (
        r.opt_string(t, path, "group"),
        r.opt_string(t, path, "instance"),
    ) {
        (Some(g), None) => match k.group(&g) {
            Some(id) => Some(FailureTarget::Group(id)),
            None => {
                r.err(
                    &join(path, "group"),
                    format!(
                        "unknown instance group \"{g}\"; defined: {}",
                        k.group_names()
                    ),
                );
                None
            }
        },
        (None, Some(i)) => {
            if !k.has_instance(&i) {
                r.err(
                    &join(path, "instance"),
                    format!("no instance seed has ec2InstanceId \"{i}\" (instanceGroups[].instances[].ec2InstanceId)"),
                );
                None
            } else if count.is_some_and(|c| c != 1) {
                r.err(
                    &join(path, "count"),
                    "an instance fails once: count must be 1 (or absent) with `instance`",
                );
                None
            } else {
                Some(FailureTarget::Instance(i))
            }
        }
        _ => {
            r.err(path, "expected either `group` (with `count`) or `instance`");
            None
        }
    };
    let count = count.unwrap_or(1);
    if count == 0 {
        r.err(&join(path, "count"), "expected at least 1");
        return None;
    }
    Some(InstanceFailureSpec {
        at: at?,
        target: target?,
        count,
    })
}

/// Reads the replay file: `time,kind,target,count,duration`. `kind` is
/// `az-outage` (target = an AZ, duration required) or `instance` (target =
/// an instance seed's EC2 id, or a group name with `count`, default 1).
fn read_replay(
    path: &Path,
    k: &Known,
    azs: &[String],
) -> Result<(Vec<AzOutageSpec>, Vec<InstanceFailureSpec>), String> {
    let file = CsvFile::read(path)?;
    let need = |n: &str| file.need(n);
    let (c_time, c_kind, c_target) = (need("time")?, need("kind")?, need("target")?);
    let (c_count, c_duration) = (file.col("count"), file.col("duration"));
    let mut outages = Vec::new();
    let mut instances = Vec::new();
    for (line, rec) in file.rows() {
        let get = |c: usize| rec.get(c).unwrap_or("");
        let at_col = |col: &str, m: String| file.at(line, format!("column `{col}`: {m}"));
        let at = k.moment(get(c_time)).map_err(|e| at_col("time", e))?;
        let target = get(c_target);
        let count = match c_count.map(get).filter(|s| !s.is_empty()) {
            None => None,
            Some(s) => match s.parse::<u32>() {
                Ok(n) if n >= 1 => Some(n),
                _ => {
                    return Err(at_col(
                        "count",
                        format!("expected a whole number of instances, at least 1, found \"{s}\""),
                    ))
                }
            },
        };
        let duration = c_duration.map(get).filter(|s| !s.is_empty());
        match get(c_kind) {
            "az-outage" => {
                if !azs.iter().any(|a| a == target) {
                    let list: Vec<&str> = azs.iter().map(String::as_str).collect();
                    return Err(at_col(
                        "target",
                        format!(
                            "expected one of the scenario's AZs ({}), found \"{target}\"",
                            quoted(&list)
                        ),
                    ));
                }
                let d = duration
                    .ok_or_else(|| {
                        at_col(
                            "duration",
                            "an az-outage needs a duration such as \"2h\"".into(),
                        )
                    })
                    .and_then(|s| parse_duration(s).map_err(|e| at_col("duration", e)))?;
                if d == SimDuration::ZERO {
                    return Err(at_col("duration", "must be longer than zero".into()));
                }
                if count.is_some() {
                    return Err(at_col(
                        "count",
                        "an az-outage takes no count (leave it empty)".into(),
                    ));
                }
                outages.push(AzOutageSpec {
                    az: AzChoice::Named(target.to_string()),
                    at: Dist::Constant(at - SimTime::ZERO),
                    duration: Dist::Constant(d),
                });
            }
            "instance" => {
                if duration.is_some() {
                    return Err(at_col(
                        "duration",
                        "an instance failure takes no duration (leave it empty)".into(),
                    ));
                }
                let target = if let Some(g) = k.group(target) {
                    FailureTarget::Group(g)
                } else if k.has_instance(target) {
                    if count.is_some_and(|c| c != 1) {
                        return Err(at_col(
                            "count",
                            "an instance fails once: count must be 1 or empty".into(),
                        ));
                    }
                    FailureTarget::Instance(target.to_string())
                } else {
                    return Err(at_col(
                        "target",
                        format!(
                            "expected an instance group name ({}) or an instance seed's ec2InstanceId, found \"{target}\"",
                            k.group_names()
                        ),
                    ));
                };
                instances.push(InstanceFailureSpec {
                    at,
                    target,
                    count: count.unwrap_or(1),
                });
            }
            other => {
                return Err(at_col(
                    "kind",
                    format!("expected \"az-outage\" or \"instance\", found \"{other}\""),
                ))
            }
        }
    }
    Ok((outages, instances))
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = r#"
name = "f"
duration = "2d"
[[instanceGroups]]
name = "app"
instanceTypes = ["m5.large"]
availabilityZones = ["us-east-1a", "us-east-1b"]
count = 2
instances = [{ ec2InstanceId = "i-0a1b2c3d4e5f67890" }]
"#;

    fn replay(text: &str) -> Result<(Vec<AzOutageSpec>, Vec<InstanceFailureSpec>), String> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("failures.csv");
        std::fs::write(&path, text).unwrap();
        let sc = crate::scenario::load_str(BASE, &dir.path().join("s.toml"), &[]).unwrap();
        let groups: Vec<&InstanceGroupSpec> = sc.spec.instance_groups.iter().collect();
        let k = Known {
            groups: &groups,
            fargate_azs: &[],
            start_epoch_s: sc.spec.start_epoch_s,
        };
        read_replay(&path, &k, &k.azs())
            .map_err(|e| e.replace(&*dir.path().to_string_lossy(), "DIR"))
    }

    /// The errors of `[failures]` written inline, one line each.
    fn inline_errors(section: &str) -> String {
        let text = format!("{BASE}\n{section}");
        match crate::scenario::load_str(&text, Path::new("s.toml"), &[]) {
            Ok(_) => panic!("expected an error for {section}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn inline_errors_name_the_field_and_what_was_expected() {
        let cases = [
            (
                "[[failures.azOutages]]\navailabilityZone = \"us-east-1c\"\nat = \"1h\"\nduration = \"1h\"",
                "failures.azOutages[0].availabilityZone",
                "expected one of the scenario's AZs or \"random\"",
            ),
            (
                "[[failures.azOutages]]\navailabilityZone = \"random\"\nat = 5\nduration = \"1h\"",
                "failures.azOutages[0].at",
                "expected a duration from the start",
            ),
            (
                "[[failures.azOutages]]\navailabilityZone = \"us-east-1a\"\nat = \"1h\"\nduration = \"0s\"",
                "failures.azOutages[0].duration",
                "must be longer than zero",
            ),
            (
                "[failures.instances]\nperInstanceHour = -1",
                "failures.instances.perInstanceHour",
                "expected failures per running instance-hour",
            ),
            (
                "[failures.instances]\nmtbf = { \"c5.large\" = \"100h\" }",
                "failures.instances.mtbf.c5.large",
                "no instance group uses instance type",
            ),
            (
                "[failures.instances]\nat = [{ at = \"1h\", group = \"web\" }]",
                "failures.instances.at[0].group",
                "unknown instance group \"web\"",
            ),
            (
                "[failures.instances]\nat = [{ at = { distribution = \"uniform\", min = \"1h\", max = \"2h\" }, group = \"app\" }]",
                "failures.instances.at[0].at",
                "scripted instance failures happen at a fixed time",
            ),
            (
                "[failures]\nfile = \"missing.csv\"",
                "failures.file",
                "missing.csv",
            ),
            (
                "[failures]\nazOutage = []",
                "failures.azOutage",
                "did you mean `azOutages`",
            ),
        ];
        for (section, field, want) in cases {
            let e = inline_errors(section);
            assert!(e.contains(field) && e.contains(want), "{section}\n=> {e}");
        }
        // A group that may grow to 5,000 instances failing once a minute
        // each for two days: 14.4 million replacement launches.
        let text = format!("{BASE}\n[failures.instances]\nperInstanceHour = 60")
            .replace("count = 2", "count = 2\nmaxSize = 5000");
        let e = crate::scenario::load_str(&text, Path::new("s.toml"), &[])
            .expect_err("refused")
            .to_string();
        assert!(
            e.contains("failures.instances") && e.contains("14400000 failed instances"),
            "{e}"
        );
    }

    #[test]
    fn replay_reads_outages_and_instance_failures() {
        let (o, i) = replay(
            "time,kind,target,count,duration\n\
             26h,az-outage,us-east-1a,,2h\n\
             2026-01-01T05:00:00Z,instance,app,2,\n\
             6h,instance,i-0a1b2c3d4e5f67890,,\n",
        )
        .unwrap();
        assert_eq!(o.len(), 1);
        assert_eq!(o[0].az, AzChoice::Named("us-east-1a".into()));
        assert_eq!(o[0].at, Dist::Constant(SimDuration::from_secs(26 * 3600)));
        assert_eq!(o[0].duration, Dist::Constant(SimDuration::from_secs(7200)));
        assert_eq!(i.len(), 2);
        assert_eq!(i[0].at, SimTime(5 * 3_600_000));
        assert_eq!(i[0].target, FailureTarget::Group(InstanceGroupId(0)));
        assert_eq!(i[0].count, 2);
        assert_eq!(
            i[1].target,
            FailureTarget::Instance("i-0a1b2c3d4e5f67890".into())
        );
    }

    #[test]
    fn replay_errors_name_the_file_line_column_and_what_was_expected() {
        let cases = [
            (
                "time,kind,target,count,duration\n1h,az-outage,us-east-1z,,2h\n",
                "DIR/failures.csv: line 2: column `target`: expected one of the scenario's AZs (\"us-east-1a\" or \"us-east-1b\"), found \"us-east-1z\"",
            ),
            (
                "time,kind,target,count,duration\n1h,az-outage,us-east-1a,,2h\nsoon,instance,app,1,\n",
                "DIR/failures.csv: line 3: column `time`: expected a duration from the start such as \"26h\" or an RFC 3339 time such as \"2026-01-02T02:00:00Z\", found \"soon\"",
            ),
            (
                "time,kind,target,count,duration\n1h,az-outage,us-east-1a,,\n",
                "DIR/failures.csv: line 2: column `duration`: an az-outage needs a duration such as \"2h\"",
            ),
            (
                "time,kind,target,count,duration\n1h,outage,us-east-1a,,2h\n",
                "DIR/failures.csv: line 2: column `kind`: expected \"az-outage\" or \"instance\", found \"outage\"",
            ),
            (
                "time,kind,target,count,duration\n1h,instance,app,two,\n",
                "DIR/failures.csv: line 2: column `count`: expected a whole number of instances, at least 1, found \"two\"",
            ),
            (
                "time,kind,target,count,duration\n1h,instance,web,1,\n",
                "DIR/failures.csv: line 2: column `target`: expected an instance group name (\"app\") or an instance seed's ec2InstanceId, found \"web\"",
            ),
            (
                "time,kind,target,count,duration\n1h,instance,i-0a1b2c3d4e5f67890,3,\n",
                "DIR/failures.csv: line 2: column `count`: an instance fails once: count must be 1 or empty",
            ),
            (
                "time,kind,count\n1h,instance,1\n",
                "DIR/failures.csv: line 1: missing column `target`",
            ),
            (
                "time,kind,target,count,duration\n2025-12-31T00:00:00Z,instance,app,1,\n",
                "DIR/failures.csv: line 2: column `time`: \"2025-12-31T00:00:00Z\" is before the scenario's startTime",
            ),
        ];
        for (text, want) in cases {
            assert_eq!(replay(text).err().as_deref(), Some(want), "{text}");
        }
    }
}
