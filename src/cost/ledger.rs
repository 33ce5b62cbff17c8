//! The cost ledger of one run (ECS-MODEL B1–B4), kept as the run goes.
//!
//! The engine tells the ledger what changes, when it changes: an instance
//! launched or terminated, a task placed on an instance or stopped there, a
//! Fargate task admitted or stopped. The ledger keeps, per *line* (an owner
//! on a [`Capacity`]: a service or job, the idle share of instances, their
//! EBS volumes), its weights now (sums of shares, or of USD per hour, each
//! on a price) and a dense array of what it cost in each hour of the run.
//! A change settles the lines it touches up to now — each weight times the
//! time since the last change is added to an exact integer *area* — and
//! then changes their weights; an area is turned into USD, at its price,
//! once per line and hour (when a change falls in a later hour, or at the
//! end) and at each change of its price. Spot price changes of a price
//! series are changes too, applied by the ledger itself when time passes
//! them. Billing work is therefore proportional to the number of changes
//! plus the hours each line is settled over, never to hours × tasks, and a
//! change costs integer operations only.
//!
//! The rules:
//!
//! * every instance is billed per second from launch to termination (or the
//!   end of the run), at least 60 s, at its on-demand price or at its spot
//!   pool's price in effect (B1), plus its EBS root volume if one is billed;
//! * each second of an instance is split between the tasks it holds (from
//!   placement to STOPPED) by their [`task_share`] of its registered CPU and
//!   memory, and the rest is *idle*, a line of its own (B4);
//! * every Fargate task is billed from admission to STOPPED, at least 60 s,
//!   vCPU-hours and GB-hours at its platform's rates, Fargate Spot at the
//!   discount, ephemeral storage above the free amount (B2);
//! * the 60 s minimum's top-up is billed at the stop, in the hour of the
//!   stop, as idle time for an instance (B1, B2);
//! * an optional flat commitment (B3) is settled hour by hour on on-demand
//!   spend when the [`Statement`] is drawn.
//!
//! Sums of shares are kept as exact fixed-point integers (2⁻⁶⁴ units), so a
//! task that leaves takes away exactly what it brought and a line with no
//! task left has a rate of exactly zero, whatever the order of the changes;
//! so are their integrals over time within an hour, so an hour's cost is
//! rounded once, whatever the number of changes in it.
//! Keys are small integers ([`OwnerId`], [`TariffId`], [`UsageId`], the
//! [`Capacity`] enum); names appear only when the statement is drawn.
//!
//! Pure bookkeeping: no event queue, no printing, no files. Depends on
//! `crate::sim` (time), `crate::model` (ids, resources), `crate::market`
//! (spot prices) and the rest of `crate::cost`, never on the engine,
//! scenario, metrics or output modules.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};

use super::billing::{ec2_cost, fargate_cost, minimum_topup_seconds, Capacity, Commitment};
use super::prices::FargateRates;
use super::usage::{Ec2UsageHour, FargateUsageHour};
use crate::market::SpotPrice;
use crate::model::{InstanceId, Resources, TaskId};
use crate::sim::SimTime;

/// Milliseconds per hour.
const HOUR_MS: u64 = 3_600_000;
/// The same, as a float divisor.
const MS_PER_HOUR: f64 = 3_600_000.0;

/// Owner of the share of instance cost no task reserved (B4).
pub const IDLE: &str = "(idle)";
/// Owner of instance-level storage (EBS root volumes, B1).
pub const INSTANCES: &str = "(instances)";
/// Owner of the commitment's settlement (B3).
pub const COMMITMENT: &str = "(commitment)";

/// An interned owner name: a service, a job, or one of [`IDLE`],
/// [`INSTANCES`], [`COMMITMENT`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OwnerId(u32);

/// A price source, USD per hour: an on-demand price, or a spot pool's price
/// (constant, or a series that changes over time).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TariffId(u32);

/// An interned (instance type, AZ) whose on-demand use is reported for
/// commitments (B3, [`Ec2UsageHour`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UsageId(u32);

/// ECS-MODEL B4 (model choice): the share of an instance a task holds, the
/// mean of its fractions of the instance's registered CPU and memory (a
/// resource the instance does not register counts 0).
pub fn task_share(reservation: Resources, registered: Resources) -> f64 {
    let cpu = if registered.cpu == 0 {
        0.0
    } else {
        f64::from(reservation.cpu) / f64::from(registered.cpu)
    };
    let mem = if registered.memory == 0 {
        0.0
    } else {
        f64::from(reservation.memory) / f64::from(registered.memory)
    };
    (cpu + mem) / 2.0
}

/// The size of a Fargate task as billed (B2).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FargateSize {
    /// vCPU (1024 cpu units = 1 vCPU).
    pub vcpu: f64,
    /// Memory, GB (1024 MiB = 1 GB).
    pub memory_gb: f64,
    /// Ephemeral storage, GB.
    pub ephemeral_gb: f64,
    /// Ephemeral storage that is free, GB.
    pub free_ephemeral_gb: f64,
}

/// One line of the statement: what an owner cost on a capacity in one
/// hour, USD (a row of `cost.csv`).
#[derive(Debug, Clone, PartialEq)]
pub struct StatementRow {
    /// Hour of the run (0 = the first).
    pub hour: u32,
    /// Service or job name, or [`IDLE`], [`INSTANCES`], [`COMMITMENT`].
    pub owner: String,
    /// What it is billed on.
    pub capacity: Capacity,
    /// Compute billed to the owner, USD.
    pub compute_usd: f64,
    /// Instance cost no task reserved, USD.
    pub idle_usd: f64,
    /// Storage, USD.
    pub storage_usd: f64,
}

/// The sums of a statement, USD, unrounded.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Totals {
    /// Everything.
    pub total_usd: f64,
    /// Compute billed to owners (the commitment's settlement apart).
    pub compute_usd: f64,
    /// Idle instance cost (B4).
    pub idle_usd: f64,
    /// Storage.
    pub storage_usd: f64,
    /// The commitment's settlement (negative: a saving), B3.
    pub commitment_usd: f64,
    /// Everything by capacity.
    pub by_capacity: BTreeMap<Capacity, f64>,
    /// Compute and storage by service or job.
    pub by_owner: BTreeMap<String, f64>,
    /// What the instances cost, compute and idle together (B1).
    pub ec2_instances_usd: f64,
    /// The idle part of it (B4).
    pub ec2_idle_usd: f64,
}

/// The bill of a run: its rows, sorted by hour, owner and capacity name,
/// and their sums.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Statement {
    /// The rows of `cost.csv`.
    pub rows: Vec<StatementRow>,
    /// Their sums.
    pub totals: Totals,
}

/// A sum of non-negative weights (shares, counts, USD per hour) in exact
/// fixed point, units of 2⁻⁶⁴: adding and later removing the same weight
/// leaves the sum exactly as it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Fixed(i128);

/// 2⁶⁴.
const FIXED_ONE: f64 = 18_446_744_073_709_551_616.0;
/// 2⁻⁶⁴: multiplying by it is dividing by [`FIXED_ONE`], exactly (a power
/// of two, and the values scaled are whole numbers, far from underflow),
/// without a division's latency.
const FIXED_UNIT: f64 = 1.0 / FIXED_ONE;

impl Fixed {
    const ONE: Fixed = Fixed(1 << 64);

    /// `(x × 2⁶⁴).round() as i128`, exactly, from the bits of `x` for
    /// normal numbers (this runs for every task placed and stopped; the
    /// float rounding and the i128 conversion are library calls).
    fn from_f64(x: f64) -> Fixed {
        let bits = x.to_bits();
        let exp = ((bits >> 52) & 0x7ff) as i32;
        if exp == 0 || exp == 0x7ff {
            // Zero, subnormal, infinite or NaN.
            return Fixed((x * FIXED_ONE).round() as i128);
        }
        let mantissa = (bits & ((1 << 52) - 1)) | (1 << 52);
        // x = mantissa × 2^(exp − 1075), so x × 2⁶⁴ = mantissa × 2^shift.
        let shift = exp - 1011;
        let magnitude = if shift >= 0 {
            if shift > 74 {
                // Beyond i128: the cast saturates.
                return Fixed((x * FIXED_ONE).round() as i128);
            }
            i128::from(mantissa) << shift
        } else if shift > -64 {
            // Halves round away from zero, as `round` does.
            let k = -shift;
            i128::from((mantissa + (1 << (k - 1))) >> k)
        } else {
            0 // below a quarter
        };
        Fixed(if bits >> 63 == 1 {
            -magnitude
        } else {
            magnitude
        })
    }

    /// `self / 2⁶⁴` as the nearest f64; through u64 (a few instructions
    /// rather than the i128 library conversion), which rounds the same.
    fn to_f64(self) -> f64 {
        let v = self.0;
        let size = v.unsigned_abs();
        let f = if size < 1 << 64 {
            size as u64 as f64
        } else {
            // Keep the top 64 bits, with the dropped ones folded into the
            // lowest (sticky) bit: that bit lies 11 places below the
            // rounding point, so the u64 conversion rounds as the full
            // value would; then scale back by 2^shift, exactly.
            let shift = 64 - size.leading_zeros();
            let top = (size >> shift) as u64;
            let sticky = u64::from(size & ((1u128 << shift) - 1) != 0);
            (top | sticky) as f64 * f64::from_bits(u64::from(1023 + shift) << 52)
        };
        (if v < 0 { -f } else { f }) * FIXED_UNIT
    }

    fn plus(self, o: Fixed) -> Fixed {
        Fixed(self.0 + o.0)
    }

    fn neg(self) -> Fixed {
        Fixed(-self.0)
    }
}

/// The parts of an owner line's hour.
const COMPUTE: usize = 0;
const IDLE_PART: usize = 1;
const STORAGE: usize = 2;
/// The parts of a usage line's hour.
const USAGE_USD: usize = 0;
const USAGE_SECONDS: usize = 1;

/// What a line is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LineKind {
    /// An owner on a capacity: a row of `cost.csv` per hour it was touched.
    Owner(OwnerId, Capacity),
    /// What the instances of a capacity cost, compute and idle together
    /// (only summed, for `ec2_instances_usd`).
    Instances(Capacity),
    /// On-demand instances of one type in one AZ (for commitments).
    Usage(UsageId),
}

