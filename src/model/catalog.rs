//! The EC2 instance-type catalogue and the per-type arithmetic of ECS-MODEL
//! rules R1, R2 and R4.
//!
//! This module owns:
//! - [`InstanceType`]: one EC2 instance type (vCPU, memory, architecture,
//!   ENI limits, GPUs, on-demand price), as the simulator needs it (R1);
//! - the resources a container instance of that type registers with ECS:
//!   CPU units and memory after platform overhead and the agent's reserved
//!   memory (R2);
//! - how many `awsvpc`-mode tasks it can host, with or without ENI trunking
//!   (R4);
//! - [`Catalog`]: a name → type table, parsed from CSV, with the built-in
//!   us-east-1 catalogue embedded at compile time ([`Catalog::builtin`]),
//!   each of its types parsed the first time it is looked up.
//!
//! The built-in data is `data/ec2_instance_types_us_east_1.csv`, generated
//! from AWS's Karpenter provider (EC2 and Pricing APIs); its provenance,
//! licence and date are in `data/SOURCES.md`.
//!
//! This module is plain data plus arithmetic. It must not depend on the
//! engine, scenario, policy or output modules (only on `crate::text`,
//! `crate::csvdata` and [`IdMap`]).

use crate::csvdata::{plain_record, CsvProblem, CsvTable};
use crate::model::hash::IdMap;
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

use crate::text::closest;

/// CPU architecture of an instance type.
///
/// Displays as the value of the ECS `ecs.cpu-architecture` attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Arch {
    /// 64-bit x86 (Intel, AMD): `x86_64`.
    X86_64,
    /// 64-bit Arm (AWS Graviton): `arm64`.
    Arm64,
}

impl Arch {
    /// The ECS `ecs.cpu-architecture` attribute value.
    pub fn as_str(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64",
            Arch::Arm64 => "arm64",
        }
    }
}

impl fmt::Display for Arch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Arch {
    type Err = String;

    /// Accepts the ECS values `x86_64` and `arm64`, and the common aliases
    /// `amd64` and `aarch64` (case-insensitive).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "x86_64" | "amd64" => Ok(Arch::X86_64),
            "arm64" | "aarch64" => Ok(Arch::Arm64),
            _ => Err(format!(
                "unknown architecture `{s}` (expected `x86_64` or `arm64`)"
            )),
        }
    }
}

/// One EC2 instance type (ECS-MODEL R1).
#[derive(Debug, Clone, PartialEq)]
pub struct InstanceType {
    /// API name, e.g. `"m6i.xlarge"`.
    pub name: String,
    /// Family, e.g. `"m6i"`.
    pub family: String,
    /// Number of vCPUs.
    pub vcpu: u32,
    /// Nominal memory in MiB.
    pub memory_mib: u32,
    /// CPU architecture.
    pub arch: Arch,
    /// Maximum ENIs (network interfaces), including the primary one. 0 if unknown.
    pub max_enis: u32,
    /// Whether ECS supports ENI trunking (awsvpcTrunking) on this type.
    pub trunking: bool,
    /// Branch ENIs of the VPC resource controller (0 if not supported), as
    /// the EC2 catalogue gives them. Informational: ECS's own limit is
    /// [`trunk_task_limit`](InstanceType::trunk_task_limit), often higher.
    pub branch_enis: u32,
    /// ECS's "task limit with ENI trunking" for the type (0 if unknown):
    /// the `awsvpc` tasks ECS places on one instance with trunking (R4).
    pub trunk_task_limit: u32,
    /// Number of GPUs.
    pub gpu_count: u32,
    /// us-east-1 Linux on-demand price, USD per hour; None when the catalogue has no price.
    pub ondemand_usd_per_hour: Option<f64>,
    /// Memory overhead override (MiB lost to kernel/platform), None = use the default percentage.
    pub memory_overhead_mib: Option<u32>,
}

impl InstanceType {
    /// ECS-MODEL R2: registered CPU units = vCPU × 1024 (saturating).
    pub fn registered_cpu(&self) -> u32 {
        self.vcpu.saturating_mul(1024)
    }

    /// ECS-MODEL R2: memory registered with ECS, in MiB:
    /// nominal − platform overhead − `reserved_mib`, saturating at 0.
    ///
    /// The platform overhead (MiB) is [`memory_overhead_mib`] when set,
    /// otherwise `ceil(memory_mib × overhead_pct / 100)`; `overhead_pct` is
    /// the scenario's percentage (default 4.0), and a negative or non-finite
    /// value counts as 0. `reserved_mib` is the agent's
    /// `ECS_RESERVED_MEMORY` (MiB).
    ///
    /// [`memory_overhead_mib`]: InstanceType::memory_overhead_mib
    pub fn registered_memory_mib(&self, overhead_pct: f64, reserved_mib: u32) -> u32 {
        let overhead = match self.memory_overhead_mib {
            Some(mib) => mib,
            None => overhead_from_pct(self.memory_mib, overhead_pct),
        };
        self.memory_mib
            .saturating_sub(overhead)
            .saturating_sub(reserved_mib)
    }

    /// ECS-MODEL R4: maximum number of `awsvpc`-mode tasks on one instance.
    ///
    /// With trunking enabled (account setting) and supported by the type
    /// with a known ECS limit: ECS's documented "task limit with ENI
    /// trunking", [`trunk_task_limit`](InstanceType::trunk_task_limit)
    /// (ENI limit − 2; c5.large 10) — not the VPC resource controller's
    /// [`branch_enis`](InstanceType::branch_enis), which is lower for many
    /// types (c5.large 9). Otherwise one task per ENI except the primary:
    /// `max_enis − 1`, saturating at 0.
    pub fn max_awsvpc_tasks(&self, trunking_enabled: bool) -> u32 {
        if trunking_enabled && self.trunking && self.trunk_task_limit > 0 {
            self.trunk_task_limit
        } else {
            self.max_enis.saturating_sub(1)
        }
    }
}

