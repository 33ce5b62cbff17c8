//! Fargate platforms and valid Fargate task sizes (ECS-MODEL F1, F3).
//!
//! This module owns:
//! - [`FargatePlatform`]: the operating system and CPU architecture a
//!   Fargate task runs on, read from an ECS `runtimePlatform`
//!   (`operatingSystemFamily` + `cpuArchitecture`), and whether Fargate Spot
//!   serves it (F3: Linux, x86_64 or ARM64);
//! - [`FargateSizes`]: the valid task-level (CPU, memory) combinations,
//!   parsed once from the embedded `data/fargate_task_sizes.csv`
//!   ([`FargateSizes::builtin`]; provenance in `data/SOURCES.md`), with the
//!   size check of F1 ([`FargateSizes::check`]) and the cheapest valid size
//!   that holds a request ([`FargateSizes::smallest_fit`]).
//!
//! Plain data plus arithmetic. It must only depend on the standard library
//! and its CSV parser, never on the engine, scenario, cost or output modules
//! (prices live in `crate::cost`, which depends on this module, not the other
//! way round). Its only I/O is the data embedded at compile time.

use crate::csvdata::{CsvProblem, CsvTable};
use std::fmt;
use std::sync::OnceLock;

/// CPU units per vCPU (ECS: 1024 units = 1 vCPU).
const UNITS_PER_VCPU: u32 = 1024;
/// MiB per GB as Fargate counts memory (AWS writes "GB" for GiB).
const MIB_PER_GB: u32 = 1024;

/// us-east-1 Linux x86_64 on-demand rates (ECS-MODEL B2), in millionths of a
/// USD per vCPU-hour and per GB-hour. Used only to *rank* sizes in
/// [`FargateSizes::smallest_fit`]; billing reads `crate::cost::PriceBook`.
/// A unit test in `crate::cost::prices` checks them against the embedded
/// price data.
pub(crate) const RANK_MICRO_USD_PER_VCPU_HOUR: u64 = 40_480;
/// See [`RANK_MICRO_USD_PER_VCPU_HOUR`]: $0.004445 per GB-hour.
pub(crate) const RANK_MICRO_USD_PER_GB_HOUR: u64 = 4_445;

/// The platform a Fargate task runs on: OS family and CPU architecture.
///
/// Ordered as declared (Linux x86, Linux ARM, Windows), for stable reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FargatePlatform {
    /// Linux on x86_64 (the ECS default when `runtimePlatform` is absent).
    LinuxX86,
    /// Linux on ARM64 (AWS Graviton).
    LinuxArm64,
    /// Windows Server on x86_64 (any `WINDOWS_SERVER_*` family).
    Windows,
}

impl FargatePlatform {
    /// All platforms, in order.
    pub const ALL: [FargatePlatform; 3] = [
        FargatePlatform::LinuxX86,
        FargatePlatform::LinuxArm64,
        FargatePlatform::Windows,
    ];