/// One weight of a line's rate: `weight × price(tariff)` USD per hour goes
/// to `part`.
#[derive(Debug, Clone, Copy)]
struct Term {
    tariff: u32,
    part: usize,
    weight: Fixed,
    /// ∫ weight dt over the line's open hour since it was last flushed, in
    /// 2⁻⁶⁴ × milliseconds: exact (below 2¹²⁷ while a line's weight stays
    /// below 2⁴¹, a trillion instances' worth of shares), so the hour's
    /// cost is rounded once, when it is flushed.
    area: i128,
}

/// A line: its weights now and what it cost, hour by hour.
#[derive(Debug, Clone)]
struct Line {
    kind: LineKind,
    /// Per hour of the run, USD per part (compute, idle, storage; for a
    /// usage line, on-demand USD and instance-seconds), as flushed.
    hours: Vec<[f64; 3]>,
    /// Per hour: whether anything was billed on the line then (a row).
    touched: Vec<bool>,
    /// Settled up to here.
    since: SimTime,
    /// The hour the terms' areas belong to (`usize::MAX` before the line
    /// was first billed).
    open: usize,
    /// The end of that hour, ms (0 before the line was first billed):
    /// `since` is in the open hour or at its end, so a settle up to this
    /// falls in the open hour alone.
    open_end: u64,
    /// Tasks or instances contributing to the line now.
    active: u32,
    terms: Vec<Term>,
}

impl Line {
    fn new(kind: LineKind, since: SimTime, n_hours: usize) -> Line {
        Line {
            kind,
            hours: vec![[0.0; 3]; n_hours],
            touched: vec![false; n_hours],
            since,
            open: usize::MAX,
            open_end: 0,
            active: 0,
            terms: Vec::new(),
        }
    }

    fn cell(&mut self, h: usize) -> &mut [f64; 3] {
        if h >= self.hours.len() {
            self.hours.resize(h + 1, [0.0; 3]);
            self.touched.resize(h + 1, false);
        }
        self.touched[h] = true;
        &mut self.hours[h]
    }

    /// Bills the line's weights from `since` to `t`: adds them, times the
    /// span, to the terms' areas, flushing the areas into the hour they
    /// belong to whenever the span crosses into another hour. A change of
    /// weight costs a few integer operations; the floats (USD) are made
    /// once per line and hour, or at a change of price.
    #[inline(always)]
    fn settle(&mut self, t: SimTime, tariffs: &[Tariff]) {
        if t <= self.since {
            return;
        }
        if self.active > 0 {
            let end = t.as_millis();
            let from = self.since.as_millis();
            if end <= self.open_end {
                // Most changes of a busy line fall in its open hour: one
                // span, no division (the loop below would take the same).
                // A line mostly has one term (one price: a job on one
                // instance type, an instance's idle part): added without
                // the loop the compiler unrolls for many.
                let span = i128::from(end - from);
                match &mut self.terms[..] {
                    [x] => x.area += x.weight.0 * span,
                    terms => {
                        for x in terms {
                            x.area += x.weight.0 * span;
                        }
                    }
                }
                self.since = t;
                return;
            }
            self.settle_across(from, end, tariffs);
        }
        self.since = t;
    }

    /// [`settle`](Self::settle) from `from` to `end` (ms) when the span
    /// leaves the open hour: at most once per line and hour, so kept out
    /// of the way of the changes within an hour.
    #[cold]
    #[inline(never)]
    fn settle_across(&mut self, mut from: u64, end: u64, tariffs: &[Tariff]) {
        while from < end {
            let h = from / HOUR_MS;
            let next = ((h + 1) * HOUR_MS).min(end);
            if h as usize != self.open {
                self.flush(tariffs);
                self.open = h as usize;
                self.open_end = (h + 1) * HOUR_MS;
                self.cell(h as usize);
            }
            let span = i128::from(next - from);
            for x in &mut self.terms {
                x.area += x.weight.0 * span;
            }
            from = next;
        }
    }

    /// Adds the terms' areas, at their tariffs' prices now, to the open
    /// hour, and empties them.
    fn flush(&mut self, tariffs: &[Tariff]) {
        let Some(cell) = self.hours.get_mut(self.open) else {
            return;
        };
        for x in &mut self.terms {
            if x.area != 0 {
                let hours = Fixed(x.area).to_f64() / MS_PER_HOUR;
                cell[x.part] += tariffs[x.tariff as usize].price * hours;
                x.area = 0;
            }
        }
    }

    fn touched_at(&self, h: usize) -> bool {
        self.touched.get(h).copied().unwrap_or(false)
    }

    fn at(&self, h: usize) -> [f64; 3] {
        self.hours.get(h).copied().unwrap_or([0.0; 3])
    }
}

/// A price source and the lines whose rate depends on it.
#[derive(Debug, Clone)]
struct Tariff {
    /// USD per hour now.
    price: f64,
    /// Later price changes (a spot price series), and the next one's index.
    points: Vec<(SimTime, f64)>,
    next: usize,
    lines: Vec<u32>,
}

/// A running instance: one cache line (64 bytes, aligned so; debug
/// builds add their check), since a task's placement and stop read it and
/// instances are many.
#[derive(Debug, Clone)]
#[repr(align(64))]
struct Running {
    tariff: u32,
    capacity: Capacity,
    launched: SimTime,
    /// Tasks billed on it. The ledger keeps nothing else per task: the
    /// engine names a stopping task's owner and share, which give its line
    /// and weight.
    tasks: u32,
    /// Debug builds: each task billed on it, with its line and weight,
    /// to check that a stop names a task placed here as it was placed.
    #[cfg(debug_assertions)]
    billed: Vec<(TaskId, u32, Fixed)>,
    /// The sum of their shares; its idle fraction, as weighed on its
    /// idle line, is [`idle_of`] it.
    used: Fixed,
    idle_line: u32,
    cost_line: u32,
    storage_line: Option<u32>,
    usage_line: Option<u32>,
}

// A release build fails if a running instance outgrows its cache line.
#[cfg(not(debug_assertions))]
const _: () = assert!(std::mem::size_of::<Option<Running>>() == 64);

impl Running {
    /// Adds `delta` to the sum of its shares: its idle line and the change
    /// of weight there, if any.
    #[inline(always)]
    fn add_used(&mut self, delta: Fixed) -> Option<(u32, Fixed)> {
        let before = idle_of(self.used);
        self.used = self.used.plus(delta);
        let after = idle_of(self.used);
        (after != before).then(|| (self.idle_line, after.plus(before.neg())))
    }
}

/// An instance's idle fraction, 1 − min(1, Σ shares), exactly.
fn idle_of(used: Fixed) -> Fixed {
    Fixed((Fixed::ONE.0 - used.0).max(0))
}

/// A Fargate task billed from admission to stop.
#[derive(Debug, Clone, Copy)]
struct FargateBilled {
    line: u32,
    admitted: SimTime,
    active: bool,
    compute: Fixed,
    storage: Fixed,
    rates: FargateRates,
    size: FargateSize,
}

/// The cost ledger of one run; see the module docs.
#[derive(Debug, Clone)]
pub struct Ledger {
    /// The end of the run (charges at the end belong to its last hour).
    end: SimTime,
    /// Hours in the run (the last one may be partial).
    n_hours: usize,
    /// The ledger has billed everything up to here.
    clock: SimTime,
    owners: Vec<String>,
    owner_ids: BTreeMap<String, OwnerId>,
    usages: Vec<(String, String)>,
    usage_ids: BTreeMap<(String, String), UsageId>,
    tariffs: Vec<Tariff>,
    lines: Vec<Line>,
    /// Per owner, per capacity: its line.
    owner_lines: Vec<[Option<u32>; 5]>,
    /// Per capacity: the line of what instances cost.
    instance_lines: [Option<u32>; 5],
    /// Per usage key: its line.
    usage_lines: Vec<Option<u32>>,
    /// Per instance index: its billing while it runs.
    instances: Vec<Option<Running>>,
    fargate: BTreeMap<TaskId, FargateBilled>,
    /// Spot price changes to apply: (when, tariff).
    price_changes: BinaryHeap<Reverse<(SimTime, u32)>>,
    /// Fargate tasks admitted later than they were launched: (when, task).
    admissions: BinaryHeap<Reverse<(SimTime, TaskId)>>,
    /// No price change or admission is due before this (the earlier of
    /// the two heaps' first, or never): most changes have none to apply.
    next_due: SimTime,
    idle_owner: OwnerId,
    instances_owner: OwnerId,
    /// The EBS tariff, when root volumes are billed.
    ebs: Option<u32>,
    /// Prices 1 (Fargate rates are weights) and 3600 (instance-seconds per
    /// instance-hour).
    unit: u32,
    seconds: u32,
    /// The last task share placed (its bits) and its weight.
    last_weight: (u64, Fixed),
}

/// Index of a capacity in per-capacity arrays.
fn cap_index(c: Capacity) -> usize {
    match c {
        Capacity::Ec2OnDemand => 0,
        Capacity::Ec2Spot => 1,
        Capacity::Fargate => 2,
        Capacity::FargateSpot => 3,
        Capacity::Commitment => 4,
    }
}

impl Ledger {
    /// An empty ledger for a run that ends at `end`. `ebs_usd_per_hour` is
    /// the cost of one instance's EBS root volume, when one is billed (B1).
    pub fn new(end: SimTime, ebs_usd_per_hour: Option<f64>) -> Ledger {
        let n_hours = end.as_millis().div_ceil(HOUR_MS) as usize;
        let mut l = Ledger {
            end,
            n_hours,
            clock: SimTime::ZERO,
            owners: Vec::new(),
            owner_ids: BTreeMap::new(),
            usages: Vec::new(),
            usage_ids: BTreeMap::new(),
            tariffs: Vec::new(),
            lines: Vec::new(),
            owner_lines: Vec::new(),
            instance_lines: [None; 5],
            usage_lines: Vec::new(),
            instances: Vec::new(),
            fargate: BTreeMap::new(),
            price_changes: BinaryHeap::new(),
            admissions: BinaryHeap::new(),
            next_due: SimTime(u64::MAX),
            idle_owner: OwnerId(0),
            instances_owner: OwnerId(0),
            ebs: None,
            unit: 0,
            seconds: 0,
            last_weight: (0f64.to_bits(), Fixed(0)),
        };
        l.idle_owner = l.owner(IDLE);
        l.instances_owner = l.owner(INSTANCES);
        l.unit = l.constant_tariff(1.0).0;
        l.seconds = l.constant_tariff(3600.0).0;
        l.ebs = ebs_usd_per_hour.map(|p| l.constant_tariff(p).0);
        l
    }

