//! Reserved Instances and Savings Plans (ECS-MODEL B3) applied hour by hour
//! to on-demand usage, as AWS bills them:
//!
//! 1. **Reserved Instances** (standard, regional, Linux, shared tenancy)
//!    first. A regional RI is size-flexible inside its family: it brings
//!    `count × normalization factor` units each hour (nano 0.25, micro 0.5,
//!    small 1, medium 2, large 4, xlarge 8, 2xlarge 16, … 32xlarge 256; see
//!    [`normalization_factor`]), spent on the family's running instances
//!    from the smallest size up, as AWS documents. Its fee (count × the
//!    effective hourly rate) is due every hour; the units no instance used
//!    are waste.
//! 2. **EC2 Instance Savings Plans** next: an hourly commitment in one
//!    family and region, spent on that family's usage left uncovered, the
//!    usage with the highest savings percentage first.
//! 3. **Compute Savings Plans** last: any family, any region, and Fargate,
//!    again highest savings percentage first.
//!
//! A Savings Plan buys usage at its own rate: the rate of the type in the
//! user's rate file, or on-demand × (1 − the plan's discount). Once the
//! commitment is spent, the rest of the hour is billed on-demand; what is
//! left of it is unused commitment. No Savings Plan rate is built in (AWS
//! publishes no machine-readable table this project could ship).
//!
//! Pure arithmetic over [`Ec2UsageHour`] and [`FargateUsageHour`]: no
//! clock, no ledger, no I/O. Depends on `crate::cost::usage` and
//! `crate::market::regions` (the term) only.

use std::collections::BTreeMap;

use serde::Serialize;

pub use crate::cost::usage::{Ec2UsageHour, FargateUsageHour};
pub use crate::market::regions::Term;

/// Seconds per hour.
const SECONDS_PER_HOUR: f64 = 3600.0;

/// AWS's normalization factor of an instance size (the part of the type
/// name after the dot), for Reserved Instance size flexibility: nano 0.25,
/// micro 0.5, small 1, medium 2, large 4, xlarge 8, then 8 per "x" (2xlarge
/// 16, 4xlarge 32, … 32xlarge 256, 48xlarge 384). `None` for a size that is
/// not `<n>xlarge` or one of the named ones (a bare-metal size: see
/// [`metal_factor`]).
pub fn normalization_factor(instance_type: &str) -> Option<f64> {
    let size = instance_type.split_once('.').map(|(_, s)| s)?;
    let named = match size {
        "nano" => Some(0.25),
        "micro" => Some(0.5),
        "small" => Some(1.0),
        "medium" => Some(2.0),
        "large" => Some(4.0),
        "xlarge" => Some(8.0),
        _ => None,
    };
    if named.is_some() {
        return named;
    }
    let n = size.strip_suffix("xlarge")?.parse::<u32>().ok()?;
    (n >= 2).then(|| 8.0 * f64::from(n))
}

/// The normalization factor of a bare-metal size (`m5.metal`), which AWS
/// sets to that of the virtualized size with the same vCPUs: 2 per vCPU
/// (m5.metal, 96 vCPU, counts as m5.24xlarge, 192).
pub fn metal_factor(vcpu: u32) -> f64 {
    2.0 * f64::from(vcpu)
}

/// The family of an instance type: the part before the dot (`m5`).
pub fn family(instance_type: &str) -> &str {
    instance_type.split('.').next().unwrap_or(instance_type)
}

/// A standard, regional Reserved Instance purchase (ECS-MODEL B3).
#[derive(Debug, Clone, PartialEq)]
pub struct ReservedInstance {
    /// Name in the outputs.
    pub name: String,
    /// The instance type reserved (`m5.xlarge`); its family is what it covers.
    pub instance_type: String,
    /// The region it was bought in; it covers usage of that region only.
    pub region: String,
    /// How many instances of `instance_type`.
    pub count: u32,
    /// Term.
    pub term: Term,
    /// Effective rate per instance, USD per hour (all upfront ÷ hours of the term).
    pub usd_per_hour: f64,
    /// On-demand price of `instance_type` in `region`, USD per hour: what
    /// the reservation would cover if fully used.
    pub on_demand_usd_per_hour: f64,
}

/// The two Savings Plan types.
#[derive(Debug, Clone, PartialEq)]
pub enum PlanType {
    /// Any EC2 family and region, and Fargate.
    Compute,
    /// One EC2 family in one region.
    Ec2Instance {
        /// The family (`m5`).
        family: String,
        /// The region.
        region: String,
    },
}