/// `ceil(nominal × pct / 100)` in MiB; `pct` ≤ 0 or non-finite gives 0.
fn overhead_from_pct(nominal_mib: u32, pct: f64) -> u32 {
    if !pct.is_finite() || pct <= 0.0 {
        return 0;
    }
    let exact = f64::from(nominal_mib) * pct / 100.0;
    // Ignore floating-point noise just above an integer, so that e.g. an
    // exact 100.0 computed as 100.00000000000001 does not round up to 101.
    let overhead = (exact - 1e-9).ceil();
    if overhead <= 0.0 {
        0
    } else if overhead >= f64::from(u32::MAX) {
        u32::MAX
    } else {
        // In range and integral, so the cast is exact.
        overhead as u32
    }
}

/// Error parsing an instance-type catalogue.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// The CSV is malformed at `line` (1-based; the header is line 1; 0 when
    /// the position is unknown).
    #[error("line {line}: {message}")]
    Malformed {
        /// 1-based line in the CSV text.
        line: usize,
        /// What is wrong.
        message: String,
    },
}

/// Known registered memory from the AWS documentation (ECS-MODEL R2):
/// `(type, documented nominal MiB, documented registered MiB)`.
///
/// Applied by [`Catalog::builtin`] as `memory_overhead_mib` overrides, for
/// the types present in the catalogue. The override is computed from the
/// catalogue's own nominal memory (`nominal − registered`) so that the
/// registered value (with no reserved memory) is always the documented one,
/// even if the catalogue's nominal figure were to differ from the documented
/// one. With the shipped data it does not: c4.large 3,840, m4.large 8,192 and
/// c4.4xlarge 30,720 MiB match the documentation, giving overheads of 72,
/// 207 and 562 MiB.
const KNOWN_REGISTERED_MEMORY: &[(&str, u32, u32)] = &[
    ("c4.large", 3_840, 3_768),
    ("m4.large", 8_192, 7_985),
    ("c4.4xlarge", 30_720, 30_158),
];

/// The region of the embedded catalogue.
pub const REGION: &str = "us-east-1";

/// The Availability Zone names of [`REGION`]. us-east-1 has six zones,
/// `a` to `f` (zone ids `use1-az1` to `use1-az6`; which name maps to which id
/// differs between accounts, but every account has the six names).
pub const AVAILABILITY_ZONES: [&str; 6] = [
    "us-east-1a",
    "us-east-1b",
    "us-east-1c",
    "us-east-1d",
    "us-east-1e",
    "us-east-1f",
];

/// The embedded us-east-1 catalogue (see `data/SOURCES.md`).
const BUILTIN_CSV: &str = include_str!("../../data/ec2_instance_types_us_east_1.csv");

/// ECS's task limits with and without ENI trunking, from the ECS developer
/// guide (see `data/SOURCES.md`).
const TRUNKING_LIMITS_CSV: &str = include_str!("../../data/ecs_eni_trunking_task_limits.csv");

/// ECS's "task limit with ENI trunking" by type (R4), in file order, from
/// a CSV text without quoted fields, with columns `instance_type` and
/// `task_limit_with_trunking`. A limit that is not a positive integer (the
/// guide prints "-2" for i4i.large) means the type does not support
/// trunking, and is left out, as are types the table does not list.
pub fn trunking_task_limits(text: &str) -> Result<Vec<(&str, u32)>, CatalogError> {
    let malformed = |line, message: String| CatalogError::Malformed { line, message };
    if text.contains('"') {
        return Err(malformed(0, "quoted fields are not read here".into()));
    }
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let header = lines.next().map_or("", |(_, h)| h);
    let column = |name: &str| {
        (header.split(',').position(|h| h.trim() == name))
            .ok_or_else(|| malformed(1, format!("missing column `{name}` in header")))
    };
    let (name, limit) = (
        column("instance_type")?,
        column("task_limit_with_trunking")?,
    );
    let mut out = Vec::new();
    for (i, record) in lines {
        let line = i + 1;
        let (mut ty, mut cell) = ("", "");
        for (k, field) in record.split(',').enumerate() {
            if k == name {
                ty = field.trim();
            }
            if k == limit {
                cell = field.trim();
            }
        }
        if ty.is_empty() {
            return Err(malformed(line, "column `instance_type` is empty".into()));
        }
        let n = cell.parse::<i64>().map_err(|e| {
            malformed(
                line,
                format!("column `task_limit_with_trunking`: invalid integer `{cell}`: {e}"),
            )
        })?;
        if let Ok(n) = u32::try_from(n) {
            if n > 0 {
                out.push((ty, n));
            }
        }
    }
    Ok(out)
}

/// A table of instance types keyed by name, in name order: the types of
/// a CSV text ([`Catalog::from_csv`]) or of the embedded catalogue
/// ([`Catalog::builtin`]), plus the types [`inserted`](Catalog::insert),
/// which replace those of the same name.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    /// The embedded catalogue, when this one starts from it.
    embedded: Option<&'static Embedded>,
    /// Types of its own (parsed or inserted), before the embedded ones.
    types: BTreeMap<String, InstanceType>,
}

/// The embedded catalogue, read as it is asked: the first use indexes its
/// lines by type name (the first field of each), and each type is parsed,
/// with its trunking limit and documented memory applied, the first time it
/// is looked up. A scenario names a few of its 1,363 types; parsing them all
/// took most of a small run's start-up.
struct Embedded {
    columns: Columns,
    /// (line number, line) of each type, in file order.
    lines: Vec<(usize, &'static str)>,
    /// Position in `lines` by type name.
    by_name: IdMap<&'static str, u32>,
    /// The parsed types, by position in `lines`.
    parsed: Vec<OnceLock<InstanceType>>,
    /// The names in name order, sorted when first asked for.
    sorted: OnceLock<Vec<&'static str>>,
    /// ECS's task limits with trunking by type (R4), read at the first
    /// type parsed.
    limits: OnceLock<IdMap<&'static str, u32>>,
    /// The largest vCPU, memory, ENIs and trunking limit of its types.
    largest: OnceLock<[u32; 4]>,
}

impl fmt::Debug for Embedded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parsed = self.parsed.iter().filter(|p| p.get().is_some()).count();
        write!(
            f,
            "Embedded {{ types: {}, parsed: {parsed} }}",
            self.lines.len()
        )
    }
}