    /// The id of an owner name (interned once; owners with the same name
    /// share their lines).
    pub fn owner(&mut self, name: &str) -> OwnerId {
        if let Some(&id) = self.owner_ids.get(name) {
            return id;
        }
        let id = OwnerId(self.owners.len() as u32);
        self.owners.push(name.to_string());
        self.owner_ids.insert(name.to_string(), id);
        self.owner_lines.push([None; 5]);
        id
    }

    /// The id of an (instance type, AZ) whose on-demand use is reported.
    pub fn usage(&mut self, instance_type: &str, az: &str) -> UsageId {
        let key = (instance_type.to_string(), az.to_string());
        if let Some(&id) = self.usage_ids.get(&key) {
            return id;
        }
        let id = UsageId(self.usages.len() as u32);
        self.usages.push(key.clone());
        self.usage_ids.insert(key, id);
        self.usage_lines.push(None);
        id
    }

    /// A constant price, USD per hour (an on-demand price).
    pub fn constant_tariff(&mut self, usd_per_hour: f64) -> TariffId {
        self.tariffs.push(Tariff {
            price: usd_per_hour,
            points: Vec::new(),
            next: 0,
            lines: Vec::new(),
        });
        TariffId(self.tariffs.len() as u32 - 1)
    }

    /// A spot pool's price (S1): its price in effect at each instant.
    pub fn spot_tariff(&mut self, price: &SpotPrice) -> TariffId {
        let id = self.tariffs.len() as u32;
        let (now, points) = match price {
            SpotPrice::Discount { .. } => (price.at(SimTime::ZERO), Vec::new()),
            SpotPrice::Series(s) => (
                s.at(SimTime::ZERO),
                s.points()
                    .iter()
                    .copied()
                    .filter(|(t, _)| *t > SimTime::ZERO)
                    .collect(),
            ),
        };
        if let Some(&(t, _)) = points.first() {
            self.price_changes.push(Reverse((t, id)));
            self.next_due = self.next_due.min(t);
        }
        self.tariffs.push(Tariff {
            price: now,
            points,
            next: 0,
            lines: Vec::new(),
        });
        TariffId(id)
    }

    /// ECS-MODEL B1: an instance starts being billed at `now` at `tariff`,
    /// on `capacity` (EC2 on-demand or spot); `usage` names its type and AZ
    /// when its on-demand use is to be reported.
    pub fn instance_launched(
        &mut self,
        id: InstanceId,
        now: SimTime,
        tariff: TariffId,
        capacity: Capacity,
        usage: Option<UsageId>,
    ) {
        self.advance(now);
        let t = tariff.0;
        let idle_line = self.owner_line(self.idle_owner, capacity);
        self.reweigh(idle_line, t, IDLE_PART, Fixed::ONE, 1);
        let cost_line = match self.instance_lines[cap_index(capacity)] {
            Some(l) => l,
            None => {
                let l = self.new_line(LineKind::Instances(capacity));
                self.instance_lines[cap_index(capacity)] = Some(l);
                l
            }
        };
        self.reweigh(cost_line, t, COMPUTE, Fixed::ONE, 1);
        let storage_line = self.ebs.map(|ebs| {
            let l = self.owner_line(self.instances_owner, capacity);
            self.reweigh(l, ebs, STORAGE, Fixed::ONE, 1);
            l
        });
        let usage_line = usage.map(|u| {
            let l = match self.usage_lines[u.0 as usize] {
                Some(l) => l,
                None => {
                    let l = self.new_line(LineKind::Usage(u));
                    self.usage_lines[u.0 as usize] = Some(l);
                    l
                }
            };
            self.reweigh(l, t, USAGE_USD, Fixed::ONE, 1);
            self.reweigh(l, self.seconds, USAGE_SECONDS, Fixed::ONE, 0);
            l
        });
        let k = id.index();
        if k >= self.instances.len() {
            self.instances.resize_with(k + 1, || None);
        }
        self.instances[k] = Some(Running {
            tariff: t,
            capacity,
            launched: now,
            tasks: 0,
            #[cfg(debug_assertions)]
            billed: Vec::new(),
            used: Fixed::default(),
            idle_line,
            cost_line,
            storage_line,
            usage_line,
        });
    }

    /// ECS-MODEL B1: the instance stops being billed at `now`. Its tasks
    /// are stopped first ([`task_stopped`](Self::task_stopped); debug
    /// builds check it). A launch shorter than 60 s is topped up to 60 s
    /// at the price in effect, as idle time, in the hour of the stop.
    pub fn instance_terminated(&mut self, id: InstanceId, now: SimTime) {
        self.advance(now);
        let Some(run) = self.instances.get_mut(id.index()).and_then(Option::take) else {
            return;
        };
        debug_assert!(
            run.tasks == 0,
            "instance {id:?} terminated with {} tasks still billed",
            run.tasks
        );
        let t = run.tariff;
        self.reweigh(run.idle_line, t, IDLE_PART, idle_of(run.used).neg(), -1);
        self.reweigh(run.cost_line, t, COMPUTE, Fixed::ONE.neg(), -1);
        if let (Some(l), Some(ebs)) = (run.storage_line, self.ebs) {
            self.reweigh(l, ebs, STORAGE, Fixed::ONE.neg(), -1);
        }
        if let Some(l) = run.usage_line {
            self.reweigh(l, t, USAGE_USD, Fixed::ONE.neg(), -1);
            self.reweigh(l, self.seconds, USAGE_SECONDS, Fixed::ONE.neg(), 0);
        }
        let topup = minimum_topup_seconds(now - run.launched);
        if topup > 0.0 {
            let c = ec2_cost(self.tariffs[t as usize].price, topup);
            let h = self.hour_of(now);
            self.lines[run.idle_line as usize].cell(h)[IDLE_PART] += c;
            self.lines[run.cost_line as usize].cell(h)[COMPUTE] += c;
            if let Some(l) = run.usage_line {
                let cell = self.lines[l as usize].cell(h);
                cell[USAGE_USD] += c;
                cell[USAGE_SECONDS] += topup;
            }
        }
    }

    /// ECS-MODEL B4: from `now`, `task` of `owner` holds `share` of
    /// `instance` (see [`task_share`]).
    #[inline(always)]
    pub fn task_placed(
        &mut self,
        task: TaskId,
        instance: InstanceId,
        owner: OwnerId,
        share: f64,
        now: SimTime,
    ) {
        self.advance(now);
        let Some(Some(run)) = self.instances.get(instance.index()) else {
            return;
        };
        let (tariff, capacity) = (run.tariff, run.capacity);
        let line = self.owner_line(owner, capacity);
        let weight = self.weight(share);
        let Some(Some(run)) = self.instances.get_mut(instance.index()) else {
            return;
        };
        #[cfg(debug_assertions)]
        {
            assert!(
                run.billed.iter().all(|b| b.0 != task),
                "task {task:?} placed twice on instance {instance:?}"
            );
            run.billed.push((task, line, weight));
        }
        let _ = task;
        run.tasks += 1;
        let idle = run.add_used(weight);
        self.reweigh(line, tariff, COMPUTE, weight, 1);
        if let Some((idle_line, delta)) = idle {
            self.reweigh(idle_line, tariff, IDLE_PART, delta, 0);
        }
    }

    /// ECS-MODEL B4: `task` of `owner`, placed on `instance` with `share`,
    /// leaves it at `now`. The caller names the owner and share the task
    /// was placed with and stops each task once, before its instance is
    /// terminated (debug builds check all three); a stop on an instance no
    /// longer billed changes nothing.
    #[inline(always)]
    pub fn task_stopped(
        &mut self,
        task: TaskId,
        instance: InstanceId,
        owner: OwnerId,
        share: f64,
        now: SimTime,
    ) {
        self.advance(now);
        let weight = self.weight(share);
        let Some(Some(run)) = self.instances.get_mut(instance.index()) else {
            return;
        };
        let lines = self.owner_lines.get(owner.0 as usize);
        let (Some(line), Some(tasks)) = (
            lines.and_then(|l| l[cap_index(run.capacity)]),
            run.tasks.checked_sub(1),
        ) else {
            debug_assert!(
                false,
                "task {task:?} stopped on instance {instance:?} without being billed there"
            );
            return;
        };
        #[cfg(debug_assertions)]
        {
            let pos = run.billed.iter().position(|b| b.0 == task);
            let Some(pos) = pos else {
                panic!("task {task:?} stopped on instance {instance:?} without being billed there");
            };
            assert_eq!(
                run.billed.swap_remove(pos),
                (task, line, weight),
                "task {task:?} stopped with another owner or share than it was placed with"
            );
        }
        let _ = task;
        run.tasks = tasks;
        let tariff = run.tariff;
        let idle = run.add_used(weight.neg());
        self.reweigh(line, tariff, COMPUTE, weight.neg(), -1);
        if let Some((idle_line, delta)) = idle {
            self.reweigh(idle_line, tariff, IDLE_PART, delta, 0);
        }
    }

    /// ECS-MODEL B2: a Fargate task of `owner`, on Fargate Spot or not, of
    /// `size`, billed at `rates` from its admission `admitted` (the time of
    /// the launch or later: the launch-rate bucket may hold it back, F2).
    pub fn fargate_admitted(
        &mut self,
        task: TaskId,
        owner: OwnerId,
        spot: bool,
        rates: FargateRates,
        size: FargateSize,
        admitted: SimTime,
    ) {
        let line = self.owner_line(owner, Capacity::fargate(spot));
        let per_hour = fargate_cost(
            &rates,
            size.vcpu,
            size.memory_gb,
            size.ephemeral_gb,
            3600.0,
            size.free_ephemeral_gb,
        );
        self.fargate.insert(
            task,
            FargateBilled {
                line,
                admitted,
                active: false,
                compute: Fixed::from_f64(per_hour.compute_usd),
                storage: Fixed::from_f64(per_hour.storage_usd),
                rates,
                size,
            },
        );
        if admitted <= self.clock {
            self.admit(task);
        } else {
            self.admissions.push(Reverse((admitted, task)));
            self.next_due = self.next_due.min(admitted);
        }
    }