impl PlanType {
    /// The name in the outputs and rate files: `compute_savings_plan` or
    /// `ec2_instance_savings_plan`.
    pub fn as_str(&self) -> &'static str {
        match self {
            PlanType::Compute => "compute_savings_plan",
            PlanType::Ec2Instance { .. } => "ec2_instance_savings_plan",
        }
    }
}

/// A Savings Plan (ECS-MODEL B3).
#[derive(Debug, Clone, PartialEq)]
pub struct SavingsPlan {
    /// Name in the outputs.
    pub name: String,
    /// Compute or EC2 Instance.
    pub plan: PlanType,
    /// Term.
    pub term: Term,
    /// Hourly commitment, USD per hour of Savings Plan rates.
    pub usd_per_hour: f64,
    /// The plan's rate per instance type, USD per instance-hour (from the
    /// user's rate file); a type listed here is bought at this rate.
    pub rates: BTreeMap<String, f64>,
    /// Discount off on-demand, percent in [0, 100), for EC2 types without
    /// a rate; `None`: such usage is not covered.
    pub discount_pct: Option<f64>,
    /// Discount off on-demand for Fargate, percent in [0, 100) (Compute
    /// plans only); `None`: Fargate is not covered.
    pub fargate_discount_pct: Option<f64>,
}

/// Every commitment of a scenario, and what the arithmetic needs to know of
/// the instance types.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Commitments {
    /// The region the usage runs in.
    pub region: String,
    /// Reserved Instances, applied in this order.
    pub reserved: Vec<ReservedInstance>,
    /// Savings Plans; EC2 Instance plans before Compute plans, each kind in
    /// this order.
    pub savings_plans: Vec<SavingsPlan>,
    /// Normalization factors of types [`normalization_factor`] cannot name
    /// (bare metal), by type.
    pub factors: BTreeMap<String, f64>,
}

/// What kind of commitment a line is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CommitmentKind {
    /// A Reserved Instance.
    ReservedInstance,
    /// An EC2 Instance Savings Plan.
    Ec2InstanceSavingsPlan,
    /// A Compute Savings Plan.
    ComputeSavingsPlan,
}

impl CommitmentKind {
    /// The name in `commitments.csv`.
    pub fn as_str(self) -> &'static str {
        match self {
            CommitmentKind::ReservedInstance => "reserved-instance",
            CommitmentKind::Ec2InstanceSavingsPlan => "ec2-instance-savings-plan",
            CommitmentKind::ComputeSavingsPlan => "compute-savings-plan",
        }
    }
}

/// One commitment in one hour.
#[derive(Debug, Clone, PartialEq)]
pub struct CommitmentHour {
    /// Hour of the run (0-based).
    pub hour: u32,
    /// The commitment's name.
    pub name: String,
    /// Its kind.
    pub kind: CommitmentKind,
    /// What it costs this hour, USD (paid whether used or not).
    pub fee_usd: f64,
    /// On-demand value of the usage it covered, USD.
    pub covered_on_demand_usd: f64,
    /// The part of the fee that bought usage, USD.
    pub used_usd: f64,
    /// The part of the fee nothing used (waste), USD.
    pub unused_usd: f64,
    /// On-demand value it could cover if fully used, USD.
    pub capacity_on_demand_usd: f64,
}

/// One hour of the whole run's on-demand usage under its commitments.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct UsageHour {
    /// Hour of the run (0-based).
    pub hour: u32,
    /// Usage commitments may cover (EC2 on-demand and Fargate) at
    /// on-demand rates, USD.
    pub on_demand_usd: f64,
    /// The part of it commitments covered, USD.
    pub covered_on_demand_usd: f64,
    /// The part billed on-demand, USD.
    pub uncovered_usd: f64,
    /// Commitment fees, USD.
    pub fee_usd: f64,
    /// Fees nothing used, USD.
    pub unused_usd: f64,
    /// On-demand value the commitments could cover if fully used, USD.
    pub capacity_on_demand_usd: f64,
}

impl UsageHour {
    /// What the hour's eligible usage costs: fees plus uncovered usage.
    pub fn billed_usd(&self) -> f64 {
        self.fee_usd + self.uncovered_usd
    }
}

