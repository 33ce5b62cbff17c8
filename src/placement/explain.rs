//! A placement decision narrated step by step, for teaching (`ecsim explain`).

use std::fmt::Write;

use super::reference::Keys;
use super::{Policy, Step};
use crate::model::{Cluster, InstanceId, TaskReq, Unfit};

/// What happened to every instance during one decision.
#[derive(Debug, Clone)]
pub struct Explanation {
    /// Strategies, in ECS notation.
    pub strategies: Vec<String>,
    /// Constraints, in ECS notation.
    pub constraints: Vec<String>,
    pub(crate) steps: Vec<Step>,
    /// Instances filtered out, with the first check they failed (and the
    /// index of the failing constraint, for `Attribute`).
    pub filtered: Vec<(InstanceId, Unfit, Option<usize>)>,
    /// Candidates with their key per strategy and their tie-break rank.
    pub candidates: Vec<(InstanceId, Keys, u64)>,
    /// The winner.
    pub chosen: Option<InstanceId>,
    /// The closest-match reason when nothing fits (P9).
    pub reason: Option<Unfit>,
}

impl Explanation {
    pub(crate) fn new(policy: &Policy, steps: super::Steps) -> Self {
        Explanation {
            strategies: policy.strategies().iter().map(|s| s.describe()).collect(),
            constraints: policy.constraints().iter().map(|c| c.describe()).collect(),
            steps: steps.to_vec(),
            filtered: Vec::new(),
            candidates: Vec::new(),
            chosen: None,
            reason: None,
        }
    }

