//! The billing arithmetic of ECS-MODEL B1–B3: billed seconds with the
//! one-minute minimum, what a Fargate task and an EC2 instance cost for
//! their billed time, and how a commitment (Savings Plan or Reserved
//! Instance what-if) changes an hour's bill.
//!
//! Also the [`Capacity`] a cost line is billed on, and the one
//! [`HOURS_PER_MONTH`].
//!
//! Pure functions of numbers: no state, no clock, no ledger. The engine
//! decides when a launch starts and stops and calls these; rates come from
//! `crate::cost::prices` (Fargate), the instance catalogue (EC2 on-demand)
//! and `crate::market` (spot). It must only depend on `crate::sim` (time
//! types), `crate::cost::prices` and `crate::market` (the purchase option,
//! the month's hours), never on the engine, scenario or output modules.

use std::cmp::Ordering;
use std::fmt;

use crate::cost::prices::FargateRates;
use crate::market::Purchase;
use crate::sim::SimDuration;

/// Hours in the month that monthly prices (EBS GB-month) and monthly
/// extrapolations use: 365 × 24 / 12 = 730. Defined once, with the spot
/// interruption frequencies of ECS-MODEL S2 that use the same month.
pub use crate::market::advisor::HOURS_PER_MONTH;

/// Seconds per hour.
const SECONDS_PER_HOUR: f64 = 3600.0;

/// The capacity a cost line is billed on: the `capacity` column of
/// `cost.csv` and the keys of the summary's `by_capacity`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Capacity {
    /// An EC2 instance bought on-demand (B1).
    Ec2OnDemand,
    /// An EC2 instance bought on spot (B1).
    Ec2Spot,
    /// A Fargate task (B2).
    Fargate,
    /// A Fargate Spot task (B2).
    FargateSpot,
    /// The settlement of a commitment what-if (B3), not a capacity of its
    /// own but a line of the same table.
    Commitment,
}

impl Capacity {
    /// The EC2 capacity of an instance bought as `purchase`.
    pub fn ec2(purchase: Purchase) -> Self {
        match purchase {
            Purchase::OnDemand => Capacity::Ec2OnDemand,
            Purchase::Spot => Capacity::Ec2Spot,
        }
    }

    /// The Fargate capacity of a task, Spot or not.
    pub fn fargate(spot: bool) -> Self {
        if spot {
            Capacity::FargateSpot
        } else {
            Capacity::Fargate
        }
    }

    /// The name written in `cost.csv` and `summary.json`.
    pub fn as_str(self) -> &'static str {
        match self {
            Capacity::Ec2OnDemand => "ec2-on-demand",
            Capacity::Ec2Spot => "ec2-spot",
            Capacity::Fargate => "FARGATE",
            Capacity::FargateSpot => "FARGATE_SPOT",
            Capacity::Commitment => "commitment",
        }
    }

    /// Whether spend on this capacity is at on-demand rates, the spend a
    /// commitment covers (B3): EC2 on-demand and Fargate.
    pub fn is_on_demand(self) -> bool {
        matches!(self, Capacity::Ec2OnDemand | Capacity::Fargate)
    }
}