/// The settlement of a run: per hour and per commitment.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Settlement {
    /// Every hour of the run, in order.
    pub hours: Vec<UsageHour>,
    /// Every commitment in every hour, hour by hour, each hour in the
    /// order RIs, EC2 Instance plans, Compute plans.
    pub lines: Vec<CommitmentHour>,
}

/// A commitment's totals over the run (`summary.json`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CommitmentTotal {
    /// Name.
    pub name: String,
    /// Kind.
    pub kind: CommitmentKind,
    /// Fees over the run, USD.
    pub fee_usd: f64,
    /// On-demand value covered, USD.
    pub covered_on_demand_usd: f64,
    /// Fees nothing used, USD.
    pub unused_usd: f64,
    /// Used fees over fees, percent.
    pub utilization_pct: f64,
}

/// The commitments part of `summary.json`, present only when a scenario
/// has Reserved Instances or Savings Plans.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct CommitmentSummary {
    /// Fees over the run, USD.
    pub fees_usd: f64,
    /// Eligible usage (EC2 on-demand and Fargate) at on-demand rates, USD.
    pub on_demand_usd: f64,
    /// The part covered, USD.
    pub covered_on_demand_usd: f64,
    /// The part billed on-demand, USD.
    pub uncovered_usd: f64,
    /// Fees nothing used, USD.
    pub unused_usd: f64,
    /// Covered over eligible usage, percent.
    pub coverage_pct: f64,
    /// Used fees over fees, percent.
    pub utilization_pct: f64,
    /// Eligible usage at on-demand rates minus what it was billed (fees +
    /// uncovered), USD; negative when the commitments cost more.
    pub savings_usd: f64,
    /// On-demand value the commitments could cover if fully used, USD.
    pub capacity_on_demand_usd: f64,
    /// Per commitment, in the order applied.
    pub by_commitment: Vec<CommitmentTotal>,
}

fn pct(part: f64, whole: f64) -> f64 {
    if whole > 0.0 {
        100.0 * part / whole
    } else {
        0.0
    }
}

impl CommitmentSummary {
    /// Rounds every amount and percentage with `f` (the outputs' rounding).
    pub fn round(&mut self, f: impl Fn(f64) -> f64) {
        for x in [
            &mut self.fees_usd,
            &mut self.on_demand_usd,
            &mut self.covered_on_demand_usd,
            &mut self.uncovered_usd,
            &mut self.unused_usd,
            &mut self.coverage_pct,
            &mut self.utilization_pct,
            &mut self.savings_usd,
            &mut self.capacity_on_demand_usd,
        ] {
            *x = f(*x);
        }
        for t in &mut self.by_commitment {
            for x in [
                &mut t.fee_usd,
                &mut t.covered_on_demand_usd,
                &mut t.unused_usd,
                &mut t.utilization_pct,
            ] {
                *x = f(*x);
            }
        }
    }
}

impl Settlement {
    /// Totals over the run (unrounded).
    pub fn summary(&self) -> CommitmentSummary {
        let mut s = CommitmentSummary::default();
        for h in &self.hours {
            s.fees_usd += h.fee_usd;
            s.on_demand_usd += h.on_demand_usd;
            s.covered_on_demand_usd += h.covered_on_demand_usd;
            s.uncovered_usd += h.uncovered_usd;
            s.unused_usd += h.unused_usd;
            s.capacity_on_demand_usd += h.capacity_on_demand_usd;
        }
        s.coverage_pct = pct(s.covered_on_demand_usd, s.on_demand_usd);
        s.utilization_pct = pct(s.fees_usd - s.unused_usd, s.fees_usd);
        s.savings_usd = s.on_demand_usd - (s.fees_usd + s.uncovered_usd);
        for l in &self.lines {
            let t = match s.by_commitment.iter_mut().find(|t| t.name == l.name) {
                Some(t) => t,
                None => {
                    s.by_commitment.push(CommitmentTotal {
                        name: l.name.clone(),
                        kind: l.kind,
                        fee_usd: 0.0,
                        covered_on_demand_usd: 0.0,
                        unused_usd: 0.0,
                        utilization_pct: 0.0,
                    });
                    s.by_commitment.last_mut().expect("just pushed")
                }
            };
            t.fee_usd += l.fee_usd;
            t.covered_on_demand_usd += l.covered_on_demand_usd;
            t.unused_usd += l.unused_usd;
        }
        for t in &mut s.by_commitment {
            t.utilization_pct = pct(t.fee_usd - t.unused_usd, t.fee_usd);
        }
        s
    }
}