    /// The name used in `data/fargate_prices.csv` and in reports:
    /// `linux_x86`, `linux_arm64` or `windows_x86`.
    pub fn as_str(self) -> &'static str {
        match self {
            FargatePlatform::LinuxX86 => "linux_x86",
            FargatePlatform::LinuxArm64 => "linux_arm64",
            FargatePlatform::Windows => "windows_x86",
        }
    }

    /// Fargate Spot runs Linux tasks, x86_64 and ARM64, not Windows.
    ///
    /// ECS-MODEL F3 says "Linux x86 only"; the current Amazon ECS API
    /// reference (CapacityProviderStrategyItem) says "FARGATE_SPOT supports
    /// Linux tasks with the ARM64 architecture on platform version 1.4.0 or
    /// later", and ARM64 on Fargate needs platform 1.4.0 or later anyway, so
    /// every ARM64 Fargate task qualifies.
    pub fn supports_spot(self) -> bool {
        matches!(
            self,
            FargatePlatform::LinuxX86 | FargatePlatform::LinuxArm64
        )
    }

    /// The operating system, for messages: `"Linux"` or `"Windows"`.
    pub fn os_name(self) -> &'static str {
        match self {
            FargatePlatform::LinuxX86 | FargatePlatform::LinuxArm64 => "Linux",
            FargatePlatform::Windows => "Windows",
        }
    }

    /// The platform of an ECS task definition's `runtimePlatform`.
    ///
    /// `os_family` is `operatingSystemFamily` (`LINUX`, or a
    /// `WINDOWS_SERVER_<version>_<FULL|CORE>` value such as
    /// `WINDOWS_SERVER_2019_FULL`), `arch` is `cpuArchitecture` (`X86_64` or
    /// `ARM64`); both are compared case-insensitively and default, as in
    /// ECS, to `LINUX` and `X86_64` when absent. Windows on ARM64 does not
    /// exist on Fargate and is an error, as is any other value.
    pub fn from_runtime_platform(
        os_family: Option<&str>,
        arch: Option<&str>,
    ) -> Result<FargatePlatform, String> {
        let os = os_family.unwrap_or("LINUX").trim().to_ascii_uppercase();
        let cpu = arch.unwrap_or("X86_64").trim().to_ascii_uppercase();
        let arm = match cpu.as_str() {
            "X86_64" => false,
            "ARM64" => true,
            _ => {
                return Err(format!(
                    "unknown cpuArchitecture `{}` (expected `X86_64` or `ARM64`)",
                    arch.unwrap_or_default()
                ))
            }
        };
        if os == "LINUX" {
            Ok(if arm {
                FargatePlatform::LinuxArm64
            } else {
                FargatePlatform::LinuxX86
            })
        } else if os.starts_with("WINDOWS_SERVER_") {
            if arm {
                Err(format!(
                    "operatingSystemFamily `{}` needs cpuArchitecture `X86_64`: \
                     Fargate runs Windows on x86_64 only",
                    os_family.unwrap_or_default()
                ))
            } else {
                Ok(FargatePlatform::Windows)
            }
        } else {
            Err(format!(
                "unknown operatingSystemFamily `{}` (expected `LINUX` or a \
                 `WINDOWS_SERVER_*` value such as `WINDOWS_SERVER_2019_FULL`)",
                os_family.unwrap_or_default()
            ))
        }
    }

    /// Parses `"<operatingSystemFamily>[/<cpuArchitecture>]"`, e.g.
    /// `"LINUX/X86_64"`, `"LINUX/ARM64"`, `"WINDOWS_SERVER_2019_FULL"` (the
    /// architecture defaults to `X86_64`, see [`from_runtime_platform`]),
    /// or one of the names [`as_str`] gives (`linux_x86`, `linux_arm64`,
    /// `windows_x86`). Case-insensitive.
    ///
    /// [`from_runtime_platform`]: FargatePlatform::from_runtime_platform
    /// [`as_str`]: FargatePlatform::as_str
    pub fn parse(s: &str) -> Result<FargatePlatform, String> {
        let s = s.trim();
        if let Some(p) = FargatePlatform::ALL
            .into_iter()
            .find(|p| p.as_str().eq_ignore_ascii_case(s))
        {
            return Ok(p);
        }
        let (os, arch) = match s.split_once('/') {
            Some((os, arch)) => (os, Some(arch)),
            None => (s, None),
        };
        FargatePlatform::from_runtime_platform(Some(os), arch)
    }
}