    /// ECS-MODEL B2: the Fargate task stops at `now`; one that ran less
    /// than 60 s (or was stopped before its admission) is topped up to 60 s
    /// in the hour of the stop.
    pub fn fargate_stopped(&mut self, task: TaskId, now: SimTime) {
        self.advance(now);
        let Some(f) = self.fargate.remove(&task) else {
            return;
        };
        if f.active {
            self.reweigh(f.line, self.unit, COMPUTE, f.compute.neg(), -1);
            self.reweigh(f.line, self.unit, STORAGE, f.storage.neg(), 0);
        }
        let topup = minimum_topup_seconds(now - f.admitted);
        if topup > 0.0 {
            let c = fargate_cost(
                &f.rates,
                f.size.vcpu,
                f.size.memory_gb,
                f.size.ephemeral_gb,
                topup,
                f.size.free_ephemeral_gb,
            );
            let h = self.hour_of(now);
            let cell = self.lines[f.line as usize].cell(h);
            cell[COMPUTE] += c.compute_usd;
            cell[STORAGE] += c.storage_usd;
        }
    }

    /// Bills every line up to the end of the run. Call it before
    /// [`statement`](Self::statement) and the usage reports; the ledger
    /// takes no change after it.
    pub fn close(&mut self) {
        let end = self.end;
        self.advance(end);
        for line in &mut self.lines {
            line.settle(end, &self.tariffs);
            line.flush(&self.tariffs);
        }
    }

    /// ECS-MODEL B3: the flat commitment `c` settled hour by hour on
    /// on-demand spend (EC2 on-demand and Fargate compute and idle): per
    /// hour, what the bill changes by (negative: a saving). Bills up to the
    /// end of the run first.
    pub fn flat_settlement(&mut self, c: &Commitment) -> Vec<f64> {
        self.close();
        (0..self.n_hours)
            .map(|h| {
                let mut spend = 0.0;
                for &(_, cap, k) in &self.owner_order() {
                    let line = &self.lines[k];
                    if cap.is_on_demand() && line.touched_at(h) {
                        let a = line.at(h);
                        spend += a[COMPUTE] + a[IDLE_PART];
                    }
                }
                let start = h as u64 * HOUR_MS;
                let hour_ms = (start + HOUR_MS).min(self.end.as_millis()) - start;
                let r = c.apply(spend, hour_ms as f64 / 1000.0);
                r.committed_usd + r.uncovered_usd - spend
            })
            .collect()
    }

    /// The length of each hour of the run, in seconds (the last one partial
    /// when the run is not a whole number of hours).
    pub fn hour_spans_s(&self) -> Vec<f64> {
        let end = self.end.as_millis();
        (0..end.div_ceil(HOUR_MS))
            .map(|h| (((h + 1) * HOUR_MS).min(end) - h * HOUR_MS) as f64 / 1000.0)
            .collect()
    }

    /// Owner lines in the order of their names, then capacity names: the
    /// order of the rows within an hour.
    fn owner_order(&self) -> Vec<(&str, Capacity, usize)> {
        let mut order: Vec<(&str, Capacity, usize)> = self
            .lines
            .iter()
            .enumerate()
            .filter_map(|(k, l)| match l.kind {
                LineKind::Owner(o, c) => Some((self.owners[o.0 as usize].as_str(), c, k)),
                _ => None,
            })
            .collect();
        order.sort_unstable_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
        order
    }

    /// The rows of `cost.csv` and their sums, with `settlement` (B3: per
    /// hour, what a commitment changes the bill by, from
    /// [`flat_settlement`](Self::flat_settlement) or from Reserved
    /// Instances and Savings Plans, `crate::cost::commitments`) as the
    /// `(commitment)` line. Bills up to the end of the run first.
    pub fn statement(&mut self, settlement: &[f64]) -> Statement {
        self.close();
        let order = self.owner_order();
        // The settlement is a line of its own, in its place by name.
        let settled = order
            .partition_point(|&(name, cap, _)| (name, cap) < (COMMITMENT, Capacity::Commitment));
        let n_hours = self
            .lines
            .iter()
            .map(|l| l.hours.len())
            .max()
            .unwrap_or(0)
            .max(self.n_hours);
        let mut rows = Vec::new();
        for h in 0..n_hours {
            for (j, &(name, cap, k)) in order.iter().enumerate() {
                if j == settled {
                    if let Some(&s) = settlement.get(h) {
                        rows.push(StatementRow {
                            hour: h as u32,
                            owner: COMMITMENT.to_string(),
                            capacity: Capacity::Commitment,
                            compute_usd: s,
                            idle_usd: 0.0,
                            storage_usd: 0.0,
                        });
                    }
                }
                let line = &self.lines[k];
                if line.touched_at(h) {
                    let a = line.at(h);
                    rows.push(StatementRow {
                        hour: h as u32,
                        owner: name.to_string(),
                        capacity: cap,
                        compute_usd: a[COMPUTE],
                        idle_usd: a[IDLE_PART],
                        storage_usd: a[STORAGE],
                    });
                }
            }
            if settled == order.len() {
                if let Some(&s) = settlement.get(h) {
                    rows.push(StatementRow {
                        hour: h as u32,
                        owner: COMMITMENT.to_string(),
                        capacity: Capacity::Commitment,
                        compute_usd: s,
                        idle_usd: 0.0,
                        storage_usd: 0.0,
                    });
                }
            }
        }
        let mut totals = Totals::default();
        for r in &rows {
            let sum = r.compute_usd + r.idle_usd + r.storage_usd;
            totals.total_usd += sum;
            if r.owner != COMMITMENT {
                totals.compute_usd += r.compute_usd;
            }
            totals.idle_usd += r.idle_usd;
            totals.storage_usd += r.storage_usd;
            *totals.by_capacity.entry(r.capacity).or_default() += sum;
            if r.owner != IDLE && r.owner != COMMITMENT {
                *totals.by_owner.entry(r.owner.clone()).or_default() +=
                    r.compute_usd + r.storage_usd;
            }
        }
        for s in settlement {
            totals.commitment_usd += s;
        }
        let mut instances: Vec<(Capacity, &Line)> = self
            .lines
            .iter()
            .filter_map(|l| match l.kind {
                LineKind::Instances(c) => Some((c, l)),
                _ => None,
            })
            .collect();
        instances.sort_by_key(|(c, _)| *c);
        for (_, l) in instances {
            for a in &l.hours {
                totals.ec2_instances_usd += a[COMPUTE];
            }
        }
        for &(_, cap, k) in &order {
            if matches!(cap, Capacity::Ec2OnDemand | Capacity::Ec2Spot) {
                for a in &self.lines[k].hours {
                    totals.ec2_idle_usd += a[IDLE_PART];
                }
            }
        }
        Statement { rows, totals }
    }

    /// ECS-MODEL B3: per hour, the on-demand EC2 use of each instance type
    /// in each AZ (instance-seconds, 60 s minimums included, and what they
    /// cost at on-demand rates), sorted by hour, type and AZ; only hours in
    /// which some on-demand instance of the type ran there. What the ledger
    /// has billed so far: [`close`](Self::close) it first.
    pub fn ec2_usage_hours(&self) -> Vec<Ec2UsageHour> {
        let mut keys: Vec<(&str, &str, usize)> = self
            .lines
            .iter()
            .enumerate()
            .filter_map(|(k, l)| match l.kind {
                LineKind::Usage(u) => {
                    let (ty, az) = &self.usages[u.0 as usize];
                    Some((ty.as_str(), az.as_str(), k))
                }
                _ => None,
            })
            .collect();
        keys.sort_unstable();
        let n_hours = keys
            .iter()
            .map(|&(_, _, k)| self.lines[k].hours.len())
            .max()
            .unwrap_or(0);
        let mut out = Vec::new();
        for h in 0..n_hours {
            for &(ty, az, k) in &keys {
                let line = &self.lines[k];
                if line.touched_at(h) {
                    let a = line.at(h);
                    out.push(Ec2UsageHour {
                        hour: h as u32,
                        instance_type: ty.to_string(),
                        az: az.to_string(),
                        instance_seconds: a[USAGE_SECONDS],
                        on_demand_usd: a[USAGE_USD],
                    });
                }
            }
        }
        out
    }

    /// ECS-MODEL B3: per hour, what Fargate (not Fargate Spot) compute cost
    /// at on-demand rates, 60 s minimums included (ephemeral storage
    /// apart), sorted by hour; only hours in which a Fargate task ran. What
    /// the ledger has billed so far: [`close`](Self::close) it first.
    pub fn fargate_usage_hours(&self) -> Vec<FargateUsageHour> {
        let mut keys: Vec<(&str, usize)> = self
            .lines
            .iter()
            .enumerate()
            .filter_map(|(k, l)| match l.kind {
                LineKind::Owner(o, Capacity::Fargate) => {
                    Some((self.owners[o.0 as usize].as_str(), k))
                }
                _ => None,
            })
            .collect();
        keys.sort_unstable();
        let n_hours = keys
            .iter()
            .map(|&(_, k)| self.lines[k].hours.len())
            .max()
            .unwrap_or(0);
        let mut out = Vec::new();
        for h in 0..n_hours {
            let mut usd = 0.0;
            let mut any = false;
            for &(_, k) in &keys {
                let line = &self.lines[k];
                if line.touched_at(h) {
                    any = true;
                    usd += line.at(h)[COMPUTE];
                }
            }
            if any {
                out.push(FargateUsageHour {
                    hour: h as u32,
                    on_demand_usd: usd,
                });
            }
        }
        out
    }

    /// Instances billed now (launched, not terminated).
    pub fn instances_billed(&self) -> usize {
        self.instances.iter().flatten().count()
    }