/// One usage line of an hour being settled: what is still uncovered.
struct Item {
    /// Instance type, or empty for Fargate.
    instance_type: String,
    az: String,
    /// Instance-hours (EC2), 0 for Fargate.
    instance_hours: f64,
    on_demand_usd: f64,
    /// Fraction of the line not yet covered, in [0, 1].
    uncovered: f64,
}

impl Item {
    fn is_fargate(&self) -> bool {
        self.instance_type.is_empty()
    }
}

impl Commitments {
    /// Whether there is anything to apply.
    pub fn is_empty(&self) -> bool {
        self.reserved.is_empty() && self.savings_plans.is_empty()
    }

    /// The normalization factor of `instance_type`, if known.
    pub fn factor(&self, instance_type: &str) -> Option<f64> {
        normalization_factor(instance_type).or_else(|| self.factors.get(instance_type).copied())
    }

    /// ECS-MODEL B3: settles every hour of a run whose hour `h` lasts
    /// `hour_seconds[h]` seconds (3600, less for a last partial hour; fees
    /// are prorated to it). Usage of an hour beyond `hour_seconds` counts
    /// in the last hour.
    pub fn settle(
        &self,
        ec2: &[Ec2UsageHour],
        fargate: &[FargateUsageHour],
        hour_seconds: &[f64],
    ) -> Settlement {
        let n = hour_seconds.len();
        let mut by_hour: Vec<Vec<Item>> = (0..n).map(|_| Vec::new()).collect();
        let last = n.saturating_sub(1);
        for u in ec2 {
            if n == 0 {
                break;
            }
            by_hour[(u.hour as usize).min(last)].push(Item {
                instance_type: u.instance_type.clone(),
                az: u.az.clone(),
                instance_hours: u.instance_seconds / SECONDS_PER_HOUR,
                on_demand_usd: u.on_demand_usd,
                uncovered: 1.0,
            });
        }
        for u in fargate {
            if n == 0 {
                break;
            }
            by_hour[(u.hour as usize).min(last)].push(Item {
                instance_type: String::new(),
                az: String::new(),
                instance_hours: 0.0,
                on_demand_usd: u.on_demand_usd,
                uncovered: 1.0,
            });
        }
        let mut out = Settlement::default();
        for (h, mut items) in by_hour.into_iter().enumerate() {
            let span = hour_seconds[h] / SECONDS_PER_HOUR;
            let hour = h as u32;
            for ri in &self.reserved {
                out.lines
                    .push(self.apply_reserved(ri, hour, span, &mut items));
            }
            for kind in [
                CommitmentKind::Ec2InstanceSavingsPlan,
                CommitmentKind::ComputeSavingsPlan,
            ] {
                for sp in self.savings_plans.iter().filter(|p| kind_of(p) == kind) {
                    out.lines
                        .push(self.apply_plan(sp, kind, hour, span, &mut items));
                }
            }
            let mut u = UsageHour {
                hour,
                ..UsageHour::default()
            };
            for i in &items {
                u.on_demand_usd += i.on_demand_usd;
                u.uncovered_usd += i.on_demand_usd * i.uncovered;
            }
            u.covered_on_demand_usd = u.on_demand_usd - u.uncovered_usd;
            for l in out.lines.iter().filter(|l| l.hour == hour) {
                u.fee_usd += l.fee_usd;
                u.unused_usd += l.unused_usd;
                u.capacity_on_demand_usd += l.capacity_on_demand_usd;
            }
            out.hours.push(u);
        }
        out
    }