impl fmt::Display for Capacity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Ordered by name, so that a table keyed by capacity lists its lines in
/// the order of the names written out.
impl Ord for Capacity {
    fn cmp(&self, other: &Self) -> Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl PartialOrd for Capacity {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// The minimum billed time of one EC2 launch (B1) or one Fargate task (B2).
pub const MINIMUM_BILLED: SimDuration = SimDuration::from_secs(60);

/// ECS-MODEL B1, B2: the seconds billed for one launch or task that ran for
/// `run`: per second (to the millisecond of simulated time), at least
/// [`MINIMUM_BILLED`].
pub fn billed_seconds(run: SimDuration) -> f64 {
    run.max(MINIMUM_BILLED).as_secs_f64()
}

/// ECS-MODEL B1, B2: the seconds billed beyond the `run` itself, the
/// top-up of a launch or task shorter than [`MINIMUM_BILLED`] (0 for a
/// longer one): `billed_seconds(run) − run`.
pub fn minimum_topup_seconds(run: SimDuration) -> f64 {
    billed_seconds(run) - run.as_secs_f64()
}

/// What one Fargate task costs, USD (B2).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct FargateCharge {
    /// vCPU (with any OS licence) and memory.
    pub compute_usd: f64,
    /// Ephemeral storage above the free amount.
    pub storage_usd: f64,
}

impl FargateCharge {
    /// Compute plus storage.
    pub fn total_usd(&self) -> f64 {
        self.compute_usd + self.storage_usd
    }
}

/// ECS-MODEL B2: the cost of a Fargate task of `vcpu` vCPU, `memory_gb` GB
/// and `ephemeral_gb` GB of ephemeral storage, billed for `billed_s`
/// seconds (see [`billed_seconds`]) at `rates`, with `free_gb` GB of
/// storage free:
///
/// - compute = (vcpu × (vcpu_hour + os_license_vcpu_hour) + memory_gb ×
///   gb_hour) × billed_s / 3600;
/// - storage = max(0, ephemeral_gb − free_gb) × storage_gb_hour ×
///   billed_s / 3600.
pub fn fargate_cost(
    rates: &FargateRates,
    vcpu: f64,
    memory_gb: f64,
    ephemeral_gb: f64,
    billed_s: f64,
    free_gb: f64,
) -> FargateCharge {
    let hours = billed_s / SECONDS_PER_HOUR;
    let per_hour =
        vcpu * (rates.vcpu_hour + rates.os_license_vcpu_hour) + memory_gb * rates.gb_hour;
    let charged_gb = (ephemeral_gb - free_gb).max(0.0);
    FargateCharge {
        compute_usd: per_hour * hours,
        storage_usd: charged_gb * rates.storage_gb_hour * hours,
    }
}

/// ECS-MODEL B1: the cost of an EC2 instance at `usd_per_hour` (on-demand,
/// or the spot price in effect) for `billed_s` seconds (see
/// [`billed_seconds`]).
pub fn ec2_cost(usd_per_hour: f64, billed_s: f64) -> f64 {
    usd_per_hour * billed_s / SECONDS_PER_HOUR
}

/// ECS-MODEL B1: the cost of an EBS volume of `gb` GB at `usd_per_gb_month`
/// USD per GB-month, USD per hour: GB-month price ÷ [`HOURS_PER_MONTH`].
pub fn ebs_usd_per_hour(gb: f64, usd_per_gb_month: f64) -> f64 {
    gb * usd_per_gb_month / HOURS_PER_MONTH
}

/// ECS-MODEL B3: a commitment what-if, a Savings Plan or Reserved Instance
/// expressed as a committed spend per hour that buys usage at a discount.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Commitment {
    /// Committed spend, USD per hour, paid whether used or not (≥ 0).
    pub committed_usd_per_hour: f64,
    /// Discount of committed usage from on-demand, percent, in [0, 100).
    pub discount_pct: f64,
}

/// One hour (or part of an hour) of spend under a [`Commitment`], USD.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct CommitmentHour {
    /// The commitment paid for the span: committed $/h × hours.
    pub committed_usd: f64,
    /// The on-demand-rate spend the commitment covered.
    pub covered_on_demand_usd: f64,
    /// The on-demand-rate spend left over, paid at on-demand rates.
    pub uncovered_usd: f64,
}

impl CommitmentHour {
    /// What the span costs: the commitment plus the uncovered spend.
    pub fn total_usd(&self) -> f64 {
        self.committed_usd + self.uncovered_usd
    }
}

impl Commitment {
    /// Checks the fields: the committed spend finite and ≥ 0, the discount
    /// finite and in [0, 100).
    pub fn validate(&self) -> Result<(), String> {
        let c = self.committed_usd_per_hour;
        if !c.is_finite() || c < 0.0 {
            return Err(format!(
                "committed spend {c} USD/h must be a finite number >= 0"
            ));
        }
        let d = self.discount_pct;
        if !d.is_finite() || !(0.0..100.0).contains(&d) {
            return Err(format!(
                "commitment discount {d} % must be a percentage in [0, 100)"
            ));
        }
        Ok(())
    }