impl Embedded {
    /// Indexes `BUILTIN_CSV`'s lines by name.
    ///
    /// # Panics
    /// Only if the embedded file is malformed (no header, a bad header, an
    /// empty or repeated name), which a unit test rules out.
    fn index() -> Embedded {
        let mut lines = BUILTIN_CSV.split('\n').enumerate();
        let header = match lines.next() {
            Some((_, h)) => plain_record(h, h.matches(',').count() + 1),
            None => panic!("embedded EC2 catalogue is empty"),
        };
        let columns = match Columns::from_headers(&header) {
            Ok(c) if c.name == 0 => c,
            Ok(_) => panic!("embedded EC2 catalogue: `instance_type` is not the first column"),
            Err(e) => panic!("embedded EC2 catalogue is malformed: {e}"),
        };
        let lines: Vec<(usize, &'static str)> = lines
            .filter(|(_, l)| !l.is_empty())
            .map(|(i, l)| (i + 1, l))
            .collect();
        let mut by_name = IdMap::default();
        by_name.reserve(lines.len());
        for (position, &(line, text)) in lines.iter().enumerate() {
            let name = text.split(',').next().unwrap_or("").trim();
            if name.is_empty() || by_name.insert(name, position as u32).is_some() {
                panic!("embedded EC2 catalogue is malformed: line {line}: empty or repeated name");
            }
        }
        Embedded {
            columns,
            by_name,
            parsed: lines.iter().map(|_| OnceLock::new()).collect(),
            lines,
            sorted: OnceLock::new(),
            limits: OnceLock::new(),
            largest: OnceLock::new(),
        }
    }

    /// The type names in name order.
    fn names(&self) -> &[&'static str] {
        self.sorted.get_or_init(|| {
            let mut names: Vec<&'static str> = self.by_name.keys().copied().collect();
            names.sort_unstable();
            names
        })
    }

    fn position(&self, name: &str) -> Option<usize> {
        self.by_name.get(name).map(|&p| p as usize)
    }

    /// The type at `position` in `lines` (file order), parsed on first use.
    fn at(&self, position: usize) -> &InstanceType {
        self.parsed[position].get_or_init(|| {
            let (line, text) = self.lines[position];
            let record = plain_record(text, self.columns.count);
            let row = Row {
                record: &record,
                line,
            };
            let parsed = if record.len() == self.columns.count {
                row.instance_type(&self.columns)
            } else {
                Err(row.error(format!(
                    "{} fields, the header has {}",
                    record.len(),
                    self.columns.count
                )))
            };
            let mut t = match parsed {
                Ok(t) => t,
                Err(e) => panic!("embedded EC2 catalogue is malformed: {e}"),
            };
            let limits =
                self.limits
                    .get_or_init(|| match trunking_task_limits(TRUNKING_LIMITS_CSV) {
                        Ok(l) => l.into_iter().collect(),
                        Err(e) => panic!("embedded ECS trunking table is malformed: {e}"),
                    });
            // R4: ECS supports trunking on the types its guide lists, with
            // its own limit; a type it does not list has none.
            t.trunk_task_limit = limits.get(t.name.as_str()).copied().unwrap_or(0);
            t.trunking = t.trunk_task_limit > 0;
            if let Some(&(_, _, registered)) = KNOWN_REGISTERED_MEMORY
                .iter()
                .find(|(n, _, _)| *n == t.name)
            {
                // Overhead relative to the catalogue's nominal figure, so
                // registration gives the documented value (see the const).
                t.memory_overhead_mib = Some(t.memory_mib.saturating_sub(registered));
            }
            t
        })
    }
}

/// Column indices of the fields the catalogue reads.
struct Columns {
    /// Number of columns of the header.
    count: usize,
    name: usize,
    family: usize,
    vcpu: usize,
    memory_mib: usize,
    arch: usize,
    gpu_count: usize,
    max_enis: usize,
    trunking: usize,
    branch_enis: usize,
    price: usize,
}

impl Columns {
    fn from_headers(headers: &csv::StringRecord) -> Result<Columns, CatalogError> {
        let find = |column: &str| {
            headers
                .iter()
                .position(|h| h == column)
                .ok_or_else(|| CatalogError::Malformed {
                    line: 1,
                    message: format!("missing column `{column}` in header"),
                })
        };
        Ok(Columns {
            count: headers.len(),
            name: find("instance_type")?,
            family: find("family")?,
            vcpu: find("vcpu")?,
            memory_mib: find("memory_mib")?,
            arch: find("arch")?,
            gpu_count: find("gpu_count")?,
            max_enis: find("max_enis")?,
            trunking: find("eni_trunking_compatible")?,
            branch_enis: find("branch_enis")?,
            price: find("ondemand_usd_per_hour")?,
        })
    }
}

/// One data row being parsed, for error messages with line and column.
struct Row<'r> {
    record: &'r csv::StringRecord,
    line: usize,
}