    /// A size-flexible RI over one hour: its units go to the family's
    /// uncovered instance-hours, smallest size first (then by type and AZ
    /// name, for a deterministic order).
    fn apply_reserved(
        &self,
        ri: &ReservedInstance,
        hour: u32,
        span: f64,
        items: &mut [Item],
    ) -> CommitmentHour {
        let fee = f64::from(ri.count) * ri.usd_per_hour * span;
        let fam = family(&ri.instance_type);
        let units = self
            .factor(&ri.instance_type)
            .map_or(0.0, |f| f64::from(ri.count) * f * span);
        let mut order: Vec<(f64, usize)> = items
            .iter()
            .enumerate()
            .filter(|(_, i)| {
                ri.region == self.region
                    && !i.is_fargate()
                    && family(&i.instance_type) == fam
                    && i.uncovered > 0.0
            })
            .filter_map(|(k, i)| self.factor(&i.instance_type).map(|f| (f, k)))
            .collect();
        order.sort_by(|a, b| {
            a.0.total_cmp(&b.0)
                .then_with(|| items[a.1].instance_type.cmp(&items[b.1].instance_type))
                .then_with(|| items[a.1].az.cmp(&items[b.1].az))
        });
        let mut left = units;
        let mut covered = 0.0;
        for (f, k) in order {
            if left <= 0.0 {
                break;
            }
            let i = &mut items[k];
            let need = i.uncovered * i.instance_hours * f;
            if need <= 0.0 {
                continue;
            }
            let take = need.min(left);
            let frac = take / (i.instance_hours * f);
            covered += frac * i.on_demand_usd;
            i.uncovered = (i.uncovered - frac).max(0.0);
            left -= take;
        }
        let used = if units > 0.0 {
            fee * (units - left.max(0.0)) / units
        } else {
            0.0
        };
        CommitmentHour {
            hour,
            name: ri.name.clone(),
            kind: CommitmentKind::ReservedInstance,
            fee_usd: fee,
            covered_on_demand_usd: covered,
            used_usd: used,
            unused_usd: fee - used,
            capacity_on_demand_usd: f64::from(ri.count) * ri.on_demand_usd_per_hour * span,
        }
    }

    /// A Savings Plan over one hour: the commitment buys the uncovered
    /// usage it may cover at the plan's rates, highest savings percentage
    /// first (ties by type and AZ name; Fargate sorts as an empty type).
    fn apply_plan(
        &self,
        sp: &SavingsPlan,
        kind: CommitmentKind,
        hour: u32,
        span: f64,
        items: &mut [Item],
    ) -> CommitmentHour {
        let fee = sp.usd_per_hour * span;
        // (savings fraction, index)
        let mut order: Vec<(f64, usize)> = items
            .iter()
            .enumerate()
            .filter(|(_, i)| i.uncovered > 0.0 && i.on_demand_usd > 0.0)
            .filter_map(|(k, i)| self.savings(sp, i).map(|s| (s, k)))
            .collect();
        order.sort_by(|a, b| {
            b.0.total_cmp(&a.0)
                .then_with(|| items[a.1].instance_type.cmp(&items[b.1].instance_type))
                .then_with(|| items[a.1].az.cmp(&items[b.1].az))
        });
        let mut left = fee;
        let mut covered = 0.0;
        let mut covered_at_rate = 0.0;
        for (s, k) in order {
            if left <= 0.0 {
                break;
            }
            let i = &mut items[k];
            let keep = 1.0 - s;
            let cost = i.uncovered * i.on_demand_usd * keep;
            let frac = if cost <= left {
                left -= cost;
                i.uncovered
            } else {
                let f = left / (i.on_demand_usd * keep);
                left = 0.0;
                f
            };
            covered += frac * i.on_demand_usd;
            covered_at_rate += frac * i.on_demand_usd * keep;
            i.uncovered = (i.uncovered - frac).max(0.0);
        }
        let used = fee - left.max(0.0);
        let capacity = if covered_at_rate > 0.0 {
            covered * fee / covered_at_rate
        } else {
            let d = sp.discount_pct.or(sp.fargate_discount_pct).unwrap_or(0.0);
            fee / (1.0 - d / 100.0)
        };
        CommitmentHour {
            hour,
            name: sp.name.clone(),
            kind,
            fee_usd: fee,
            covered_on_demand_usd: covered,
            used_usd: used,
            unused_usd: fee - used,
            capacity_on_demand_usd: capacity,
        }
    }

    /// The savings fraction of `item` under `sp`, or `None` if the plan
    /// does not cover it.
    fn savings(&self, sp: &SavingsPlan, item: &Item) -> Option<f64> {
        if item.is_fargate() {
            return match sp.plan {
                PlanType::Compute => sp.fargate_discount_pct.map(|d| d / 100.0),
                PlanType::Ec2Instance { .. } => None,
            };
        }
        if let PlanType::Ec2Instance { family: f, region } = &sp.plan {
            if *region != self.region || family(&item.instance_type) != f {
                return None;
            }
        }
        match sp.rates.get(&item.instance_type) {
            Some(rate) if item.instance_hours > 0.0 => {
                let od_rate = item.on_demand_usd / item.instance_hours;
                (od_rate > 0.0).then(|| (1.0 - rate / od_rate).clamp(0.0, 1.0))
            }
            _ => sp.discount_pct.map(|d| d / 100.0),
        }
    }
}