    /// Tasks billed on instances now (placed, not stopped).
    pub fn tasks_billed(&self) -> usize {
        self.instances
            .iter()
            .flatten()
            .map(|i| i.tasks as usize)
            .sum()
    }

    /// Fargate tasks billed now or from their admission (not stopped).
    pub fn fargate_billed(&self) -> usize {
        self.fargate.len()
    }

    // ----- internals ---------------------------------------------------

    /// The hour a charge at `t` is billed in: a charge at the very end of
    /// the run belongs to its last hour.
    fn hour_of(&self, t: SimTime) -> usize {
        let end = self.end.as_millis();
        let t = if t.as_millis() >= end && end > 0 {
            end - 1
        } else {
            t.as_millis()
        };
        (t / HOUR_MS) as usize
    }

    fn new_line(&mut self, kind: LineKind) -> u32 {
        self.lines.push(Line::new(kind, self.clock, self.n_hours));
        self.lines.len() as u32 - 1
    }

    fn owner_line(&mut self, owner: OwnerId, capacity: Capacity) -> u32 {
        let c = cap_index(capacity);
        match self.owner_lines[owner.0 as usize][c] {
            Some(l) => l,
            None => self.new_owner_line(owner, capacity),
        }
    }

    /// The first line of `owner` on `capacity`: once per pair.
    #[cold]
    #[inline(never)]
    fn new_owner_line(&mut self, owner: OwnerId, capacity: Capacity) -> u32 {
        let l = self.new_line(LineKind::Owner(owner, capacity));
        self.owner_lines[owner.0 as usize][cap_index(capacity)] = Some(l);
        l
    }

    /// Settles `line` up to now, then adds `delta` to its weight on
    /// `tariff` for `part`, and `active` to its contributors.
    #[inline(always)]
    fn reweigh(&mut self, line: u32, tariff: u32, part: usize, delta: Fixed, active: i32) {
        let clock = self.clock;
        let l = &mut self.lines[line as usize];
        l.settle(clock, &self.tariffs);
        match l
            .terms
            .iter_mut()
            .find(|x| x.tariff == tariff && x.part == part)
        {
            Some(x) => x.weight = x.weight.plus(delta),
            None => self.add_term(line, tariff, part, delta),
        }
        let l = &mut self.lines[line as usize];
        l.active = l.active.saturating_add_signed(active);
    }

    /// A line's first weight on `tariff` for `part`: once per line and
    /// term, so out of the way of the changes that find their term.
    #[cold]
    #[inline(never)]
    fn add_term(&mut self, line: u32, tariff: u32, part: usize, delta: Fixed) {
        self.lines[line as usize].terms.push(Term {
            tariff,
            part,
            weight: delta,
            area: 0,
        });
        let lines = &mut self.tariffs[tariff as usize].lines;
        if !lines.contains(&line) {
            lines.push(line);
        }
    }

    /// A task share as a weight. Most tasks placed and stopped in a row
    /// have the same share: the conversion is kept for the next.
    #[inline(always)]
    fn weight(&mut self, share: f64) -> Fixed {
        if self.last_weight.0 != share.to_bits() {
            self.last_weight = (share.to_bits(), Fixed::from_f64(share));
        }
        self.last_weight.1
    }

    /// A Fargate task starts costing money now.
    fn admit(&mut self, task: TaskId) {
        let Some(f) = self.fargate.get_mut(&task) else {
            return;
        };
        f.active = true;
        let f = *f;
        self.reweigh(f.line, self.unit, COMPUTE, f.compute, 1);
        self.reweigh(f.line, self.unit, STORAGE, f.storage, 0);
    }

    /// Applies every spot price change and Fargate admission up to `t`, in
    /// time order, then moves the clock to `t`.
    #[inline]
    fn advance(&mut self, t: SimTime) {
        debug_assert!(t >= self.clock, "billing at {t} after {}", self.clock);
        if t < self.next_due {
            self.clock = self.clock.max(t);
        } else {
            self.apply_due(t);
        }
    }

    /// [`advance`](Self::advance) when a change is due by `t`: rare next
    /// to the changes it precedes, so out of their way.
    #[cold]
    #[inline(never)]
    fn apply_due(&mut self, t: SimTime) {
        loop {
            let price = self.price_changes.peek().map(|Reverse((at, _))| *at);
            let admission = self.admissions.peek().map(|Reverse((at, _))| *at);
            let at = match (price, admission) {
                (Some(p), Some(a)) => p.min(a),
                (Some(p), None) => p,
                (None, Some(a)) => a,
                (None, None) => {
                    self.next_due = SimTime(u64::MAX);
                    break;
                }
            };
            if at > t {
                self.next_due = at;
                break;
            }
            self.clock = self.clock.max(at);
            if price == Some(at) {
                if let Some(Reverse((_, k))) = self.price_changes.pop() {
                    self.reprice(k, at);
                }
            } else if let Some(Reverse((_, task))) = self.admissions.pop() {
                if self.fargate.get(&task).is_some_and(|f| !f.active) {
                    self.admit(task);
                }
            }
        }
        self.clock = self.clock.max(t);
    }

    /// S1: the spot price of `tariff` changes at `at` (the last of the
    /// points at that instant holds).
    fn reprice(&mut self, tariff: u32, at: SimTime) {
        // What the lines cost up to `at` is flushed at the old price.
        let lines = std::mem::take(&mut self.tariffs[tariff as usize].lines);
        for &line in &lines {
            let l = &mut self.lines[line as usize];
            l.settle(at, &self.tariffs);
            l.flush(&self.tariffs);
        }
        let tf = &mut self.tariffs[tariff as usize];
        tf.lines = lines;
        while let Some(&(t, p)) = tf.points.get(tf.next) {
            if t > at {
                break;
            }
            tf.price = p;
            tf.next += 1;
        }
        if let Some(&(t, _)) = tf.points.get(tf.next) {
            self.price_changes.push(Reverse((t, tariff)));
        }
    }
}

#[cfg(test)]
mod tests {
    /// The bit-level conversions equal the float formulas they replace, on
    /// halves (ties), shares, exact powers of two, extremes and random bits.
    #[test]
    fn fixed_point_conversions_equal_the_float_formulas() {
        use super::{Fixed, FIXED_ONE};
        use rand::Rng;

        let from = |x: f64| (x * FIXED_ONE).round() as i128;
        let to = |v: i128| v as f64 / FIXED_ONE;
        let mut xs: Vec<f64> = vec![
            0.0,
            -0.0,
            1.0,
            -1.0,
            0.5,
            0.25,
            1.0 / 3.0,
            0.0625,
            1e-30,
            5e-324,
            f64::MIN_POSITIVE,
            f64::MAX,
            f64::MIN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            1e20,
            1.7e19,
        ];
        // x × 2⁶⁴ = n + ½: the ties.
        for n in [0u64, 1, 2, 3, 1 << 20, (1 << 52) - 1] {
            xs.push((n as f64 + 0.5) / FIXED_ONE);
            xs.push(-(n as f64 + 0.5) / FIXED_ONE);
        }
        for k in -80..80 {
            xs.push(2f64.powi(k));
            xs.push(-3.0 * 2f64.powi(k));
        }
        let mut rng = crate::sim::RngStreams::new(7).stream("fixed");
        for _ in 0..200_000 {
            xs.push(f64::from_bits(rng.gen()));
            xs.push(rng.gen::<f64>());
            xs.push(f64::from(rng.gen_range(1..4096u32)) / f64::from(rng.gen_range(1..65536u32)));
        }
        for x in xs {
            assert_eq!(Fixed::from_f64(x).0, from(x), "{x:e} ({:#x})", x.to_bits());
        }
        let mut vs: Vec<i128> = vec![0, 1, -1, i128::MAX, i128::MIN, 1 << 64, -(1 << 64)];
        vs.extend([
            (1i128 << 64) - 1,
            -(1i128 << 64) + 1,
            (1 << 53) + 1,
            (1 << 63) + 1,
        ]);
        for _ in 0..200_000 {
            let v: i128 = rng.gen();
            vs.extend([v, v >> 40, v >> 64, v >> 70, v >> 100]);
        }
        for v in vs {
            assert_eq!(Fixed(v).to_f64().to_bits(), to(v).to_bits(), "{v}");
        }
    }

    use super::*;
    use crate::cost::prices::PriceBook;
    use crate::market::fargate::FargatePlatform;
    use crate::market::PriceSeries;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    /// Instance 0 on demand at `usd_per_hour` from time zero; its tariff.
    fn on_demand_instance(l: &mut Ledger, usd_per_hour: f64) -> TariffId {
        let od = l.constant_tariff(usd_per_hour);
        l.instance_launched(
            InstanceId(0),
            SimTime::ZERO,
            od,
            Capacity::Ec2OnDemand,
            None,
        );
        od
    }

    fn mins(m: u64) -> SimTime {
        SimTime(m * 60_000)
    }

    fn secs(s: u64) -> SimTime {
        SimTime(s * 1000)
    }

    fn hours(h: u64) -> SimTime {
        SimTime(h * HOUR_MS)
    }

    /// The rows as (hour, owner, capacity, compute, idle, storage).
    fn rows(s: &Statement) -> Vec<(u32, &str, &str, f64, f64, f64)> {
        s.rows
            .iter()
            .map(|r| {
                (
                    r.hour,
                    r.owner.as_str(),
                    r.capacity.as_str(),
                    r.compute_usd,
                    r.idle_usd,
                    r.storage_usd,
                )
            })
            .collect()
    }

    fn assert_rows(got: &Statement, want: &[(u32, &str, &str, f64, f64, f64)]) {
        let got = rows(got);
        assert_eq!(got.len(), want.len(), "{got:?}");
        for (g, w) in got.iter().zip(want) {
            assert_eq!((g.0, g.1, g.2), (w.0, w.1, w.2), "{got:?}");
            assert!(
                close(g.3, w.3) && close(g.4, w.4) && close(g.5, w.5),
                "{g:?} != {w:?}"
            );
        }
    }

    fn fargate_rates(spot: bool) -> FargateRates {
        match PriceBook::builtin("us-east-1")
            .and_then(|b| b.fargate_rates(FargatePlatform::LinuxX86, spot))
        {
            Ok(r) => r,
            Err(e) => panic!("{e}"),
        }
    }