    /// ECS-MODEL B3: the bill of a span of `hour_s` seconds (3600 for a
    /// whole hour, less for a last partial hour) in which usage would cost
    /// `on_demand_usd_in_hour` at on-demand rates.
    ///
    /// The span's commitment is `committed_usd_per_hour × hour_s / 3600`,
    /// paid whether used or not. It buys usage at `discount_pct` off, so it
    /// covers up to `commitment / (1 − discount / 100)` of on-demand-rate
    /// spend; the rest is paid at on-demand rates. Out-of-range fields are
    /// clamped (a negative commitment counts as 0, the discount into
    /// [0, 100], a 100 % discount covering everything); see
    /// [`validate`](Commitment::validate).
    pub fn apply(&self, on_demand_usd_in_hour: f64, hour_s: f64) -> CommitmentHour {
        let committed = (self.committed_usd_per_hour * hour_s / SECONDS_PER_HOUR).max(0.0);
        let keep = 1.0 - self.discount_pct.clamp(0.0, 100.0) / 100.0;
        let capacity = if keep > 0.0 {
            committed / keep
        } else {
            f64::INFINITY
        };
        let spend = on_demand_usd_in_hour.max(0.0);
        let covered = spend.min(capacity);
        CommitmentHour {
            committed_usd: committed,
            covered_on_demand_usd: covered,
            uncovered_usd: spend - covered,
        }
    }