fn kind_of(sp: &SavingsPlan) -> CommitmentKind {
    match sp.plan {
        PlanType::Compute => CommitmentKind::ComputeSavingsPlan,
        PlanType::Ec2Instance { .. } => CommitmentKind::Ec2InstanceSavingsPlan,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    fn use_hour(ty: &str, az: &str, secs: f64, usd_per_hour: f64) -> Ec2UsageHour {
        Ec2UsageHour {
            hour: 0,
            instance_type: ty.into(),
            az: az.into(),
            instance_seconds: secs,
            on_demand_usd: usd_per_hour * secs / 3600.0,
        }
    }

    fn ri(ty: &str, count: u32, rate: f64, od: f64) -> ReservedInstance {
        ReservedInstance {
            name: format!("{ty} x{count}"),
            instance_type: ty.into(),
            region: "ap-northeast-2".into(),
            count,
            term: Term::OneYear,
            usd_per_hour: rate,
            on_demand_usd_per_hour: od,
        }
    }

    fn seoul(reserved: Vec<ReservedInstance>, savings_plans: Vec<SavingsPlan>) -> Commitments {
        Commitments {
            region: "ap-northeast-2".into(),
            reserved,
            savings_plans,
            factors: BTreeMap::new(),
        }
    }

    #[test]
    fn normalization_factors_follow_aws() {
        // ECS-MODEL B3: AWS's table, nano 0.25 … 32xlarge 256.
        let cases = [
            ("t3.nano", Some(0.25)),
            ("t3.micro", Some(0.5)),
            ("t3.small", Some(1.0)),
            ("t3.medium", Some(2.0)),
            ("m5.large", Some(4.0)),
            ("m5.xlarge", Some(8.0)),
            ("m5.2xlarge", Some(16.0)),
            ("m5.4xlarge", Some(32.0)),
            ("c5.9xlarge", Some(72.0)),
            ("m5.24xlarge", Some(192.0)),
            ("m6i.32xlarge", Some(256.0)),
            ("m5.metal", None),
            ("m5", None),
        ];
        for (ty, want) in cases {
            assert_eq!(normalization_factor(ty), want, "{ty}");
        }
        // m5.metal (96 vCPU) counts as m5.24xlarge.
        assert_eq!(metal_factor(96), 192.0);
    }

    #[test]
    fn one_m5_xlarge_ri_covers_two_m5_large() {
        // ECS-MODEL B3 (size flexibility): one m5.xlarge RI = 8 units; two
        // m5.large running the whole hour need 2 × 4 = 8 units: all
        // covered. Seoul: RI 1yr m5.xlarge 0.137215/h; on-demand m5.large
        // 0.118/h, so 2 × 0.118 = 0.236 covered and nothing on-demand.
        let c = seoul(vec![ri("m5.xlarge", 1, 0.137215, 0.236)], vec![]);
        let usage = [
            use_hour("m5.large", "ap-northeast-2a", 3600.0, 0.118),
            use_hour("m5.large", "ap-northeast-2b", 3600.0, 0.118),
        ];
        let s = c.settle(&usage, &[], &[3600.0]);
        let h = &s.hours[0];
        assert!(close(h.on_demand_usd, 0.236), "{h:?}");
        assert!(close(h.covered_on_demand_usd, 0.236), "{h:?}");
        assert!(close(h.uncovered_usd, 0.0), "{h:?}");
        assert!(close(h.fee_usd, 0.137215), "{h:?}");
        assert!(close(h.unused_usd, 0.0), "{h:?}");
        assert!(close(h.billed_usd(), 0.137215), "{h:?}");
        // A third m5.large is not covered: 0.118 on-demand.
        let mut more = usage.to_vec();
        more.push(use_hour("m5.large", "ap-northeast-2c", 3600.0, 0.118));
        let h = &c.settle(&more, &[], &[3600.0]).hours[0];
        assert!(close(h.uncovered_usd, 0.118), "{h:?}");
        // An m5.xlarge RI does not cover an m6i.large (another family).
        let other = [use_hour("m6i.large", "ap-northeast-2a", 3600.0, 0.118)];
        let h = &c.settle(&other, &[], &[3600.0]).hours[0];
        assert!(close(h.covered_on_demand_usd, 0.0), "{h:?}");
        assert!(close(h.unused_usd, 0.137215), "{h:?}");
    }

    #[test]
    fn unused_ri_is_billed_as_waste() {
        // ECS-MODEL B3: two m5.large RIs (2 × 4 = 8 units, 2 × 0.068607 =
        // 0.137214 $/h) and one m5.large running half the hour (4 × 0.5 =
        // 2 units): 2 / 8 used, so 0.137214 × 6 / 8 = 0.1029105 is waste;
        // the hour costs the full fee 0.137214, nothing on-demand.
        let c = seoul(vec![ri("m5.large", 2, 0.068607, 0.118)], vec![]);
        let usage = [use_hour("m5.large", "ap-northeast-2a", 1800.0, 0.118)];
        let s = c.settle(&usage, &[], &[3600.0]);
        let h = &s.hours[0];
        assert!(close(h.fee_usd, 0.137214), "{h:?}");
        assert!(close(h.unused_usd, 0.137214 * 0.75), "{h:?}");
        assert!(close(h.unused_usd, 0.1029105), "{h:?}");
        assert!(close(h.covered_on_demand_usd, 0.059), "{h:?}");
        assert!(close(h.billed_usd(), 0.137214), "{h:?}");
        // An hour with no usage at all: the whole fee is waste.
        let s = c.settle(&[], &[], &[3600.0, 3600.0]);
        assert_eq!(s.hours.len(), 2);
        assert!(close(s.hours[1].unused_usd, 0.137214));
        let sum = s.summary();
        assert!(close(sum.fees_usd, 0.274428));
        assert!(close(sum.utilization_pct, 0.0));
        assert!(close(sum.savings_usd, -0.274428));
        // RIs go to the smallest size first: one m5.large RI (4 units) with
        // an m5.large and an m5.xlarge running: the m5.large is covered,
        // the m5.xlarge is not.
        let c = seoul(vec![ri("m5.large", 1, 0.068607, 0.118)], vec![]);
        let usage = [
            use_hour("m5.xlarge", "ap-northeast-2a", 3600.0, 0.236),
            use_hour("m5.large", "ap-northeast-2b", 3600.0, 0.118),
        ];
        let h = &c.settle(&usage, &[], &[3600.0]).hours[0];
        assert!(close(h.uncovered_usd, 0.236), "{h:?}");
    }

    fn plan(name: &str, plan: PlanType, usd: f64, pct: f64) -> SavingsPlan {
        SavingsPlan {
            name: name.into(),
            plan,
            term: Term::OneYear,
            usd_per_hour: usd,
            rates: BTreeMap::new(),
            discount_pct: Some(pct),
            fargate_discount_pct: Some(pct),
        }
    }

    #[test]
    fn savings_plans_apply_after_ris_in_aws_order_on_a_hand_computed_hour() {
        // ECS-MODEL B3, one Seoul hour:
        //   usage: 3 × m5.large (0.118 each, 0.354), 1 × c6i.2xlarge
        //   (0.384), Fargate 0.20: 0.938 on-demand.
        //   1) RI m5.large × 2 (0.068607 each): covers two m5.large
        //      (0.236); fee 0.137214.
        //   2) EC2 Instance SP m5, 0.05/h at 28 %: the third m5.large at
        //      0.118 × 0.72 = 0.08496 > 0.05, so it covers 0.05 / 0.08496
        //      = 0.5885122 of it: 0.0694444… on-demand covered.
        //   3) Compute SP 0.30/h, rate file c6i.2xlarge 0.2688 (30 % off),
        //      m5 at 20 %, Fargate 25 %: highest savings first:
        //        c6i.2xlarge (30 %): costs 0.2688, left 0.0312;
        //        Fargate (25 %): 0.20 × 0.75 = 0.15 > 0.0312: covers
        //        0.0312 / 0.15 = 0.208 of it = 0.0416 on-demand; spent.
        //        The m5.large rest (20 %) stays on-demand.
        //   uncovered: m5.large 0.118 − 0.0694444… = 0.0485556, Fargate
        //   0.20 − 0.0416 = 0.1584 → 0.2069556.
        //   fees: 0.137214 + 0.05 + 0.30 = 0.487214; bill 0.6941696.
        let mut compute = plan("compute", PlanType::Compute, 0.30, 20.0);
        compute.rates.insert("c6i.2xlarge".into(), 0.2688);
        compute.fargate_discount_pct = Some(25.0);
        let ec2sp = plan(
            "ec2-m5",
            PlanType::Ec2Instance {
                family: "m5".into(),
                region: "ap-northeast-2".into(),
            },
            0.05,
            28.0,
        );
        // Given Compute first: the order comes from the kind, not the list.
        let c = seoul(
            vec![ri("m5.large", 2, 0.068607, 0.118)],
            vec![compute, ec2sp],
        );
        let usage = [
            use_hour("m5.large", "ap-northeast-2a", 3600.0, 0.118),
            use_hour("m5.large", "ap-northeast-2b", 3600.0, 0.118),
            use_hour("m5.large", "ap-northeast-2c", 3600.0, 0.118),
            use_hour("c6i.2xlarge", "ap-northeast-2a", 3600.0, 0.384),
        ];
        let fargate = [FargateUsageHour {
            hour: 0,
            on_demand_usd: 0.20,
        }];
        let s = c.settle(&usage, &fargate, &[3600.0]);
        let h = &s.hours[0];
        assert!(close(h.on_demand_usd, 0.938), "{h:?}");
        let third = 0.05 / 0.08496 * 0.118;
        assert!(close(third, 0.069_444_444_444), "{third}");
        assert!(close(h.uncovered_usd, 0.118 - third + 0.1584), "{h:?}");
        assert!(close(h.uncovered_usd, 0.206_955_555_556), "{h:?}");
        assert!(close(h.fee_usd, 0.487214), "{h:?}");
        assert!(close(h.unused_usd, 0.0), "{h:?}");
        assert!(close(h.billed_usd(), 0.694_169_555_556), "{h:?}");
        let names: Vec<(&str, CommitmentKind)> =
            s.lines.iter().map(|l| (l.name.as_str(), l.kind)).collect();
        assert_eq!(
            names,
            [
                ("m5.large x2", CommitmentKind::ReservedInstance),
                ("ec2-m5", CommitmentKind::Ec2InstanceSavingsPlan),
                ("compute", CommitmentKind::ComputeSavingsPlan),
            ]
        );
        assert!(close(s.lines[0].covered_on_demand_usd, 0.236));
        assert!(close(s.lines[1].covered_on_demand_usd, third));
        assert!(close(s.lines[2].covered_on_demand_usd, 0.384 + 0.0416));
        // Without the EC2 Instance plan the Compute plan still takes the
        // c6i first (30 %), then Fargate (25 %), not the m5.large (20 %).
        let mut only = c.clone();
        only.savings_plans.retain(|p| p.name == "compute");
        let h = &only.settle(&usage, &fargate, &[3600.0]).hours[0];
        assert!(close(h.uncovered_usd, 0.118 + 0.1584), "{h:?}");
    }

    #[test]
    fn a_plan_with_unused_commitment_and_a_partial_hour() {
        // A Compute SP of 1 $/h at 30 % and 0.35 of on-demand usage: uses
        // 0.35 × 0.7 = 0.245, 0.755 unused. Half an hour: fee 0.5, unused
        // 0.255. Capacity when covering: 0.35 × 1 / 0.245 = 1 / 0.7.
        let c = Commitments {
            region: "us-east-1".into(),
            reserved: vec![],
            savings_plans: vec![plan("c", PlanType::Compute, 1.0, 30.0)],
            factors: BTreeMap::new(),
        };
        let u = [use_hour("m5.large", "us-east-1a", 3600.0, 0.35)];
        let s = c.settle(&u, &[], &[3600.0]);
        assert!(close(s.hours[0].unused_usd, 0.755));
        assert!(close(s.hours[0].capacity_on_demand_usd, 1.0 / 0.7));
        let s = c.settle(&u, &[], &[1800.0]);
        assert!(close(s.hours[0].fee_usd, 0.5));
        assert!(close(s.hours[0].unused_usd, 0.255));
        // An EC2 Instance plan of another region covers nothing.
        let c = Commitments {
            savings_plans: vec![plan(
                "e",
                PlanType::Ec2Instance {
                    family: "m5".into(),
                    region: "eu-west-1".into(),
                },
                1.0,
                30.0,
            )],
            ..c
        };
        let s = c.settle(&u, &[], &[3600.0]);
        assert!(close(s.hours[0].uncovered_usd, 0.35));
        assert!(close(s.hours[0].unused_usd, 1.0));
    }
}