    /// 0.25 vCPU, 0.5 GB, `ephemeral_gb` of which 20 GB free.
    fn quarter(ephemeral_gb: f64) -> FargateSize {
        FargateSize {
            vcpu: 0.25,
            memory_gb: 0.5,
            ephemeral_gb,
            free_ephemeral_gb: 20.0,
        }
    }

    #[test]
    fn task_share_is_the_mean_of_cpu_and_memory_fractions_b4() {
        // ECS-MODEL B4: (1024/4096 + 2048/16384) / 2 = (0.25 + 0.125) / 2 = 0.1875.
        let reg = Resources::new(4096, 16384);
        assert_eq!(task_share(Resources::new(1024, 2048), reg), 0.1875);
        assert_eq!(task_share(Resources::new(4096, 16384), reg), 1.0);
        // A resource the instance does not register counts 0.
        assert_eq!(
            task_share(Resources::new(1024, 2048), Resources::new(0, 16384)),
            0.0625
        );
    }

    #[test]
    fn an_instance_is_split_between_its_tasks_and_idle_b1_b4() {
        // ECS-MODEL B1, B4: an on-demand instance at $0.192/h from 0 to 2 h
        // of a 3 h run; task web (share 0.5) from 0:30 to 1:30.
        let mut l = Ledger::new(hours(3), None);
        let web = l.owner("web");
        on_demand_instance(&mut l, 0.192);
        l.task_placed(TaskId(7), InstanceId(0), web, 0.5, mins(30));
        l.task_stopped(TaskId(7), InstanceId(0), web, 0.5, mins(90));
        l.instance_terminated(InstanceId(0), hours(2));
        // A stop on an instance no longer billed changes nothing.
        l.task_stopped(TaskId(7), InstanceId(0), web, 0.5, hours(2));
        let s = l.statement(&[]);
        // Hour 0: web 0.5 × 0.192 × 0.5 h = 0.048; idle 0.192 × 0.5 h +
        // 0.5 × 0.192 × 0.5 h = 0.096 + 0.048 = 0.144. Hour 1 mirrors it.
        // "(idle)" sorts before "web"; nothing after the termination.
        assert_rows(
            &s,
            &[
                (0, IDLE, "ec2-on-demand", 0.0, 0.144, 0.0),
                (0, "web", "ec2-on-demand", 0.048, 0.0, 0.0),
                (1, IDLE, "ec2-on-demand", 0.0, 0.144, 0.0),
                (1, "web", "ec2-on-demand", 0.048, 0.0, 0.0),
            ],
        );
        let t = &s.totals;
        // Two instance-hours: 0.384, of which 0.288 idle.
        assert!(close(t.total_usd, 0.384), "{t:?}");
        assert!(close(t.ec2_instances_usd, 0.384), "{t:?}");
        assert!(close(t.ec2_idle_usd, 0.288), "{t:?}");
        assert!(close(t.compute_usd, 0.096) && close(t.idle_usd, 0.288));
        assert_eq!(t.by_owner.keys().collect::<Vec<_>>(), ["web"]);
        assert!(close(t.by_owner["web"], 0.096));
        assert!(close(t.by_capacity[&Capacity::Ec2OnDemand], 0.384));
        assert_eq!(t.commitment_usd, 0.0);
    }

    #[test]
    fn a_full_instance_has_no_idle_but_keeps_its_idle_row_b4() {
        // ECS-MODEL B4: shares 0.25 + 0.75 fill the instance for the whole
        // hour: idle 0, the (idle) row still says the instance ran.
        let mut l = Ledger::new(hours(1), None);
        let (a, b) = (l.owner("a"), l.owner("b"));
        let spot = l.spot_tariff(&SpotPrice::Discount {
            on_demand_usd_per_hour: 0.2,
            discount_pct: 60.0,
        });
        l.instance_launched(InstanceId(0), SimTime::ZERO, spot, Capacity::Ec2Spot, None);
        l.task_placed(TaskId(0), InstanceId(0), a, 0.25, SimTime::ZERO);
        l.task_placed(TaskId(1), InstanceId(0), b, 0.75, SimTime::ZERO);
        let s = l.statement(&[]);
        // Spot price 0.2 × 0.4 = 0.08: a 0.02, b 0.06, idle exactly 0.
        assert_rows(
            &s,
            &[
                (0, IDLE, "ec2-spot", 0.0, 0.0, 0.0),
                (0, "a", "ec2-spot", 0.02, 0.0, 0.0),
                (0, "b", "ec2-spot", 0.06, 0.0, 0.0),
            ],
        );
        assert_eq!(s.rows[0].idle_usd, 0.0);
        // Still running at the end: no minimum applies.
        assert!(close(s.totals.total_usd, 0.08));
    }

    #[test]
    fn a_short_launch_bills_a_minute_as_idle_b1() {
        // ECS-MODEL B1: an instance at $0.192/h for 30 s bills 60 s:
        // 0.192 × 30 / 3600 = 0.0016 while it ran, and a 30 s top-up of
        // 0.0016 as idle in the hour of the stop.
        let mut l = Ledger::new(hours(2), None);
        let od = l.constant_tariff(0.192);
        let at = secs(3600 + 10);
        l.instance_launched(InstanceId(0), at, od, Capacity::Ec2OnDemand, None);
        l.instance_terminated(InstanceId(0), secs(3600 + 40));
        let s = l.statement(&[]);
        assert_rows(&s, &[(1, IDLE, "ec2-on-demand", 0.0, 0.0032, 0.0)]);
        assert!(close(s.totals.ec2_instances_usd, 0.0032));
        // One still running at the end is not topped up: 0.192 × 20 / 3600.
        let mut l = Ledger::new(hours(1), None);
        let od = l.constant_tariff(0.192);
        l.instance_launched(
            InstanceId(0),
            secs(3600 - 20),
            od,
            Capacity::Ec2OnDemand,
            None,
        );
        let s = l.statement(&[]);
        assert_rows(
            &s,
            &[(0, IDLE, "ec2-on-demand", 0.0, 0.192 * 20.0 / 3600.0, 0.0)],
        );
        // A termination at the very end of the run bills its top-up in the
        // last hour: 10 s run, 50 s top-up, all in hour 0.
        let mut l = Ledger::new(hours(1), None);
        let od = l.constant_tariff(0.36);
        l.instance_launched(
            InstanceId(0),
            secs(3600 - 10),
            od,
            Capacity::Ec2OnDemand,
            None,
        );
        l.instance_terminated(InstanceId(0), hours(1));
        let s = l.statement(&[]);
        // 0.36 × 60 / 3600 = 0.006.
        assert_rows(&s, &[(0, IDLE, "ec2-on-demand", 0.0, 0.006, 0.0)]);
    }

    #[test]
    fn spot_is_billed_at_the_price_in_effect_b1() {
        // ECS-MODEL B1, S1: $0.10/h from before the run, $0.30/h from 1:30
        // (two points at 1:30: the last given holds), a spot instance from 0
        // to 3 h with task t (share 0.5) all along.
        let series = match PriceSeries::new(vec![
            (SimTime::ZERO, 0.10),
            (mins(90), 0.50),
            (mins(90), 0.30),
        ]) {
            Ok(s) => s,
            Err(e) => panic!("{e}"),
        };
        let mut l = Ledger::new(hours(3), None);
        let t = l.owner("t");
        let spot = l.spot_tariff(&SpotPrice::Series(series));
        l.instance_launched(InstanceId(0), SimTime::ZERO, spot, Capacity::Ec2Spot, None);
        l.task_placed(TaskId(0), InstanceId(0), t, 0.5, SimTime::ZERO);
        // A stop at 3 h with a 60 s run elsewhere bills its top-up at the
        // price in effect then: 0.30 × 30 / 3600 = 0.0025 in hour 2.
        l.instance_launched(
            InstanceId(1),
            secs(3 * 3600 - 30),
            spot,
            Capacity::Ec2Spot,
            None,
        );
        l.instance_terminated(InstanceId(1), hours(3));
        let s = l.statement(&[]);
        // Hour 0: 0.10; hour 1: 0.5 h × 0.10 + 0.5 h × 0.30 = 0.20; hour 2:
        // 0.30 (+ instance 1: 0.0025 ran + 0.0025 top-up, all idle).
        assert_rows(
            &s,
            &[
                (0, IDLE, "ec2-spot", 0.0, 0.05, 0.0),
                (0, "t", "ec2-spot", 0.05, 0.0, 0.0),
                (1, IDLE, "ec2-spot", 0.0, 0.10, 0.0),
                (1, "t", "ec2-spot", 0.10, 0.0, 0.0),
                (2, IDLE, "ec2-spot", 0.0, 0.15 + 0.005, 0.0),
                (2, "t", "ec2-spot", 0.15, 0.0, 0.0),
            ],
        );
        assert!(close(s.totals.ec2_instances_usd, 0.605), "{:?}", s.totals);
    }

    #[test]
    fn ebs_root_volumes_are_billed_per_instance_b1() {
        // ECS-MODEL B1: 30 GB × $0.08/GB-month ÷ 730 h = 2.4 / 730 USD per
        // instance-hour; two instances for an hour, one more for half of it.
        let ebs = crate::cost::ebs_usd_per_hour(30.0, 0.08);
        let mut l = Ledger::new(hours(1), Some(ebs));
        let od = on_demand_instance(&mut l, 0.1);
        l.instance_launched(
            InstanceId(1),
            SimTime::ZERO,
            od,
            Capacity::Ec2OnDemand,
            None,
        );
        l.instance_launched(InstanceId(2), mins(30), od, Capacity::Ec2OnDemand, None);
        let s = l.statement(&[]);
        assert_rows(
            &s,
            &[
                (0, IDLE, "ec2-on-demand", 0.0, 0.25, 0.0),
                (0, INSTANCES, "ec2-on-demand", 0.0, 0.0, 2.5 * 2.4 / 730.0),
            ],
        );
        // Storage counts for no service and is not idle instance cost.
        assert!(s.totals.by_owner.contains_key(INSTANCES));
        assert!(close(s.totals.ec2_instances_usd, 0.25));
    }