impl fmt::Display for FargatePlatform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One valid Fargate task size (a row of `data/fargate_task_sizes.csv`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FargateSize {
    /// Task CPU in CPU units (1024 units = 1 vCPU).
    pub cpu_units: u32,
    /// Task memory in MiB.
    pub memory_mib: u32,
    /// Whether Linux tasks may use this size.
    pub linux: bool,
    /// Whether Windows tasks may use this size (1, 2 and 4 vCPU only).
    pub windows: bool,
}

impl FargateSize {
    /// Whether tasks of `platform` may use this size.
    pub fn allows(&self, platform: FargatePlatform) -> bool {
        match platform {
            FargatePlatform::LinuxX86 | FargatePlatform::LinuxArm64 => self.linux,
            FargatePlatform::Windows => self.windows,
        }
    }

    /// The size's hourly price at the us-east-1 Linux x86 rates, in
    /// millionths of a USD × 1024 (an exact integer, for ranking only):
    /// `cpu_units × 40480 + memory_mib × 4445`.
    fn rank_price(&self) -> u64 {
        u64::from(self.cpu_units) * RANK_MICRO_USD_PER_VCPU_HOUR
            + u64::from(self.memory_mib) * RANK_MICRO_USD_PER_GB_HOUR
    }
}

/// Error parsing a Fargate task-size table.
#[derive(Debug, thiserror::Error)]
pub enum FargateSizesError {
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

/// The embedded size table (see `data/SOURCES.md`).
const BUILTIN_CSV: &str = include_str!("../../data/fargate_task_sizes.csv");

/// The valid Fargate task sizes, ordered by CPU then memory (ECS-MODEL F1).
#[derive(Debug, Clone, Default)]
pub struct FargateSizes {
    sizes: Vec<FargateSize>,
}

impl FargateSizes {
    /// The embedded table (`data/fargate_task_sizes.csv`, 74 sizes), parsed
    /// once.
    ///
    /// # Panics
    /// Only if the embedded file is malformed, which a unit test rules out.
    pub fn builtin() -> &'static FargateSizes {
        static BUILTIN: OnceLock<FargateSizes> = OnceLock::new();
        BUILTIN.get_or_init(|| {
            FargateSizes::from_csv(BUILTIN_CSV)
                .expect("embedded data/fargate_task_sizes.csv is malformed (see its unit test)")
        })
    }

    /// Parses a size table with a header row, reading columns by name
    /// (order does not matter, unknown columns are ignored).
    ///
    /// Required columns: `cpu_units` and `memory_mib` (positive integers)
    /// and `os_supported` (`;`-separated list of `linux` and `windows`, at
    /// least one). A repeated (CPU, memory) pair is an error.
    pub fn from_csv(text: &str) -> Result<FargateSizes, FargateSizesError> {
        let table = CsvTable::parse(text)?;
        let find = |column: &str| table.column(column);
        let cpu_col = find("cpu_units")?;
        let memory_col = find("memory_mib")?;
        let os_col = find("os_supported")?;

        let mut sizes: Vec<FargateSize> = Vec::new();
        for (line, record) in table.rows() {
            let error = |message: String| FargateSizesError::Malformed { line, message };
            let cell = |index: usize| record.get(index).unwrap_or("");
            let positive = |index: usize, name: &str| {
                cell(index)
                    .parse::<u32>()
                    .ok()
                    .filter(|v| *v > 0)
                    .ok_or_else(|| {
                        error(format!(
                            "column `{name}`: `{}` is not an integer > 0",
                            cell(index)
                        ))
                    })
            };
            let cpu_units = positive(cpu_col, "cpu_units")?;
            let memory_mib = positive(memory_col, "memory_mib")?;
            let (mut linux, mut windows) = (false, false);
            for os in cell(os_col).split(';').map(str::trim) {
                match os {
                    "linux" => linux = true,
                    "windows" => windows = true,
                    other => {
                        return Err(error(format!(
                            "column `os_supported`: unknown OS `{other}` (expected `linux` or `windows`)"
                        )))
                    }
                }
            }
            if sizes
                .iter()
                .any(|s| s.cpu_units == cpu_units && s.memory_mib == memory_mib)
            {
                return Err(error(format!(
                    "duplicate size {cpu_units} CPU units / {memory_mib} MiB"
                )));
            }
            sizes.push(FargateSize {
                cpu_units,
                memory_mib,
                linux,
                windows,
            });
        }
        sizes.sort_by_key(|s| (s.cpu_units, s.memory_mib));
        Ok(FargateSizes { sizes })
    }

    /// All sizes, by CPU then memory.
    pub fn sizes(&self) -> &[FargateSize] {
        &self.sizes
    }

    /// The valid CPU values (CPU units) for `platform`, ascending.
    pub fn cpu_values(&self, platform: FargatePlatform) -> Vec<u32> {
        let mut cpus: Vec<u32> = self
            .sizes
            .iter()
            .filter(|s| s.allows(platform))
            .map(|s| s.cpu_units)
            .collect();
        cpus.dedup();
        cpus
    }

    /// The valid memory values (MiB) for `cpu_units` on `platform`,
    /// ascending; empty when the CPU value is not valid there.
    pub fn memory_values(&self, cpu_units: u32, platform: FargatePlatform) -> Vec<u32> {
        self.sizes
            .iter()
            .filter(|s| s.cpu_units == cpu_units && s.allows(platform))
            .map(|s| s.memory_mib)
            .collect()
    }

    /// ECS-MODEL F1: whether a task of `cpu_units` CPU units and
    /// `memory_mib` MiB may run on Fargate on `platform`.
    ///
    /// The error says what would be valid: for an unknown CPU value, the
    /// valid CPU values; for a CPU value the platform's OS does not offer
    /// (Windows at 0.25, 0.5, 8 and 16 vCPU), the OS limit; for a memory
    /// value the CPU does not allow, every valid memory value for that CPU
    /// (as a range in GB and as a list in MiB) and the nearest valid ones.
    pub fn check(
        &self,
        cpu_units: u32,
        memory_mib: u32,
        platform: FargatePlatform,
    ) -> Result<(), String> {
        let memories = self.memory_values(cpu_units, platform);
        if memories.is_empty() {
            let valid = self.cpu_values(platform);
            let list = valid
                .iter()
                .map(|&c| format!("{c} ({} vCPU)", vcpu_text(c)))
                .collect::<Vec<_>>()
                .join(", ");
            let on_some_os = self.sizes.iter().any(|s| s.cpu_units == cpu_units);
            return Err(if on_some_os {
                format!(
                    "{cpu_units} CPU units ({} vCPU) is not available for {os} tasks on Fargate; \
                     {os} tasks support only these CPU values: {list}",
                    vcpu_text(cpu_units),
                    os = platform.os_name(),
                )
            } else {
                format!(
                    "{cpu_units} CPU units is not a valid Fargate task CPU; valid values for {} tasks: {list}",
                    platform.os_name()
                )
            });
        }
        if memories.contains(&memory_mib) {
            return Ok(());
        }
        let list = memories
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        let below = memories.iter().rev().find(|&&m| m < memory_mib);
        let above = memories.iter().find(|&&m| m > memory_mib);
        let nearest = match (below, above) {
            (Some(b), Some(a)) => format!("{b} or {a} MiB"),
            (Some(m), None) | (None, Some(m)) => format!("{m} MiB"),
            (None, None) => String::new(),
        };
        Err(format!(
            "{memory_mib} MiB is not a valid Fargate memory size for {cpu_units} CPU units \
             ({} vCPU): valid memory is {} ({list} MiB); nearest valid: {nearest}",
            vcpu_text(cpu_units),
            describe_gb(&memories),
        ))
    }

    /// The cheapest valid size for `platform` with at least `cpu_units` CPU
    /// units and `memory_mib` MiB, as `(cpu_units, memory_mib)`; `None` when
    /// the request exceeds the largest size.
    ///
    /// For tasks whose definition states only container-level sizes: the
    /// task is given the cheapest size that holds them, ranked by the
    /// us-east-1 Linux x86 on-demand rates (ECS-MODEL B2; the ranking is the
    /// same in every region where vCPU and GB prices keep that ratio); ties
    /// go to the smaller CPU, then the smaller memory.
    pub fn smallest_fit(
        &self,
        cpu_units: u32,
        memory_mib: u32,
        platform: FargatePlatform,
    ) -> Option<(u32, u32)> {
        self.sizes
            .iter()
            .filter(|s| {
                s.allows(platform) && s.cpu_units >= cpu_units && s.memory_mib >= memory_mib
            })
            .min_by_key(|s| (s.rank_price(), s.cpu_units, s.memory_mib))
            .map(|s| (s.cpu_units, s.memory_mib))
    }
}

/// `cpu_units` as vCPU, e.g. `0.25`, `1`, `16`.
fn vcpu_text(cpu_units: u32) -> String {
    (f64::from(cpu_units) / f64::from(UNITS_PER_VCPU)).to_string()
}

/// `mib` as GB, e.g. `0.5`, `2`.
fn gb_text(mib: u32) -> String {
    (f64::from(mib) / f64::from(MIB_PER_GB)).to_string()
}

/// A compact description of ascending memory values in GB: `"2 GB"`,
/// `"0.5, 1 or 2 GB"`, or `"2–8 GB in 1 GB steps"` when there are three or
/// more evenly spaced values.
fn describe_gb(values_mib: &[u32]) -> String {
    match values_mib {
        [] => String::new(),
        [one] => format!("{} GB", gb_text(*one)),
        [first, second, ..] => {
            let step = second - first;
            let even = values_mib.windows(2).all(|w| w[1] - w[0] == step);
            let last = values_mib[values_mib.len() - 1];
            if even && values_mib.len() >= 3 {
                format!(
                    "{}–{} GB in {} GB steps",
                    gb_text(*first),
                    gb_text(last),
                    gb_text(step)
                )
            } else {
                let head = values_mib[..values_mib.len() - 1]
                    .iter()
                    .map(|&m| gb_text(m))
                    .collect::<Vec<_>>()
                    .join(", ");
                format!("{head} or {} GB", gb_text(last))
            }
        }
    }
}

impl From<CsvProblem> for FargateSizesError {
    fn from(p: CsvProblem) -> Self {
        FargateSizesError::Malformed {
            line: p.line,
            message: p.message,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use FargatePlatform::{LinuxArm64, LinuxX86, Windows};

    fn sizes() -> &'static FargateSizes {
        FargateSizes::builtin()
    }

    fn check_err(cpu: u32, memory: u32, platform: FargatePlatform) -> String {
        match sizes().check(cpu, memory, platform) {
            Err(e) => e,
            Ok(()) => panic!("{cpu}/{memory} on {platform} should be invalid"),
        }
    }

    #[test]
    fn builtin_loads_all_sizes() {
        // ECS-MODEL F1: 3 + 4 + 7 + 13 + 23 + 12 + 12 = 74 combinations.
        let s = sizes();
        assert_eq!(s.sizes().len(), 74);
        assert_eq!(s.sizes().len(), BUILTIN_CSV.lines().count() - 1);
        assert_eq!(
            s.cpu_values(LinuxX86),
            [256, 512, 1024, 2048, 4096, 8192, 16384]
        );
        assert_eq!(s.cpu_values(LinuxArm64), s.cpu_values(LinuxX86));
        // Windows: 1, 2 and 4 vCPU only.
        assert_eq!(s.cpu_values(Windows), [1024, 2048, 4096]);
        let per_cpu: Vec<usize> = s
            .cpu_values(LinuxX86)
            .into_iter()
            .map(|c| s.memory_values(c, LinuxX86).len())
            .collect();
        assert_eq!(per_cpu, [3, 4, 7, 13, 23, 12, 12]);
    }

    #[test]
    fn builtin_ranges_match_f1() {
        // (cpu units, first MiB, last MiB, step MiB) as ECS-MODEL F1 states
        // them; 0.25 vCPU is the uneven 0.5/1/2 GB.
        let s = sizes();
        assert_eq!(s.memory_values(256, LinuxX86), [512, 1024, 2048]);
        let ranges = [
            (512, 1024, 4096, 1024),      // 0.5 vCPU: 1–4 GB
            (1024, 2048, 8192, 1024),     // 1 vCPU: 2–8 GB
            (2048, 4096, 16384, 1024),    // 2 vCPU: 4–16 GB
            (4096, 8192, 30720, 1024),    // 4 vCPU: 8–30 GB
            (8192, 16384, 61440, 4096),   // 8 vCPU: 16–60 GB in 4 GB steps
            (16384, 32768, 122880, 8192), // 16 vCPU: 32–120 GB in 8 GB steps
        ];
        for (cpu, first, last, step) in ranges {
            let want: Vec<u32> = (first..=last).step_by(step as usize).collect();
            assert_eq!(s.memory_values(cpu, LinuxX86), want, "cpu {cpu}");
        }
    }

    #[test]
    fn check_accepts_valid_sizes() {
        // Every row of the table is valid on its own OS.
        for size in sizes().sizes() {
            for p in FargatePlatform::ALL {
                let ok = sizes().check(size.cpu_units, size.memory_mib, p).is_ok();
                assert_eq!(ok, size.allows(p), "{size:?} on {p}");
            }
        }
        assert!(sizes().check(256, 512, LinuxX86).is_ok());
        assert!(sizes().check(16384, 122880, LinuxArm64).is_ok());
        assert!(sizes().check(4096, 30720, Windows).is_ok());
    }

    #[test]
    fn check_unknown_cpu_lists_valid_cpus() {
        let e = check_err(300, 1024, LinuxX86);
        assert_eq!(
            e,
            "300 CPU units is not a valid Fargate task CPU; valid values for Linux tasks: 256 (0.25 vCPU), \
             512 (0.5 vCPU), 1024 (1 vCPU), 2048 (2 vCPU), 4096 (4 vCPU), 8192 (8 vCPU), \
             16384 (16 vCPU)"
        );
    }

    #[test]
    fn check_invalid_memory_lists_range_values_and_nearest() {
        // 1 vCPU allows 2–8 GB in 1 GB steps; 4500 MiB lies between 4096 and 5120.
        let e = check_err(1024, 4500, LinuxX86);
        assert_eq!(
            e,
            "4500 MiB is not a valid Fargate memory size for 1024 CPU units (1 vCPU): \
             valid memory is 2–8 GB in 1 GB steps (2048, 3072, 4096, 5120, 6144, 7168, 8192 MiB); \
             nearest valid: 4096 or 5120 MiB"
        );
        // Below the smallest: one nearest value.
        let e = check_err(1024, 1024, LinuxX86);
        assert!(e.ends_with("nearest valid: 2048 MiB"), "{e}");
        // Above the largest.
        let e = check_err(512, 8192, LinuxX86);
        assert!(e.contains("valid memory is 1–4 GB in 1 GB steps"), "{e}");
        assert!(e.ends_with("nearest valid: 4096 MiB"), "{e}");
        // Uneven steps are listed: 0.25 vCPU.
        let e = check_err(256, 4096, LinuxX86);
        assert!(
            e.contains("valid memory is 0.5, 1 or 2 GB (512, 1024, 2048 MiB)"),
            "{e}"
        );
        // 16 vCPU: 32–120 GB in 8 GB steps; 64 GB = 65536 is valid, 66000 is not.
        let e = check_err(16384, 66000, LinuxX86);
        assert!(e.contains("32–120 GB in 8 GB steps"), "{e}");
        assert!(e.ends_with("nearest valid: 65536 or 73728 MiB"), "{e}");
    }

    #[test]
    fn check_windows_limits() {
        // ECS-MODEL F1: Windows only at 1, 2 and 4 vCPU.
        for cpu in [256, 512, 8192, 16384] {
            let memory = sizes().memory_values(cpu, LinuxX86)[0];
            let e = check_err(cpu, memory, Windows);
            assert!(e.contains("not available for Windows tasks"), "{e}");
            assert!(
                e.contains("Windows tasks support only these CPU values"),
                "{e}"
            );
            assert!(
                e.contains("1024 (1 vCPU), 2048 (2 vCPU), 4096 (4 vCPU)"),
                "{e}"
            );
        }
        assert!(sizes().check(8192, 16384, LinuxX86).is_ok());
    }

    #[test]
    fn smallest_fit_picks_cheapest_valid_size() {
        let s = sizes();
        let cases = [
            // (cpu, memory, platform) → size
            ((100, 100, LinuxX86), Some((256, 512))),
            ((256, 512, LinuxX86), Some((256, 512))),
            // 0.25 vCPU has no 3 GB; 0.5 vCPU / 3 GB = 0.02024 + 0.013335
            // = 0.033575 $/h beats 1 vCPU / 3 GB.
            ((256, 3000, LinuxX86), Some((512, 3072))),
            // 0.5 vCPU tops out at 4 GB → 1 vCPU / 5 GB.
            ((300, 5000, LinuxX86), Some((1024, 5120))),
            ((1500, 1000, LinuxX86), Some((2048, 4096))),
            // Windows starts at 1 vCPU / 2 GB.
            ((256, 512, Windows), Some((1024, 2048))),
            ((4096, 30721, Windows), None),
            ((16384, 122880, LinuxArm64), Some((16384, 122880))),
            ((16385, 1, LinuxX86), None),
        ];
        for ((cpu, memory, p), want) in cases {
            assert_eq!(s.smallest_fit(cpu, memory, p), want, "{cpu}/{memory} {p}");
        }
    }

    #[test]
    fn smallest_fit_is_valid_and_holds_the_request() {
        let s = sizes();
        for p in FargatePlatform::ALL {
            for cpu in (0..=16384).step_by(700) {
                for memory in (0..=122880).step_by(3001) {
                    if let Some((c, m)) = s.smallest_fit(cpu, memory, p) {
                        assert!(c >= cpu && m >= memory);
                        assert!(s.check(c, m, p).is_ok());
                    }
                }
            }
        }
    }

    #[test]
    fn platform_from_runtime_platform() {
        let cases = [
            ((None, None), Ok(LinuxX86)),
            ((Some("LINUX"), None), Ok(LinuxX86)),
            ((Some("LINUX"), Some("X86_64")), Ok(LinuxX86)),
            ((Some("LINUX"), Some("ARM64")), Ok(LinuxArm64)),
            ((Some("linux"), Some("arm64")), Ok(LinuxArm64)),
            ((None, Some("ARM64")), Ok(LinuxArm64)),
            ((Some("WINDOWS_SERVER_2019_FULL"), None), Ok(Windows)),
            (
                (Some("WINDOWS_SERVER_2022_CORE"), Some("X86_64")),
                Ok(Windows),
            ),
        ];
        for ((os, arch), want) in cases {
            assert_eq!(
                FargatePlatform::from_runtime_platform(os, arch),
                want,
                "{os:?}/{arch:?}"
            );
        }
        let e =
            FargatePlatform::from_runtime_platform(Some("WINDOWS_SERVER_2019_FULL"), Some("ARM64"))
                .unwrap_err();
        assert!(e.contains("x86_64 only"), "{e}");
        let e = FargatePlatform::from_runtime_platform(Some("MACOS"), None).unwrap_err();
        assert!(e.contains("unknown operatingSystemFamily `MACOS`"), "{e}");
        let e = FargatePlatform::from_runtime_platform(None, Some("RISCV")).unwrap_err();
        assert!(e.contains("unknown cpuArchitecture `RISCV`"), "{e}");
    }

    #[test]
    fn platform_parse_and_names() {
        assert_eq!(FargatePlatform::parse("LINUX/X86_64"), Ok(LinuxX86));
        assert_eq!(FargatePlatform::parse("LINUX/ARM64"), Ok(LinuxArm64));
        assert_eq!(FargatePlatform::parse("LINUX"), Ok(LinuxX86));
        assert_eq!(
            FargatePlatform::parse("WINDOWS_SERVER_2019_FULL"),
            Ok(Windows)
        );
        assert_eq!(
            FargatePlatform::parse("WINDOWS_SERVER_2019_FULL/X86_64"),
            Ok(Windows)
        );
        assert!(FargatePlatform::parse("WINDOWS_SERVER_2019_FULL/ARM64").is_err());
        assert!(FargatePlatform::parse("solaris").is_err());
        for p in FargatePlatform::ALL {
            assert_eq!(FargatePlatform::parse(p.as_str()), Ok(p));
            assert_eq!(p.to_string(), p.as_str());
        }
        let names: Vec<_> = FargatePlatform::ALL.iter().map(|p| p.as_str()).collect();
        assert_eq!(names, ["linux_x86", "linux_arm64", "windows_x86"]);
        // ECS-MODEL F3, as amended by the ECS API reference
        // (CapacityProviderStrategyItem: "FARGATE_SPOT supports Linux tasks
        // with the ARM64 architecture on platform version 1.4.0 or later"):
        // Linux x86_64 and ARM64, not Windows.
        let spot: Vec<_> = FargatePlatform::ALL.map(|p| p.supports_spot()).to_vec();
        assert_eq!(spot, [true, true, false]);
    }

    #[test]
    fn describe_gb_forms() {
        assert_eq!(describe_gb(&[2048]), "2 GB");
        assert_eq!(describe_gb(&[512, 1024]), "0.5 or 1 GB");
        assert_eq!(describe_gb(&[512, 1024, 2048]), "0.5, 1 or 2 GB");
        assert_eq!(
            describe_gb(&[16384, 20480, 24576]),
            "16–24 GB in 4 GB steps"
        );
    }

    #[test]
    fn from_csv_errors() {
        let bad = |text: &str| match FargateSizes::from_csv(text) {
            Err(FargateSizesError::Malformed { line, message }) => (line, message),
            Ok(s) => panic!("parsed {} sizes", s.sizes().len()),
        };
        let (line, msg) = bad("cpu_units,memory_mib\n");
        assert_eq!(line, 1);
        assert!(msg.contains("os_supported"), "{msg}");
        let (line, msg) = bad("cpu_units,memory_mib,os_supported\n256,0,linux\n");
        assert_eq!(line, 2);
        assert!(msg.contains("memory_mib"), "{msg}");
        let (_, msg) = bad("cpu_units,memory_mib,os_supported\n256,512,linux;macos\n");
        assert!(msg.contains("unknown OS `macos`"), "{msg}");
        let (line, msg) = bad("cpu_units,memory_mib,os_supported\n256,512,linux\n256,512,linux\n");
        assert_eq!(line, 3);
        assert!(msg.contains("duplicate"), "{msg}");
        // Columns by name, any order; rows sorted.
        let s = FargateSizes::from_csv(
            "os_supported,memory_mib,cpu_units\nlinux,2048,512\nlinux;windows,1024,512\n",
        )
        .expect("valid");
        assert_eq!(s.memory_values(512, LinuxX86), [1024, 2048]);
        assert_eq!(s.memory_values(512, Windows), [1024]);
    }
}