    /// A multi-line narration of the decision.
    pub fn render(&self, cluster: &Cluster, req: &TaskReq) -> String {
        let mut out = String::new();
        let group = cluster.group_name(req.group);
        let _ = writeln!(
            out,
            "  task group {group}: needs {} cpu units, {} MiB{}{}",
            req.reservation.cpu,
            req.reservation.memory,
            if req.ports.is_empty() {
                String::new()
            } else {
                format!(
                    ", host ports {}",
                    req.ports
                        .iter()
                        .map(|p| p.port.to_string())
                        .collect::<Vec<_>>()
                        .join(",")
                )
            },
            if req.needs_eni {
                ", one ENI (awsvpc)"
            } else {
                ""
            }
        );
        let chain = if self.strategies.is_empty() {
            "(none)".to_string()
        } else {
            self.strategies.join(" -> ")
        };
        let _ = writeln!(out, "  strategies: {chain}");
        if !self.constraints.is_empty() {
            let _ = writeln!(out, "  constraints: {}", self.constraints.join(", "));
        }
        let active = cluster.instances().iter().filter(|i| i.is_active()).count();
        let _ = writeln!(
            out,
            "  1. candidates: {active} ACTIVE instances; {} filtered out, {} left",
            self.filtered.len(),
            self.candidates.len()
        );
        for &(id, why, failed) in &self.filtered {
            let inst = cluster.instance(id);
            let rem = inst.remaining();
            let detail = match why {
                Unfit::Cpu => format!("CPU: {} units free, needs {}", rem.cpu, req.reservation.cpu),
                Unfit::Memory => {
                    format!(
                        "MEMORY: {} MiB free, needs {}",
                        rem.memory, req.reservation.memory
                    )
                }
                Unfit::Ports => "PORTS: a required host port is taken".to_string(),
                Unfit::Eni => format!("ENI: {} of {} used", inst.enis_used, inst.eni_capacity),
                Unfit::Attribute => match failed.and_then(|i| self.constraints.get(i)) {
                    Some(c) => format!("ATTRIBUTE: fails {c}"),
                    None => "ATTRIBUTE: fails a placement constraint".to_string(),
                },
                Unfit::NoInstances => "not ACTIVE".to_string(),
            };
            let _ = writeln!(
                out,
                "     - {} filtered out: {detail}",
                describe_instance(cluster, id)
            );
        }
        let mut left: Vec<&(InstanceId, Keys, u64)> = self.candidates.iter().collect();
        for (level, (step, name)) in self.steps.iter().zip(&self.strategies).enumerate() {
            if left.is_empty() {
                break;
            }
            if *step == Step::Random {
                let _ = writeln!(
                    out,
                    "  {}. {name}: one of the {} candidates, drawn uniformly",
                    level + 2,
                    left.len()
                );
                left.clear();
                break;
            }
            let best = left.iter().map(|c| c.1[level]).min().unwrap_or(0);
            let shown = match step {
                Step::SpreadAttr(a) => {
                    // One entry per attribute value: the group's task count there.
                    let mut values: Vec<(String, u64)> = Vec::new();
                    for c in &left {
                        let v = cluster
                            .instance(c.0)
                            .attribute(*a)
                            .map(|v| cluster.attrs.value_str(v).to_string())
                            .unwrap_or_else(|| "(none)".into());
                        if !values.iter().any(|(x, _)| *x == v) {
                            values.push((v, c.1[level]));
                        }
                    }
                    values.sort();
                    values
                        .iter()
                        .map(|(v, k)| format!("{v}={}", key_text(*step, *k)))
                        .collect::<Vec<_>>()
                        .join(" ")
                }
                _ => {
                    let mut items: Vec<String> = left
                        .iter()
                        .take(12)
                        .map(|c| format!("{}={}", short(cluster, c.0), key_text(*step, c.1[level])))
                        .collect();
                    if left.len() > 12 {
                        items.push(format!("(+{} more)", left.len() - 12));
                    }
                    items.join(" ")
                }
            };
            left.retain(|c| c.1[level] == best);
            let _ = writeln!(
                out,
                "  {}. {name}: {shown} -> best {} keeps {} instance{}",
                level + 2,
                key_text(*step, best),
                left.len(),
                if left.len() == 1 { "" } else { "s" }
            );
        }
        if left.len() > 1 {
            let seeded = left.iter().any(|c| c.2 >> 32 != 0);
            let _ = writeln!(
                out,
                "  tie-break among {}: {}",
                left.len(),
                if seeded {
                    "seeded random instance order (P5)"
                } else {
                    "lowest instance id (tieBreak = lowest-id)"
                }
            );
        }
        match (self.chosen, self.reason) {
            (Some(id), _) => {
                let _ = writeln!(out, "  => placed on {}", describe_instance(cluster, id));
            }
            (None, Some(r)) => {
                let _ = writeln!(
                    out,
                    "  => unable to place: no container instance met all of its requirements (closest match: {})",
                    r.as_str()
                );
            }
            (None, None) => {}
        }
        out
    }
}

fn key_text(step: Step, key: u64) -> String {
    match step {
        Step::Binpack(super::BinpackField::Cpu) => format!("{key}cpu"),
        Step::Binpack(super::BinpackField::Memory) => format!("{key}MiB"),
        Step::SpreadInstance | Step::SpreadAttr(_) => {
            format!("{key} task{}", if key == 1 { "" } else { "s" })
        }
        Step::Random => format!("#{}", key % 10_000),
    }
}

/// `i-0ec00000000000003(us-east-1b)`: the instance id every CSV uses.
fn short(cluster: &Cluster, id: InstanceId) -> String {
    let inst = cluster.instance(id);
    format!("{}({})", inst.ec2_instance_id, inst.az)
}

/// `i-0ec00000000000003 (m6i.large, us-east-1b, 1024 cpu / 4096 MiB free)`,
/// named by the EC2 instance id that `tasks.csv` and `instances.csv` use.
pub fn describe_instance(cluster: &Cluster, id: InstanceId) -> String {
    let inst = cluster.instance(id);
    let rem = inst.remaining();
    format!(
        "{} ({}, {}, {} cpu / {} MiB free)",
        inst.ec2_instance_id, inst.instance_type, inst.az, rem.cpu, rem.memory
    )
}