    #[test]
    fn fargate_is_billed_from_admission_to_stop_b2() {
        // ECS-MODEL B2, F2: launched at 0, admitted at 0:10 (the launch-rate
        // bucket held it), stopped at 0:40: 30 min of 0.25 vCPU / 0.5 GB at
        // us-east-1 rates: (0.25 × 0.04048 + 0.5 × 0.004445) × 0.5
        // = 0.0123425 × 0.5 = 0.00617125 USD; 50 GB ephemeral, 30 GB above
        // the free 20: 30 × 0.000111 × 0.5 = 0.001665.
        let mut l = Ledger::new(hours(1), None);
        let job = l.owner("job");
        l.fargate_admitted(
            TaskId(3),
            job,
            false,
            fargate_rates(false),
            quarter(50.0),
            mins(10),
        );
        l.fargate_stopped(TaskId(3), mins(40));
        // Fargate Spot, 70 % off, from 0:40 to the end of the run (no
        // minimum for a task still running): 0.0123425 × 0.3 / 3
        // = 0.00123425.
        l.fargate_admitted(
            TaskId(4),
            job,
            true,
            fargate_rates(true),
            quarter(20.0),
            mins(40),
        );
        // Stopping twice, or a task never admitted, changes nothing.
        l.fargate_stopped(TaskId(3), mins(41));
        l.fargate_stopped(TaskId(99), mins(41));
        let s = l.statement(&[]);
        assert_rows(
            &s,
            &[
                (0, "job", "FARGATE", 0.00617125, 0.0, 0.001665),
                (0, "job", "FARGATE_SPOT", 0.00123425, 0.0, 0.0),
            ],
        );
        assert!(close(
            s.totals.by_owner["job"],
            0.00617125 + 0.001665 + 0.00123425
        ));
    }

    #[test]
    fn a_fargate_task_stopped_early_bills_a_minute_b2() {
        // ECS-MODEL B2: admitted at 1:59:40, stopped at 2:00:10: 30 s run
        // (20 s in hour 1, 10 s in hour 2), billed 60 s: the 30 s top-up in
        // the hour of the stop. 0.0123425 per hour: 20 s = 0.0123425 / 180,
        // 10 s + 30 s = 0.0123425 / 90.
        let mut l = Ledger::new(hours(3), None);
        let job = l.owner("job");
        let admit = secs(2 * 3600 - 20);
        l.fargate_admitted(
            TaskId(0),
            job,
            false,
            fargate_rates(false),
            quarter(20.0),
            admit,
        );
        l.fargate_stopped(TaskId(0), secs(2 * 3600 + 10));
        // Stopped before its admission (at 2:30, admission 2:45): 60 s.
        l.fargate_admitted(
            TaskId(1),
            job,
            false,
            fargate_rates(false),
            quarter(20.0),
            mins(165),
        );
        l.fargate_stopped(TaskId(1), mins(150));
        let s = l.statement(&[]);
        assert_rows(
            &s,
            &[
                (1, "job", "FARGATE", 0.0123425 / 180.0, 0.0, 0.0),
                (
                    2,
                    "job",
                    "FARGATE",
                    0.0123425 / 90.0 + 0.0123425 / 60.0,
                    0.0,
                    0.0,
                ),
            ],
        );
        // Still running at the end (admitted at 2:59:30): 30 s, no top-up.
        let mut l = Ledger::new(hours(3), None);
        let job = l.owner("job");
        let admit = secs(3 * 3600 - 30);
        l.fargate_admitted(
            TaskId(0),
            job,
            false,
            fargate_rates(false),
            quarter(20.0),
            admit,
        );
        // Admitted after the end: never billed.
        l.fargate_admitted(
            TaskId(1),
            job,
            false,
            fargate_rates(false),
            quarter(20.0),
            hours(4),
        );
        let s = l.statement(&[]);
        assert_rows(&s, &[(2, "job", "FARGATE", 0.0123425 / 120.0, 0.0, 0.0)]);
    }

    #[test]
    fn a_commitment_is_settled_hour_by_hour_b3() {
        // ECS-MODEL B3: $1/h committed at 30 % off covers 1 / 0.7 =
        // 1.428571 of on-demand spend an hour. Hour 0: an on-demand instance
        // at $2/h → paid 1 + (2 − 1.428571) = 1.571429, settlement
        // −0.428571. Hour 1 (half an hour, the run ends at 1:30): spot only
        // ($0.5/h × 0.5 h, not covered), the 0.5 committed is wasted:
        // settlement +0.5.
        let c = Commitment {
            committed_usd_per_hour: 1.0,
            discount_pct: 30.0,
        };
        let mut l = Ledger::new(mins(90), None);
        on_demand_instance(&mut l, 2.0);
        let spot = l.constant_tariff(0.5);
        l.instance_terminated(InstanceId(0), hours(1));
        l.instance_launched(InstanceId(1), hours(1), spot, Capacity::Ec2Spot, None);
        let settled = l.flat_settlement(&c);
        let s = l.statement(&settled);
        let cover = 1.0 / 0.7;
        // "(commitment)" sorts before "(idle)".
        assert_rows(
            &s,
            &[
                (0, COMMITMENT, "commitment", 1.0 - cover, 0.0, 0.0),
                (0, IDLE, "ec2-on-demand", 0.0, 2.0, 0.0),
                (1, COMMITMENT, "commitment", 0.5, 0.0, 0.0),
                (1, IDLE, "ec2-spot", 0.0, 0.25, 0.0),
            ],
        );
        let t = &s.totals;
        assert!(close(t.commitment_usd, 1.5 - cover), "{t:?}");
        assert!(close(t.total_usd, 2.0 + 0.25 + 1.5 - cover), "{t:?}");
        // The settlement is not compute billed to anyone.
        assert_eq!(t.compute_usd, 0.0);
        assert!(t.by_owner.is_empty());
        assert!(close(t.by_capacity[&Capacity::Commitment], 1.5 - cover));
    }

    #[test]
    fn rows_are_sorted_by_hour_owner_and_capacity_name_b4() {
        // ECS-MODEL B4: per hour, owners by name, then capacity names
        // (FARGATE < ec2-on-demand, upper case first); owners of the same
        // name share their rows.
        let mut l = Ledger::new(hours(2), None);
        let (z, a) = (l.owner("zeta"), l.owner("alpha"));
        assert_eq!(l.owner("zeta"), z);
        on_demand_instance(&mut l, 1.0);
        l.task_placed(TaskId(0), InstanceId(0), z, 0.5, SimTime::ZERO);
        l.task_placed(TaskId(2), InstanceId(0), a, 0.25, mins(60));
        l.fargate_admitted(
            TaskId(1),
            z,
            false,
            fargate_rates(false),
            quarter(20.0),
            mins(70),
        );
        // The tasks stop with the instance, then it terminates.
        l.task_stopped(TaskId(0), InstanceId(0), z, 0.5, mins(90));
        l.task_stopped(TaskId(2), InstanceId(0), a, 0.25, mins(90));
        l.instance_terminated(InstanceId(0), mins(90));
        let s = l.statement(&[]);
        let keys: Vec<_> = rows(&s).iter().map(|r| (r.0, r.1, r.2)).collect();
        assert_eq!(
            keys,
            [
                (0, IDLE, "ec2-on-demand"),
                (0, "zeta", "ec2-on-demand"),
                (1, IDLE, "ec2-on-demand"),
                (1, "alpha", "ec2-on-demand"),
                (1, "zeta", "FARGATE"),
                (1, "zeta", "ec2-on-demand"),
            ]
        );
        // zeta on EC2 in hour 1: 0.5 h at 0.5 × $1 = 0.25 (not after 1:30).
        assert!(close(s.rows[5].compute_usd, 0.25));
        // alpha: 0.5 h × 0.25 = 0.125.
        assert!(close(s.rows[3].compute_usd, 0.125));
    }

    #[test]
    fn the_order_of_changes_does_not_change_the_bill_b4() {
        // ECS-MODEL B4: the same tasks placed in two orders bill exactly
        // the same, and once they have all left the owner accrues nothing
        // and the instance is wholly idle again (exact fixed-point sums).
        let shares = [0.1, 0.2, 0.3, 0.7 / 3.0];
        let bill = |order: &[usize]| {
            let mut l = Ledger::new(hours(3), None);
            let w = l.owner("w");
            on_demand_instance(&mut l, 0.37);
            for &k in order {
                l.task_placed(TaskId(k as u32), InstanceId(0), w, shares[k], mins(10));
            }
            for &k in order.iter().rev() {
                l.task_stopped(TaskId(k as u32), InstanceId(0), w, shares[k], hours(1));
            }
            l.statement(&[])
        };
        let a = bill(&[0, 1, 2, 3]);
        let b = bill(&[3, 1, 0, 2]);
        assert_eq!(a, b);
        // Hours 1 and 2: the whole $0.37 is idle, to the bit.
        assert_eq!(a.rows[2].idle_usd, 0.37);
        assert_eq!(a.rows[3].idle_usd, 0.37);
        assert_eq!(a.rows.len(), 4, "{:?}", rows(&a));
    }

    /// ECS-MODEL B4: the ledger keeps no task of its own; the engine names
    /// a stopping task's owner and share and stops it once, before its
    /// instance goes. Debug builds (the tests) catch a caller that does not.
    #[cfg(debug_assertions)]
    mod caller_checks {
        use super::*;

        /// A $1/h instance holding task 0 of owner `w`, share 0.5.
        fn one_task() -> (Ledger, OwnerId) {
            let mut l = Ledger::new(hours(1), None);
            let w = l.owner("w");
            on_demand_instance(&mut l, 1.0);
            l.task_placed(TaskId(0), InstanceId(0), w, 0.5, SimTime::ZERO);
            (l, w)
        }

        #[test]
        #[should_panic(expected = "another owner or share")]
        fn a_stop_with_another_share_than_placed_b4() {
            let (mut l, w) = one_task();
            l.task_stopped(TaskId(0), InstanceId(0), w, 0.25, mins(10));
        }

        #[test]
        #[should_panic(expected = "without being billed there")]
        fn a_task_stopped_twice_b4() {
            let (mut l, w) = one_task();
            l.task_placed(TaskId(1), InstanceId(0), w, 0.5, SimTime::ZERO);
            l.task_stopped(TaskId(0), InstanceId(0), w, 0.5, mins(10));
            l.task_stopped(TaskId(0), InstanceId(0), w, 0.5, mins(20));
        }