impl Row<'_> {
    fn error(&self, message: String) -> CatalogError {
        CatalogError::Malformed {
            line: self.line,
            message,
        }
    }

    fn cell(&self, index: usize) -> &str {
        self.record.get(index).unwrap_or("")
    }

    fn required(&self, index: usize, column: &str) -> Result<&str, CatalogError> {
        let value = self.cell(index);
        if value.is_empty() {
            Err(self.error(format!("column `{column}` is empty")))
        } else {
            Ok(value)
        }
    }

    fn u32_or(&self, index: usize, column: &str, default: u32) -> Result<u32, CatalogError> {
        match self.cell(index) {
            "" => Ok(default),
            value => self.parse_u32(value, column),
        }
    }

    fn parse_u32(&self, value: &str, column: &str) -> Result<u32, CatalogError> {
        value.parse::<u32>().map_err(|e| {
            self.error(format!(
                "column `{column}`: invalid non-negative integer `{value}`: {e}"
            ))
        })
    }

    fn bool_or(&self, index: usize, column: &str, default: bool) -> Result<bool, CatalogError> {
        let value = self.cell(index);
        if value.is_empty() {
            Ok(default)
        } else if value.eq_ignore_ascii_case("true") {
            Ok(true)
        } else if value.eq_ignore_ascii_case("false") {
            Ok(false)
        } else {
            Err(self.error(format!(
                "column `{column}`: invalid boolean `{value}` (expected `true` or `false`)"
            )))
        }
    }

    fn price(&self, index: usize, column: &str) -> Result<Option<f64>, CatalogError> {
        let value = self.cell(index);
        if value.is_empty() {
            return Ok(None);
        }
        match value.parse::<f64>() {
            Ok(p) if p.is_finite() && p >= 0.0 => Ok(Some(p)),
            Ok(_) => Err(self.error(format!(
                "column `{column}`: price `{value}` must be a finite number >= 0"
            ))),
            Err(e) => Err(self.error(format!("column `{column}`: invalid number `{value}`: {e}"))),
        }
    }

    fn instance_type(&self, cols: &Columns) -> Result<InstanceType, CatalogError> {
        let name = self.required(cols.name, "instance_type")?.to_string();
        let family = match self.cell(cols.family) {
            // Derive the family from the name ("m6i.xlarge" → "m6i").
            "" => name.split('.').next().unwrap_or(&name).to_string(),
            family => family.to_string(),
        };
        let vcpu = self.parse_u32(self.required(cols.vcpu, "vcpu")?, "vcpu")?;
        if vcpu == 0 {
            return Err(self.error("column `vcpu` must be > 0".to_string()));
        }
        let memory_mib =
            self.parse_u32(self.required(cols.memory_mib, "memory_mib")?, "memory_mib")?;
        if memory_mib == 0 {
            return Err(self.error("column `memory_mib` must be > 0".to_string()));
        }
        let arch = self
            .required(cols.arch, "arch")?
            .parse::<Arch>()
            .map_err(|e| self.error(format!("column `arch`: {e}")))?;
        let gpu_count = self.u32_or(cols.gpu_count, "gpu_count", 0)?;
        let max_enis = self.u32_or(cols.max_enis, "max_enis", 0)?;
        let trunking = self.bool_or(cols.trunking, "eni_trunking_compatible", false)?;
        let branch_enis = self.u32_or(cols.branch_enis, "branch_enis", 0)?;
        let ondemand_usd_per_hour = self.price(cols.price, "ondemand_usd_per_hour")?;
        Ok(InstanceType {
            name,
            family,
            vcpu,
            memory_mib,
            arch,
            max_enis,
            trunking,
            branch_enis: if trunking { branch_enis } else { 0 },
            trunk_task_limit: 0,
            gpu_count,
            ondemand_usd_per_hour,
            memory_overhead_mib: None,
        })
    }
}

impl From<CsvProblem> for CatalogError {
    fn from(p: CsvProblem) -> Self {
        CatalogError::Malformed {
            line: p.line,
            message: p.message,
        }
    }
}

impl Catalog {
    /// Parses a catalogue from CSV text with a header row, reading columns
    /// by name (order does not matter, unknown columns are ignored).
    ///
    /// Required columns: `instance_type`, `family`, `vcpu`, `memory_mib`,
    /// `arch`, `gpu_count`, `max_enis`, `eni_trunking_compatible`,
    /// `branch_enis`, `ondemand_usd_per_hour`. Cells may be empty except
    /// `instance_type`, `vcpu`, `memory_mib` and `arch`: an empty `family` is
    /// taken from the name, empty counts are 0, empty trunking is `false`,
    /// an empty price is `None`. `branch_enis` is forced to 0 for types
    /// without trunking. Duplicate names are an error.
    pub fn from_csv(text: &str) -> Result<Catalog, CatalogError> {
        let table = CsvTable::parse(text)?;
        let cols = Columns::from_headers(table.headers())?;
        let mut catalog = Catalog::default();
        for (line, record) in table.rows() {
            let row = Row { record, line };
            let t = row.instance_type(&cols)?;
            if catalog.types.contains_key(&t.name) {
                return Err(row.error(format!("duplicate instance type `{}`", t.name)));
            }
            catalog.insert(t);
        }
        Ok(catalog)
    }