    /// The part of `hour`'s commitment no usage used, USD:
    /// committed − covered × (1 − discount / 100).
    pub fn unused_usd(&self, hour: &CommitmentHour) -> f64 {
        let keep = 1.0 - self.discount_pct.clamp(0.0, 100.0) / 100.0;
        (hour.committed_usd - hour.covered_on_demand_usd * keep).max(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cost::prices::PriceBook;
    use crate::market::fargate::FargatePlatform;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    fn us_east_1(platform: FargatePlatform, spot: bool) -> FargateRates {
        match PriceBook::builtin("us-east-1").and_then(|b| b.fargate_rates(platform, spot)) {
            Ok(r) => r,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn billed_seconds_has_a_one_minute_minimum() {
        // B1, B2: per second, 60 s minimum per launch / per task.
        let cases = [
            (SimDuration::ZERO, 60.0),
            (SimDuration::from_secs(30), 60.0),
            (SimDuration::from_millis(59_999), 60.0),
            (SimDuration::from_secs(60), 60.0),
            (SimDuration::from_millis(60_001), 60.001),
            (SimDuration::from_mins(10), 600.0),
        ];
        for (run, want) in cases {
            assert_eq!(billed_seconds(run), want, "{run:?}");
        }
        assert_eq!(MINIMUM_BILLED, SimDuration::from_secs(60));
    }

    #[test]
    fn fargate_linux_x86_ten_minutes() {
        // B2: 0.25 vCPU / 0.5 GB for 10 min in us-east-1:
        // (0.25 × 0.04048 + 0.5 × 0.004445) × 600 / 3600
        // = (0.01012 + 0.0022225) / 6 = 0.0123425 / 6 = 0.00205708333… USD.
        let r = us_east_1(FargatePlatform::LinuxX86, false);
        let c = fargate_cost(
            &r,
            0.25,
            0.5,
            20.0,
            billed_seconds(SimDuration::from_mins(10)),
            20.0,
        );
        assert!(close(c.compute_usd, 0.0123425 / 6.0), "{c:?}");
        assert!(close(c.compute_usd, 0.002_057_083_333_333), "{c:?}");
        assert_eq!(c.storage_usd, 0.0);
        assert_eq!(c.total_usd(), c.compute_usd);
    }

    #[test]
    fn fargate_thirty_seconds_bills_a_minute() {
        // B2: a 30 s task bills 60 s: 0.0123425 × 60 / 3600 = 0.000205708333… USD.
        let r = us_east_1(FargatePlatform::LinuxX86, false);
        let c = fargate_cost(
            &r,
            0.25,
            0.5,
            0.0,
            billed_seconds(SimDuration::from_secs(30)),
            20.0,
        );
        assert!(close(c.compute_usd, 0.0123425 / 60.0), "{c:?}");
    }

    #[test]
    fn fargate_platform_and_spot_rates() {
        // One hour of 1 vCPU / 2 GB in us-east-1 (B2):
        let cases = [
            // Linux x86: 0.04048 + 2 × 0.004445 = 0.04937.
            (FargatePlatform::LinuxX86, false, 0.04937),
            // Linux ARM: 0.03238 + 2 × 0.00356 = 0.0395.
            (FargatePlatform::LinuxArm64, false, 0.0395),
            // Windows: (0.09148 + 0.046) + 2 × 0.01005 = 0.13748 + 0.0201 = 0.15758.
            (FargatePlatform::Windows, false, 0.15758),
            // Fargate Spot, 70 % off: 0.04937 × 0.3 = 0.014811.
            (FargatePlatform::LinuxX86, true, 0.014811),
        ];
        for (platform, spot, want) in cases {
            let c = fargate_cost(&us_east_1(platform, spot), 1.0, 2.0, 20.0, 3600.0, 20.0);
            assert!(close(c.compute_usd, want), "{platform} spot={spot}: {c:?}");
        }
        // Spot is 30 % of on-demand for any size and time.
        let od = fargate_cost(
            &us_east_1(FargatePlatform::LinuxX86, false),
            4.0,
            9.0,
            20.0,
            777.0,
            20.0,
        );
        let spot = fargate_cost(
            &us_east_1(FargatePlatform::LinuxX86, true),
            4.0,
            9.0,
            20.0,
            777.0,
            20.0,
        );
        assert!(close(spot.compute_usd, 0.3 * od.compute_usd));
    }

    #[test]
    fn fargate_storage_above_the_free_amount() {
        // B2: 50 GB ephemeral, 20 GB free → 30 GB × 0.000111 = 0.00333 USD
        // per hour; for 2 h, 0.00666.
        let r = us_east_1(FargatePlatform::LinuxX86, false);
        let c = fargate_cost(&r, 1.0, 2.0, 50.0, 7200.0, 20.0);
        assert!(close(c.storage_usd, 0.00666), "{c:?}");
        // 2 × 0.04937 = 0.09874 compute, total 0.1054.
        assert!(close(c.total_usd(), 0.1054), "{c:?}");
        // Below the free amount: nothing.
        assert_eq!(
            fargate_cost(&r, 1.0, 2.0, 15.0, 7200.0, 20.0).storage_usd,
            0.0
        );
        // On Spot, storage is not discounted: same 0.00333 for 1 h.
        let s = us_east_1(FargatePlatform::LinuxX86, true);
        assert!(close(
            fargate_cost(&s, 1.0, 2.0, 50.0, 3600.0, 20.0).storage_usd,
            0.00333
        ));
    }

    #[test]
    fn ec2_costs() {
        // B1: a 30 s instance at $0.192/h bills 60 s: 0.192 × 60 / 3600 = 0.0032.
        assert!(close(
            ec2_cost(0.192, billed_seconds(SimDuration::from_secs(30))),
            0.0032
        ));
        // 90 minutes: 0.192 × 1.5 = 0.288.
        assert!(close(
            ec2_cost(0.192, billed_seconds(SimDuration::from_mins(90))),
            0.288
        ));
    }

    #[test]
    fn minimum_topup_is_what_the_minute_adds() {
        // B1, B2: a 30 s run bills 60 s, 30 s of top-up; 59.999 s → 0.001 s;
        // a minute or more → none.
        assert_eq!(minimum_topup_seconds(SimDuration::from_secs(30)), 30.0);
        assert_eq!(minimum_topup_seconds(SimDuration::ZERO), 60.0);
        assert!(close(
            minimum_topup_seconds(SimDuration::from_millis(59_999)),
            0.001
        ));
        assert_eq!(minimum_topup_seconds(SimDuration::from_secs(60)), 0.0);
        assert_eq!(minimum_topup_seconds(SimDuration::from_mins(90)), 0.0);
    }

    #[test]
    fn ebs_per_hour_uses_a_730_hour_month() {
        // B1: 30 GB × 0.08 USD/GB-month / 730 h = 0.0032877 USD/h.
        assert!(close(ebs_usd_per_hour(30.0, 0.08), 2.4 / 730.0));
        assert_eq!(HOURS_PER_MONTH, 730.0);
        // For 2 h of an instance: 0.0065753… USD.
        assert!(close(
            ec2_cost(ebs_usd_per_hour(30.0, 0.08), 7200.0),
            4.8 / 730.0
        ));
    }

    #[test]
    fn capacity_names_and_order() {
        // The names of cost.csv's capacity column, unchanged.
        let all = [
            (Capacity::Ec2OnDemand, "ec2-on-demand"),
            (Capacity::Ec2Spot, "ec2-spot"),
            (Capacity::Fargate, "FARGATE"),
            (Capacity::FargateSpot, "FARGATE_SPOT"),
            (Capacity::Commitment, "commitment"),
        ];
        for (c, name) in all {
            assert_eq!(c.as_str(), name);
            assert_eq!(c.to_string(), name);
        }
        assert_eq!(Capacity::ec2(Purchase::OnDemand), Capacity::Ec2OnDemand);
        assert_eq!(Capacity::ec2(Purchase::Spot), Capacity::Ec2Spot);
        assert_eq!(Capacity::fargate(false), Capacity::Fargate);
        assert_eq!(Capacity::fargate(true), Capacity::FargateSpot);
        // B3: a commitment covers on-demand-rate spend only.
        let covered: Vec<_> = all.iter().filter(|(c, _)| c.is_on_demand()).collect();
        assert_eq!(
            covered,
            [
                &(Capacity::Ec2OnDemand, "ec2-on-demand"),
                &(Capacity::Fargate, "FARGATE")
            ]
        );
        // Sorted as their names are.
        let mut sorted: Vec<Capacity> = all.iter().map(|(c, _)| *c).collect();
        sorted.sort();
        let mut names: Vec<&str> = all.iter().map(|(_, n)| *n).collect();
        names.sort();
        assert_eq!(sorted.iter().map(|c| c.as_str()).collect::<Vec<_>>(), names);
    }

    #[test]
    fn commitment_hours() {
        // B3: committed $1/h at 30 % off covers 1 / 0.7 = $1.428571… of
        // on-demand-rate spend per hour.
        let c = Commitment {
            committed_usd_per_hour: 1.0,
            discount_pct: 30.0,
        };
        let cap = 1.0 / 0.7;
        let cases = [
            // (spend, hour_s) → (committed, covered, uncovered, total)
            // $2: covers 1.428571, 0.571429 left at on-demand → 1.571429.
            ((2.0, 3600.0), (1.0, cap, 2.0 - cap, 1.0 + 2.0 - cap)),
            // $0.5: all covered, the commitment is paid in full → 1.0.
            ((0.5, 3600.0), (1.0, 0.5, 0.0, 1.0)),
            // Exactly the coverage: 1.0, nothing left over.
            ((cap, 3600.0), (1.0, cap, 0.0, 1.0)),
            // Nothing used: 1.0 of waste.
            ((0.0, 3600.0), (1.0, 0.0, 0.0, 1.0)),
            // Half an hour, $1 spend: commitment 0.5 covers 0.5 / 0.7 =
            // 0.714286; 0.285714 left → 0.785714.
            (
                (1.0, 1800.0),
                (0.5, 0.5 / 0.7, 1.0 - 0.5 / 0.7, 0.5 + 1.0 - 0.5 / 0.7),
            ),
        ];
        for ((spend, hour_s), (committed, covered, uncovered, total)) in cases {
            let h = c.apply(spend, hour_s);
            assert!(close(h.committed_usd, committed), "{spend}: {h:?}");
            assert!(close(h.covered_on_demand_usd, covered), "{spend}: {h:?}");
            assert!(close(h.uncovered_usd, uncovered), "{spend}: {h:?}");
            assert!(close(h.total_usd(), total), "{spend}: {h:?}");
        }
        assert!(close(
            c.apply(2.0, 3600.0).total_usd(),
            1.571_428_571_428_571
        ));
        // Waste: spend $0.5 uses 0.5 × 0.7 = 0.35 of the $1 → 0.65 unused.
        assert!(close(c.unused_usd(&c.apply(0.5, 3600.0)), 0.65));
        assert!(close(c.unused_usd(&c.apply(2.0, 3600.0)), 0.0));
    }

    #[test]
    fn commitment_edges_and_validation() {
        // No commitment: everything at on-demand.
        let none = Commitment {
            committed_usd_per_hour: 0.0,
            discount_pct: 30.0,
        };
        let h = none.apply(3.0, 3600.0);
        assert_eq!(h.total_usd(), 3.0);
        assert!(none.validate().is_ok());
        // A 100 % discount covers everything (clamped; validate rejects it).
        let free = Commitment {
            committed_usd_per_hour: 1.0,
            discount_pct: 100.0,
        };
        assert_eq!(free.apply(50.0, 3600.0).uncovered_usd, 0.0);
        assert!(free.validate().is_err());
        let negative = Commitment {
            committed_usd_per_hour: -1.0,
            discount_pct: 10.0,
        };
        assert_eq!(negative.apply(2.0, 3600.0).total_usd(), 2.0);
        assert!(negative.validate().unwrap_err().contains("committed spend"));
        let nan = Commitment {
            committed_usd_per_hour: 1.0,
            discount_pct: f64::NAN,
        };
        assert!(nan.validate().unwrap_err().contains("discount"));
    }
}