        #[test]
        #[should_panic(expected = "tasks still billed")]
        fn an_instance_terminated_under_its_tasks_b1() {
            let (mut l, _) = one_task();
            l.instance_terminated(InstanceId(0), mins(10));
        }
    }

    #[test]
    fn a_month_of_one_task_is_billed_hour_by_hour() {
        // ECS-MODEL B1, B4: one task of share 0.5 on a $0.1/h instance for
        // 30 days: 720 rows per line, each 0.05 / 0.05, from two changes.
        let mut l = Ledger::new(hours(720), None);
        let w = l.owner("w");
        on_demand_instance(&mut l, 0.1);
        l.task_placed(TaskId(0), InstanceId(0), w, 0.5, SimTime::ZERO);
        let s = l.statement(&[]);
        assert_eq!(s.rows.len(), 1440);
        assert!(s
            .rows
            .iter()
            .all(|r| close(r.compute_usd + r.idle_usd, 0.05)));
        // 1440 rows summed: a few ulps of 72 apart.
        assert!((s.totals.total_usd - 72.0).abs() < 1e-9, "{:?}", s.totals);
    }

    #[test]
    fn an_hours_cost_does_not_depend_on_how_often_it_changed_b4() {
        // ECS-MODEL B4: a task of share 1/3 held for the first 50 minutes
        // of an hour, once in one piece and once as 3,000 back-to-back
        // placements of a second each, beside a task of share 0.1 placed
        // and stopped 1,500 times (each for a second): the hour's rows are
        // the same to the bit, because the shares are integrated exactly
        // and turned into USD once per hour.
        let run = |pieces: u64| {
            let mut l = Ledger::new(hours(2), None);
            let (w, other) = (l.owner("w"), l.owner("other"));
            on_demand_instance(&mut l, 0.0928);
            let span = 3_000_000 / pieces;
            for k in 0..pieces {
                let t = SimTime(k * span);
                l.task_placed(TaskId(k as u32), InstanceId(0), w, 1.0 / 3.0, t);
                if k % 2 == 0 && pieces > 1 {
                    let o = TaskId(1_000_000 + k as u32);
                    l.task_placed(o, InstanceId(0), other, 0.1, t);
                    l.task_stopped(o, InstanceId(0), other, 0.1, SimTime(t.as_millis() + 1_000));
                }
                l.task_stopped(
                    TaskId(k as u32),
                    InstanceId(0),
                    w,
                    1.0 / 3.0,
                    SimTime((k + 1) * span),
                );
            }
            l.statement(&[])
        };
        let (whole, pieces) = (run(1), run(3_000));
        let w = |s: &Statement, h: u32| {
            let r = s.rows.iter().find(|r| r.hour == h && r.owner == "w");
            r.map(|r| r.compute_usd.to_bits())
        };
        assert_eq!(w(&whole, 0), w(&pieces, 0));
        assert_eq!(w(&whole, 1), None);
        // 50 minutes of a third of $0.0928/h.
        assert!(close(
            f64::from_bits(w(&whole, 0).unwrap()),
            0.0928 / 3.0 * 50.0 / 60.0
        ));
        // The other owner's 1,500 seconds of 0.1: the idle line holds the
        // rest of the instance, exactly the same in both runs' second hour.
        let other: f64 = (pieces.rows.iter())
            .filter(|r| r.owner == "other")
            .map(|r| r.compute_usd)
            .sum();
        assert!(close(other, 0.0928 * 0.1 * 1500.0 / 3600.0), "{other}");
        let idle = |s: &Statement, h: u32| {
            let r = s.rows.iter().find(|r| r.hour == h && r.owner == IDLE);
            r.map(|r| r.idle_usd.to_bits())
        };
        assert_eq!(idle(&whole, 1), idle(&pieces, 1));
        assert!(close(whole.totals.total_usd, 2.0 * 0.0928));
        assert!(close(pieces.totals.total_usd, 2.0 * 0.0928));
    }

    #[test]
    fn changes_either_side_of_an_hour_boundary_bill_each_hour_its_part_b4() {
        // ECS-MODEL B4: on a $0.36/h instance, task a (share 0.5) runs from
        // 0:59 to 1:01, and tasks of b (share 0.25) from 0:59:59 to
        // 1:00:00.001 and from then to 1:01: the changes either side of
        // 1:00 split every span at the boundary (b's second before it falls
        // in hour 0, its millisecond after it in hour 1).
        let mut l = Ledger::new(hours(2), None);
        let (a, b) = (l.owner("a"), l.owner("b"));
        on_demand_instance(&mut l, 0.36);
        let ms = |m: u64| SimTime(m);
        l.task_placed(TaskId(1), InstanceId(0), a, 0.5, mins(59));
        l.task_placed(TaskId(2), InstanceId(0), b, 0.25, ms(3_599_000));
        l.task_stopped(TaskId(2), InstanceId(0), b, 0.25, ms(3_600_001));
        l.task_placed(TaskId(3), InstanceId(0), b, 0.25, ms(3_600_001));
        l.task_stopped(TaskId(3), InstanceId(0), b, 0.25, mins(61));
        l.task_stopped(TaskId(1), InstanceId(0), a, 0.5, mins(61));
        let s = l.statement(&[]);
        let usd = |h: u32, owner: &str| {
            let r = s.rows.iter().find(|r| r.hour == h && r.owner == owner);
            r.map_or(0.0, |r| r.compute_usd + r.idle_usd)
        };
        let per_ms = 0.36 / 3_600_000.0;
        assert!(close(usd(0, "a"), 0.5 * 60_000.0 * per_ms), "{s:?}");
        assert!(close(usd(1, "a"), 0.5 * 60_000.0 * per_ms), "{s:?}");
        assert!(close(usd(0, "b"), 0.25 * 1_000.0 * per_ms), "{s:?}");
        assert!(close(usd(1, "b"), 0.25 * 60_000.0 * per_ms), "{s:?}");
        // The idle line holds the rest of each hour, to the same boundary.
        assert!(
            close(usd(0, IDLE), 0.36 - usd(0, "a") - usd(0, "b")),
            "{s:?}"
        );
        assert!(
            close(usd(1, IDLE), 0.36 - usd(1, "a") - usd(1, "b")),
            "{s:?}"
        );
    }

    #[test]
    fn usage_hours_report_on_demand_use_for_commitments_b3() {
        // ECS-MODEL B3: what Reserved Instances and Savings Plans may cover.
        let mut l = Ledger::new(hours(2), None);
        let m5 = l.usage("m5.large", "us-east-1a");
        let c5 = l.usage("c5.large", "us-east-1b");
        let m5b = l.usage("m5.large", "us-east-1b");
        assert_eq!(l.usage("m5.large", "us-east-1a"), m5);
        let (m5p, c5p) = (l.constant_tariff(0.096), l.constant_tariff(0.085));
        let spot = l.constant_tariff(0.03);
        // Two m5.large in 1a for the whole run; one c5.large in 1b from
        // 0:30 to 0:30:20 (billed 60 s); a spot m5.large in 1b (not
        // reported).
        l.instance_launched(
            InstanceId(0),
            SimTime::ZERO,
            m5p,
            Capacity::Ec2OnDemand,
            Some(m5),
        );
        l.instance_launched(
            InstanceId(1),
            SimTime::ZERO,
            m5p,
            Capacity::Ec2OnDemand,
            Some(m5),
        );
        l.instance_launched(InstanceId(3), SimTime::ZERO, spot, Capacity::Ec2Spot, None);
        // A type and AZ with no use has no rows.
        let _ = m5b;
        // Fargate on-demand 0:00–1:00 (storage not covered), Fargate Spot
        // not reported.
        let job = l.owner("job");
        l.fargate_admitted(
            TaskId(0),
            job,
            false,
            fargate_rates(false),
            quarter(50.0),
            SimTime::ZERO,
        );
        l.fargate_admitted(
            TaskId(1),
            job,
            true,
            fargate_rates(true),
            quarter(20.0),
            SimTime::ZERO,
        );
        l.instance_launched(
            InstanceId(2),
            mins(30),
            c5p,
            Capacity::Ec2OnDemand,
            Some(c5),
        );
        l.instance_terminated(InstanceId(2), secs(30 * 60 + 20));
        l.fargate_stopped(TaskId(0), hours(1));
        l.close();
        let ec2 = l.ec2_usage_hours();
        let want = [
            // Sorted by hour, type, AZ: c5.large < m5.large.
            (0, "c5.large", "us-east-1b", 60.0, 0.085 / 60.0),
            (0, "m5.large", "us-east-1a", 7200.0, 0.192),
            (1, "m5.large", "us-east-1a", 7200.0, 0.192),
        ];
        assert_eq!(ec2.len(), want.len(), "{ec2:?}");
        for (g, w) in ec2.iter().zip(want) {
            assert_eq!(
                (g.hour, g.instance_type.as_str(), g.az.as_str()),
                (w.0, w.1, w.2)
            );
            assert!(close(g.instance_seconds, w.3), "{g:?}");
            assert!(close(g.on_demand_usd, w.4), "{g:?}");
        }
        // They sum to what on-demand EC2 cost in each hour.
        let s = l.statement(&[]);
        for h in 0..2 {
            let billed: f64 = s
                .rows
                .iter()
                .filter(|r| r.hour == h && r.capacity == Capacity::Ec2OnDemand)
                .map(|r| r.compute_usd + r.idle_usd)
                .sum();
            let used: f64 = ec2
                .iter()
                .filter(|u| u.hour == h)
                .map(|u| u.on_demand_usd)
                .sum();
            assert!(close(billed, used), "hour {h}: {billed} vs {used}");
        }
        // Fargate: 0.0123425 for hour 0, nothing after.
        assert_eq!(
            l.fargate_usage_hours(),
            [FargateUsageHour {
                hour: 0,
                on_demand_usd: l.fargate_usage_hours()[0].on_demand_usd
            }]
        );
        assert!(
            close(l.fargate_usage_hours()[0].on_demand_usd, 0.0123425),
            "{:?}",
            l.fargate_usage_hours()
        );
    }
}