    /// The embedded us-east-1 catalogue
    /// (`data/ec2_instance_types_us_east_1.csv`), with ECS's task limits
    /// with trunking (`data/ecs_eni_trunking_task_limits.csv`, R4) and the
    /// known registered-memory points of the AWS documentation applied as
    /// `memory_overhead_mib` overrides (ECS-MODEL R2). Each type is parsed
    /// the first time it is looked up; a clone is cheap.
    ///
    /// # Panics
    /// Only if the embedded file is malformed, which a unit test rules out.
    pub fn builtin() -> &'static Catalog {
        static EMBEDDED: OnceLock<Embedded> = OnceLock::new();
        static BUILTIN: OnceLock<Catalog> = OnceLock::new();
        BUILTIN.get_or_init(|| Catalog {
            embedded: Some(EMBEDDED.get_or_init(Embedded::index)),
            types: BTreeMap::new(),
        })
    }

    /// The type called `name` (exact, case-sensitive), if known.
    pub fn get(&self, name: &str) -> Option<&InstanceType> {
        self.types.get(name).or_else(|| {
            let e = self.embedded?;
            e.position(name).map(|i| e.at(i))
        })
    }

    /// All type names, in name order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        let mut names: Vec<&str> = self.types.keys().map(String::as_str).collect();
        if let Some(e) = self.embedded {
            let own = names.len();
            names.extend(e.names());
            if own > 0 {
                names.sort_unstable();
                names.dedup();
            }
        }
        names.into_iter()
    }

    /// All types, in name order.
    pub fn iter(&self) -> impl Iterator<Item = &InstanceType> {
        self.names().filter_map(|n| self.get(n))
    }

    /// The closest known type name for a mistyped `name`
    /// (see [`crate::text::closest`]), for "did you mean …?" messages.
    pub fn suggest(&self, name: &str) -> Option<&str> {
        closest(name, self.names())
    }

    /// Inserts a type, replacing any type of the same name (scenario-defined
    /// types or overrides).
    pub fn insert(&mut self, t: InstanceType) {
        self.types.insert(t.name.clone(), t);
    }

    /// The largest vCPU count of any type (0 when empty).
    pub fn max_vcpu(&self) -> u32 {
        self.largest()[0]
    }

    /// The largest nominal memory (MiB) of any type (0 when empty).
    pub fn max_memory_mib(&self) -> u32 {
        self.largest()[1]
    }

    /// The largest ENI count of any type (0 when empty).
    pub fn max_enis(&self) -> u32 {
        self.largest()[2]
    }

    /// The largest awsvpc task limit with ENI trunking of any type (R4; 0
    /// when empty).
    pub fn max_trunk_task_limit(&self) -> u32 {
        self.largest()[3]
    }

    /// The largest vCPU, memory, ENIs and trunking limit of its types; for
    /// the built-in catalogue alone (a custom type's bounds, checked for
    /// each), computed once.
    fn largest(&self) -> [u32; 4] {
        let compute = || {
            self.iter().fold([0; 4], |m, t| {
                [
                    m[0].max(t.vcpu),
                    m[1].max(t.memory_mib),
                    m[2].max(t.max_enis),
                    m[3].max(t.trunk_task_limit),
                ]
            })
        };
        match self.embedded {
            Some(e) if self.types.is_empty() => *e.largest.get_or_init(compute),
            _ => compute(),
        }
    }

    /// Number of types.
    pub fn len(&self) -> usize {
        self.names().count()
    }

    /// Whether the catalogue has no types.
    pub fn is_empty(&self) -> bool {
        self.types.is_empty() && self.embedded.is_none_or(|e| e.lines.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "instance_type,family,size,category,generation,vcpu,memory_mib,memory_gib,arch,cpu_manufacturer,sustained_clock_mhz,hypervisor,bare_metal,network_bandwidth_mbps,ebs_bandwidth_mbps,local_nvme_gib,gpu_count,gpu_name,max_enis,ipv4_per_eni,eni_trunking_compatible,branch_enis,ondemand_usd_per_hour";

    #[test]
    fn largest_sizes_of_the_builtin_catalogue() {
        // u7in-32tb.224xlarge: 896 vCPU, 32 TiB; the bounds custom types are
        // checked against (scenario limits) derive from these.
        let c = Catalog::builtin();
        assert_eq!(c.max_vcpu(), 896);
        assert_eq!(c.max_memory_mib(), 32 * 1024 * 1024);
        assert!(c.max_enis() >= 15 && c.max_trunk_task_limit() >= 100);
        assert!(AVAILABILITY_ZONES.iter().all(|z| z.starts_with(REGION)));
    }

    fn builtin_type(name: &str) -> &'static InstanceType {
        match Catalog::builtin().get(name) {
            Some(t) => t,
            None => panic!("{name} missing from the built-in catalogue"),
        }
    }

    fn malformed_line(text: &str) -> (usize, String) {
        match Catalog::from_csv(text) {
            Err(CatalogError::Malformed { line, message }) => (line, message),
            Ok(c) => panic!("expected an error, parsed {} types", c.len()),
        }
    }

    #[test]
    fn builtin_loads_all_rows() {
        let catalog = Catalog::builtin();
        assert!(catalog.len() > 1000, "only {} types", catalog.len());
        assert!(!catalog.is_empty());
        // One type per data row of the embedded file.
        assert_eq!(catalog.len(), BUILTIN_CSV.lines().count() - 1);
    }

    #[test]
    fn builtin_m6i_xlarge() {
        let t = builtin_type("m6i.xlarge");
        assert_eq!(t.name, "m6i.xlarge");
        assert_eq!(t.family, "m6i");
        assert_eq!(t.vcpu, 4);
        assert_eq!(t.memory_mib, 16_384);
        assert_eq!(t.arch, Arch::X86_64);
        assert_eq!(t.gpu_count, 0);
        assert_eq!(t.ondemand_usd_per_hour, Some(0.192));
        assert_eq!(t.memory_overhead_mib, None);
    }

    #[test]
    fn builtin_m6g_large_is_arm64() {
        let t = builtin_type("m6g.large");
        assert_eq!(t.arch, Arch::Arm64);
        assert_eq!(t.arch.to_string(), "arm64");
        assert_eq!(Arch::X86_64.to_string(), "x86_64");
    }

    #[test]
    fn builtin_empty_cells() {
        // The price is empty for 18 rows, e.g. hpc6a.48xlarge.
        assert_eq!(builtin_type("hpc6a.48xlarge").ondemand_usd_per_hour, None);
        // ENI columns are empty for 8 rows (hpc*, trn2.48xlarge): unknown → 0,
        // no trunking, and so no awsvpc tasks. ECS-MODEL R4: 0 − 1 saturates to 0.
        let t = builtin_type("trn2.48xlarge");
        assert_eq!((t.max_enis, t.trunking, t.branch_enis), (0, false, 0));
        assert_eq!(t.max_awsvpc_tasks(true), 0);
        assert_eq!(t.max_awsvpc_tasks(false), 0);
    }

    #[test]
    fn registered_cpu_is_vcpu_times_1024() {
        // ECS-MODEL R2: 4 vCPU × 1024 = 4096 CPU units.
        assert_eq!(builtin_type("m6i.xlarge").registered_cpu(), 4096);
        // 2 vCPU × 1024 = 2048.
        assert_eq!(builtin_type("m6i.large").registered_cpu(), 2048);
    }

    #[test]
    fn registered_memory_with_default_overhead() {
        let t = builtin_type("m6i.large");
        assert_eq!(t.memory_mib, 8192);
        // ECS-MODEL R2: 8192 × 4 / 100 = 327.68 → ceil 328; 8192 − 328 = 7864.
        assert_eq!(t.registered_memory_mib(4.0, 0), 7864);
        // With ECS_RESERVED_MEMORY = 256: 7864 − 256 = 7608.
        assert_eq!(t.registered_memory_mib(4.0, 256), 7608);
        // 0 % overhead: the nominal memory.
        assert_eq!(t.registered_memory_mib(0.0, 0), 8192);
        // Nonsense percentages count as 0; saturation at 0.
        assert_eq!(t.registered_memory_mib(f64::NAN, 0), 8192);
        assert_eq!(t.registered_memory_mib(-5.0, 0), 8192);
        assert_eq!(t.registered_memory_mib(4.0, 10_000), 0);
        assert_eq!(t.registered_memory_mib(200.0, 0), 0);
    }

    #[test]
    fn registered_memory_exact_percentages_do_not_round_up() {
        // 2500 × 4 / 100 = 100 exactly → 2400, not 2399.
        let mut t = builtin_type("m6i.large").clone();
        t.memory_mib = 2500;
        assert_eq!(t.registered_memory_mib(4.0, 0), 2400);
        // 1000 × 0.3 / 100 = 3 (0.3 is inexact in binary) → 997.
        t.memory_mib = 1000;
        assert_eq!(t.registered_memory_mib(0.3, 0), 997);
    }

    #[test]
    fn registered_memory_known_points() {
        // ECS-MODEL R2, AWS documentation: c4.large registers 3768 of 3840 MiB
        // (overhead 72), m4.large 7985 of 8192 (207), c4.4xlarge 30158 of 30720
        // (562). All three are in the shipped catalogue with those nominal values.
        for &(name, nominal, registered) in KNOWN_REGISTERED_MEMORY {
            let t = builtin_type(name);
            assert_eq!(t.memory_mib, nominal, "{name} nominal");
            assert_eq!(t.memory_overhead_mib, Some(nominal - registered));
            // The override replaces the percentage.
            assert_eq!(t.registered_memory_mib(4.0, 0), registered, "{name}");
            assert_eq!(t.registered_memory_mib(10.0, 0), registered, "{name}");
        }
        let c4 = builtin_type("c4.large");
        assert_eq!(c4.registered_memory_mib(4.0, 0), 3768);
        // Reserved memory still applies: 3768 − 256 = 3512.
        assert_eq!(c4.registered_memory_mib(4.0, 256), 3512);
    }

    #[test]
    fn awsvpc_task_limits() {
        // ECS-MODEL R4, c5.large: 3 ENIs − 1 primary = 2 tasks without trunking.
        let c5 = builtin_type("c5.large");
        assert!(c5.trunking);
        assert_eq!(c5.max_awsvpc_tasks(false), 2);
        // With trunking: ECS's "task limit with ENI trunking", 10 — not the
        // VPC resource controller's branch ENIs in the EC2 catalogue (9).
        assert_eq!(c5.branch_enis, 9);
        assert_eq!(c5.max_awsvpc_tasks(true), 10);
        // t3.medium does not support trunking: 3 − 1 = 2 even when enabled.
        let t3 = builtin_type("t3.medium");
        assert!(!t3.trunking);
        assert_eq!(t3.branch_enis, 0);
        assert_eq!(t3.max_awsvpc_tasks(true), 2);
        assert_eq!(t3.max_awsvpc_tasks(false), 2);
    }

    #[test]
    fn r4_ecs_trunking_task_limits_not_branch_enis() {
        // ECS-MODEL R4: the ECS developer guide's "task limit with ENI
        // trunking" (type, ECS limit, the catalogue's branch ENIs).
        let cases = [
            ("c5.large", 10, 9),
            ("c5.xlarge", 20, 18),
            ("c5.2xlarge", 40, 38),
            ("m5.large", 10, 9),
            ("m5.4xlarge", 60, 54),
            ("m6i.8xlarge", 90, 84),
        ];
        for (name, ecs, branch) in cases {
            let t = builtin_type(name);
            assert_eq!(t.branch_enis, branch, "{name} branch ENIs");
            assert_eq!(t.max_awsvpc_tasks(true), ecs, "{name} with trunking");
            // Without trunking: max_enis − 1 (c5.large 3 − 1 = 2; m6i.8xlarge 8 − 1 = 7).
            assert_eq!(t.max_awsvpc_tasks(false), t.max_enis - 1, "{name}");
        }
        assert_eq!(builtin_type("m6i.8xlarge").max_awsvpc_tasks(false), 7);
        // i4i.large reads "-2" in the guide: no trunking, so max_enis − 1
        // either way.
        let i4i = builtin_type("i4i.large");
        assert!(!i4i.trunking);
        assert_eq!(i4i.max_awsvpc_tasks(true), i4i.max_awsvpc_tasks(false));
        // A type the guide does not list (c5n.large: trunking-compatible in
        // the EC2 data) has no ECS trunking limit.
        let c5n = builtin_type("c5n.large");
        assert!(!c5n.trunking);
        assert_eq!(c5n.max_awsvpc_tasks(true), c5n.max_enis - 1);
    }

    #[test]
    fn r4_trunking_table_matches_max_enis_without_trunking() {
        // ECS-MODEL R4: the guide's "without trunking" column is max_enis − 1
        // for the types both tables have, but for ten 32xlarge/metal network
        // types where the guide reads 13 and the EC2 data's max ENIs is 16.
        let table = match CsvTable::parse(TRUNKING_LIMITS_CSV) {
            Ok(t) => t,
            Err(e) => panic!("{e:?}"),
        };
        let (Ok(name), Ok(without)) = (
            table.column("instance_type"),
            table.column("task_limit_without_trunking"),
        ) else {
            panic!("columns")
        };
        let mut differ = 0;
        for (_, r) in table.rows() {
            let Some(t) = Catalog::builtin().get(r.get(name).unwrap_or("")) else {
                continue;
            };
            if t.max_enis == 0 {
                continue;
            }
            let n: u32 = r.get(without).unwrap_or("").parse().unwrap_or(u32::MAX);
            if n != t.max_enis - 1 {
                differ += 1;
            }
        }
        assert_eq!(differ, 10);
        assert_eq!(
            Catalog::builtin().iter().filter(|t| t.trunking).count(),
            422
        );
    }

    #[test]
    fn trunking_table_errors() {
        let err = trunking_task_limits(
            "instance_type,task_limit_with_trunking
a.large,x
",
        )
        .err()
        .map(|e| e.to_string());
        assert_eq!(
            err.as_deref()
                .map(|m| m.starts_with("line 2: column `task_limit_with_trunking`")),
            Some(true),
            "{err:?}"
        );
        assert!(trunking_task_limits(
            "instance_type
a.large
"
        )
        .is_err());
        let ok = trunking_task_limits(
            "instance_type,task_limit_with_trunking
a.large,12
b.large,-2
",
        );
        assert_eq!(ok.ok(), Some(vec![("a.large", 12)]));
    }

    #[test]
    fn suggest_typos() {
        let catalog = Catalog::builtin();
        assert_eq!(catalog.suggest("m6i.xlrage"), Some("m6i.xlarge"));
        assert_eq!(catalog.suggest("M6I.XLARGE"), Some("m6i.xlarge"));
        assert_eq!(catalog.suggest("zzzz"), None);
    }

    #[test]
    fn names_are_sorted_and_match_get() {
        let catalog = Catalog::builtin();
        let names: Vec<&str> = catalog.names().collect();
        assert!(names.windows(2).all(|w| w[0] < w[1]));
        assert!(names.iter().all(|n| catalog.get(n).is_some()));
        assert_eq!(catalog.iter().count(), catalog.len());
        assert!(catalog.get("m6i.XLARGE").is_none());
    }

    #[test]
    fn from_csv_minimal_and_column_order() {
        // Columns in another order, unknown columns ignored, empty optional cells.
        let text = "ondemand_usd_per_hour,branch_enis,eni_trunking_compatible,max_enis,gpu_count,arch,memory_mib,vcpu,family,instance_type,extra\n\
                    0.5,4,true,3,1,amd64,2048,2,,x1.big,whatever\n\
                    ,,,,,aarch64,1024,1,y,y.small,\n";
        let catalog = match Catalog::from_csv(text) {
            Ok(c) => c,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(catalog.len(), 2);
        let x = catalog.get("x1.big").cloned();
        assert_eq!(
            x,
            Some(InstanceType {
                name: "x1.big".into(),
                family: "x1".into(),
                vcpu: 2,
                memory_mib: 2048,
                arch: Arch::X86_64,
                max_enis: 3,
                trunking: true,
                branch_enis: 4,
                trunk_task_limit: 0,
                gpu_count: 1,
                ondemand_usd_per_hour: Some(0.5),
                memory_overhead_mib: None,
            })
        );
        let y = catalog.get("y.small").cloned();
        assert_eq!(
            y.map(|t| (
                t.arch,
                t.max_enis,
                t.trunking,
                t.branch_enis,
                t.gpu_count,
                t.ondemand_usd_per_hour
            )),
            Some((Arch::Arm64, 0, false, 0, 0, None))
        );
        // Header only: an empty catalogue.
        let empty = Catalog::from_csv(HEADER);
        assert!(matches!(empty, Ok(c) if c.is_empty()));
    }

    #[test]
    fn branch_enis_ignored_without_trunking() {
        let text = format!("{HEADER}\nq.large,q,large,q,1,2,4096,4.0,x86_64,intel,3000,nitro,false,750,4750,,0,,3,10,false,9,0.1\n");
        let t = Catalog::from_csv(&text)
            .ok()
            .and_then(|c| c.get("q.large").cloned());
        assert_eq!(
            t.map(|t| (t.branch_enis, t.max_awsvpc_tasks(true))),
            Some((0, 2))
        );
    }

    #[test]
    fn malformed_missing_column() {
        let text = "instance_type,family,memory_mib,arch,gpu_count,max_enis,eni_trunking_compatible,branch_enis,ondemand_usd_per_hour\n\
                    a.large,a,4096,x86_64,0,3,true,9,0.1\n";
        let (line, message) = malformed_line(text);
        assert_eq!(line, 1);
        assert!(message.contains("`vcpu`"), "{message}");
        let (line, _) = malformed_line("");
        assert_eq!(line, 1);
    }

    #[test]
    fn malformed_bad_number_reports_line() {
        let good = "a1.large,a1,large,a,1,2,4096,4.0,arm64,aws,2300,nitro,false,750,3500,,0,,3,10,true,9,0.051";
        let bad = "a1.xlarge,a1,xlarge,a,1,four,8192,8.0,arm64,aws,2300,nitro,false,750,3500,,0,,4,15,true,18,0.102";
        let (line, message) = malformed_line(&format!("{HEADER}\n{good}\n{bad}\n"));
        assert_eq!(line, 3);
        assert!(
            message.contains("`vcpu`") && message.contains("four"),
            "{message}"
        );
        let err = Catalog::from_csv(&format!("{HEADER}\n{good}\n{bad}\n")).err();
        assert!(err.is_some_and(|e| e.to_string().starts_with("line 3: ")));

        let bad_price = good.replace("0.051", "cheap");
        let (line, message) = malformed_line(&format!("{HEADER}\n{bad_price}\n"));
        assert_eq!(line, 2);
        assert!(message.contains("ondemand_usd_per_hour"), "{message}");
        let negative_price = good.replace("0.051", "-1");
        assert_eq!(
            malformed_line(&format!("{HEADER}\n{negative_price}\n")).0,
            2
        );
    }

    #[test]
    fn malformed_other_rows() {
        let good = "a1.large,a1,large,a,1,2,4096,4.0,arm64,aws,2300,nitro,false,750,3500,,0,,3,10,true,9,0.051";
        // Too few fields on line 3.
        let (line, _) = malformed_line(&format!("{HEADER}\n{good}\na1.xlarge,a1\n"));
        assert_eq!(line, 3);
        // Unknown architecture.
        let (line, message) =
            malformed_line(&format!("{HEADER}\n{}\n", good.replace("arm64", "riscv")));
        assert_eq!(line, 2);
        assert!(message.contains("riscv"), "{message}");
        // Bad boolean.
        let (_, message) =
            malformed_line(&format!("{HEADER}\n{}\n", good.replace(",true,", ",yes,")));
        assert!(message.contains("eni_trunking_compatible"), "{message}");
        // Zero vCPU, empty memory, empty name.
        let zero_vcpu = good.replace(",1,2,4096,", ",1,0,4096,");
        assert_eq!(malformed_line(&format!("{HEADER}\n{zero_vcpu}\n")).0, 2);
        let no_memory = good.replace(",4096,", ",,");
        assert!(malformed_line(&format!("{HEADER}\n{no_memory}\n"))
            .1
            .contains("memory_mib"));
        let no_name = good.replace("a1.large", "");
        assert!(malformed_line(&format!("{HEADER}\n{no_name}\n"))
            .1
            .contains("instance_type"));
        // Duplicate name on line 3.
        let (line, message) = malformed_line(&format!("{HEADER}\n{good}\n{good}\n"));
        assert_eq!(line, 3);
        assert!(message.contains("duplicate"), "{message}");
    }

    #[test]
    fn insert_adds_and_replaces() {
        let mut catalog = Catalog::default();
        assert!(catalog.is_empty());
        let mut t = builtin_type("m6i.large").clone();
        catalog.insert(t.clone());
        assert_eq!(catalog.len(), 1);
        t.memory_overhead_mib = Some(500);
        catalog.insert(t);
        assert_eq!(catalog.len(), 1);
        let replaced = catalog.get("m6i.large");
        // ECS-MODEL R2 with an override: 8192 − 500 = 7692, whatever the percentage.
        assert_eq!(
            replaced.map(|t| t.registered_memory_mib(4.0, 0)),
            Some(7692)
        );
        // The built-in catalogue is unaffected.
        assert_eq!(builtin_type("m6i.large").memory_overhead_mib, None);
    }

    #[test]
    fn builtin_types_parsed_on_demand_equal_the_whole_file_parsed() {
        // The embedded catalogue parses each type when it is looked up; the
        // result is the whole file parsed at once, with ECS's trunking
        // limits (R4) and the documented registered memory (R2) applied.
        let mut eager = match Catalog::from_csv(BUILTIN_CSV) {
            Ok(c) => c,
            Err(e) => panic!("{e}"),
        };
        let limits: BTreeMap<&str, u32> = trunking_task_limits(TRUNKING_LIMITS_CSV)
            .expect("trunking table")
            .into_iter()
            .collect();
        for t in eager.types.values_mut() {
            t.trunk_task_limit = limits.get(t.name.as_str()).copied().unwrap_or(0);
            t.trunking = t.trunk_task_limit > 0;
        }
        for &(name, _, registered) in KNOWN_REGISTERED_MEMORY {
            let t = eager.types.get_mut(name).expect("documented type");
            t.memory_overhead_mib = Some(t.memory_mib - registered);
        }
        let lazy: Vec<&InstanceType> = Catalog::builtin().iter().collect();
        let eager: Vec<&InstanceType> = eager.iter().collect();
        assert_eq!(lazy.len(), 1363);
        assert_eq!(lazy, eager);
    }

    #[test]
    fn a_lookup_parses_only_the_type_asked_for() {
        let e = Embedded::index();
        assert_eq!(e.lines.len(), 1363);
        assert_eq!(format!("{e:?}"), "Embedded { types: 1363, parsed: 0 }");
        let i = e.position("c5.large").expect("c5.large");
        // R4: ECS's limit with trunking, 10 for c5.large.
        assert_eq!(e.at(i).trunk_task_limit, 10);
        assert_eq!(e.at(i).name, "c5.large");
        assert!(e.position("c5.LARGE").is_none());
        assert_eq!(format!("{e:?}"), "Embedded { types: 1363, parsed: 1 }");
        // Its line in the file.
        let (line, text) = e.lines[i];
        assert_eq!(BUILTIN_CSV.lines().nth(line - 1), Some(text));
    }

    #[test]
    fn inserted_types_come_before_the_builtin_ones_of_that_name() {
        let mut catalog = Catalog::builtin().clone();
        let n = catalog.len();
        let mut big = builtin_type("m6i.large").clone();
        big.memory_overhead_mib = Some(500);
        catalog.insert(big);
        let mut custom = builtin_type("m6i.large").clone();
        custom.name = "zz.custom".into();
        custom.vcpu = 2000;
        catalog.insert(custom);
        // One new name; the replaced one counted once, in name order.
        assert_eq!(catalog.len(), n + 1);
        let names: Vec<&str> = catalog.names().collect();
        assert!(names.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(names.last(), Some(&"zz.custom"));
        assert_eq!(
            catalog.get("m6i.large").and_then(|t| t.memory_overhead_mib),
            Some(500)
        );
        assert_eq!(catalog.max_vcpu(), 2000);
        assert_eq!(Catalog::builtin().max_vcpu(), 896);
        // The only 32 TiB type made small: the bounds are those of the
        // types as they now are.
        let mut small = builtin_type("u7in-32tb.224xlarge").clone();
        small.memory_mib = 1024;
        catalog.insert(small);
        assert!(catalog.max_memory_mib() < 32 * 1024 * 1024);
        assert_eq!(Catalog::builtin().max_memory_mib(), 32 * 1024 * 1024);
        assert_eq!(catalog.suggest("zz.custon"), Some("zz.custom"));
        assert_eq!(builtin_type("m6i.large").memory_overhead_mib, None);
    }

    #[test]
    fn arch_from_str() {
        assert_eq!("x86_64".parse::<Arch>(), Ok(Arch::X86_64));
        assert_eq!("AMD64".parse::<Arch>(), Ok(Arch::X86_64));
        assert_eq!("arm64".parse::<Arch>(), Ok(Arch::Arm64));
        assert_eq!("aarch64".parse::<Arch>(), Ok(Arch::Arm64));
        assert!("sparc".parse::<Arch>().is_err());
        assert!(Arch::X86_64 < Arch::Arm64);
    }
}
