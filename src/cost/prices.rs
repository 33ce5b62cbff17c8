//! Prices the cost model charges (ECS-MODEL B1, B2): Fargate rates per
//! platform and region, the Fargate Spot discount, the EBS volume price and
//! the free ephemeral storage.
//!
//! This module owns [`PriceBook`], built for one region from the embedded
//! `data/fargate_prices.csv` ([`PriceBook::builtin`]; provenance in
//! `data/SOURCES.md`) and overridable field by field by a scenario, and
//! [`FargateRates`], the rates one Fargate task is billed at.
//!
//! A price the data lacks is never guessed from another region or platform:
//! asking for it is a [`PriceError::Missing`] naming the region, platform and
//! dimension, so a scenario must state it. EC2 on-demand prices come from the
//! instance catalogue (`crate::model::catalog`) and spot prices from
//! `crate::market`, not from here.
//!
//! Plain data: it must only depend on `crate::market` (platform names) and
//! `crate::text`, never on the engine, scenario or output modules. Its only
//! I/O is the data embedded at compile time.

use crate::csvdata::{CsvProblem, CsvTable};
use std::collections::BTreeMap;
use std::fmt;
use std::sync::OnceLock;

use crate::market::fargate::FargatePlatform;
use crate::text::closest;

/// Default Fargate Spot discount from on-demand, percent (ECS-MODEL B2).
pub const DEFAULT_FARGATE_SPOT_DISCOUNT_PCT: f64 = 70.0;
/// Default EBS volume price, USD per GB-month: gp3 in us-east-1 (AWS list
/// price; B1's optional root-volume cost).
pub const DEFAULT_EBS_USD_PER_GB_MONTH: f64 = 0.08;
/// Ephemeral storage every Fargate task gets without charge, GB (B2).
pub const DEFAULT_FREE_EPHEMERAL_GB: f64 = 20.0;

/// The rates one Fargate task is billed at, USD per hour (ECS-MODEL B2).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FargateRates {
    /// USD per vCPU-hour.
    pub vcpu_hour: f64,
    /// USD per GB-hour of memory.
    pub gb_hour: f64,
    /// Operating-system licence, USD per vCPU-hour, added to `vcpu_hour`
    /// (Windows; 0 on Linux).
    pub os_license_vcpu_hour: f64,
    /// Ephemeral storage above the free amount, USD per GB-hour.
    pub storage_gb_hour: f64,
}

/// One priced dimension of Fargate, as named in `data/fargate_prices.csv`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FargateDimension {
    /// `vcpu_hour`: USD per vCPU-hour.
    VcpuHour,
    /// `memory_gb_hour`: USD per GB-hour.
    MemoryGbHour,
    /// `os_license_vcpu_hour`: OS licence, USD per vCPU-hour (Windows).
    OsLicenseVcpuHour,
    /// `ephemeral_storage_gb_hour`: USD per GB-hour above the free storage;
    /// one rate for all platforms (`any` in the data).
    EphemeralStorageGbHour,
}

impl FargateDimension {
    /// All dimensions, in order.
    pub const ALL: [FargateDimension; 4] = [
        FargateDimension::VcpuHour,
        FargateDimension::MemoryGbHour,
        FargateDimension::OsLicenseVcpuHour,
        FargateDimension::EphemeralStorageGbHour,
    ];

    /// The name in `data/fargate_prices.csv`.
    pub fn as_str(self) -> &'static str {
        match self {
            FargateDimension::VcpuHour => "vcpu_hour",
            FargateDimension::MemoryGbHour => "memory_gb_hour",
            FargateDimension::OsLicenseVcpuHour => "os_license_vcpu_hour",
            FargateDimension::EphemeralStorageGbHour => "ephemeral_storage_gb_hour",
        }
    }

    /// The dimension named `name` (exact), if any.
    pub fn parse(name: &str) -> Option<FargateDimension> {
        FargateDimension::ALL
            .into_iter()
            .find(|d| d.as_str() == name)
    }
}

impl fmt::Display for FargateDimension {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Error building or reading a [`PriceBook`].
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PriceError {
    /// The price CSV is malformed at `line` (1-based; the header is line 1;
    /// 0 when the position is unknown).
    #[error("line {line}: {message}")]
    Malformed {
        /// 1-based line in the CSV text.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// The price data has no row at all for the region.
    #[error("no Fargate prices for region `{region}`{hint}; regions with prices: {known}")]
    UnknownRegion {
        /// The region asked for.
        region: String,
        /// `" (did you mean `x`?)"` or empty.
        hint: String,
        /// The regions the data covers, comma-separated.
        known: String,
    },
    /// A price needed is absent for the region and platform.
    #[error(
        "no {capacity_provider} price for {platform} {dimension} in {region}; \
         set it in the scenario's prices"
    )]
    Missing {
        /// The region of the price book.
        region: String,
        /// `linux_x86`, `linux_arm64`, `windows_x86`, or `any` for storage.
        platform: &'static str,
        /// `FARGATE` or `FARGATE_SPOT`.
        capacity_provider: &'static str,
        /// The dimension, e.g. `vcpu_hour`.
        dimension: &'static str,
    },
    /// Fargate Spot was asked for a platform it does not serve (ECS-MODEL F3).
    #[error("Fargate Spot runs Linux tasks only (x86_64 or ARM64), not {platform}")]
    SpotUnsupported {
        /// The platform asked for.
        platform: &'static str,
    },
    /// A price or parameter is out of range.
    #[error("{what} = {value} is invalid: expected {expected}")]
    InvalidValue {
        /// What the value is, e.g. `fargate_spot_discount_pct`.
        what: String,
        /// The value given.
        value: f64,
        /// The valid range.
        expected: &'static str,
    },
}

/// The embedded price data (see `data/SOURCES.md`).
const BUILTIN_CSV: &str = include_str!("../../data/fargate_prices.csv");
/// Rates missing from [`BUILTIN_CSV`], in its format: Linux ARM in Tokyo
/// and Seoul, transcribed from quotes of the AWS Price List (weak
/// provenance: see `data/SOURCES.md`).
const ADDITIONS_CSV: &str = include_str!("../../data/fargate_prices_additions.csv");

/// Rows of one region: per (platform, dimension) the FARGATE and the
/// FARGATE_SPOT rate, and the platform-independent storage rate.
#[derive(Debug, Clone, Default, PartialEq)]
struct RegionPrices {
    on_demand: BTreeMap<(FargatePlatform, FargateDimension), f64>,
    spot_snapshot: BTreeMap<(FargatePlatform, FargateDimension), f64>,
    storage_gb_hour: Option<f64>,
}

/// The price data of every region, by region name.
type PriceTable = BTreeMap<String, RegionPrices>;

fn builtin_table() -> &'static PriceTable {
    static BUILTIN: OnceLock<PriceTable> = OnceLock::new();
    BUILTIN.get_or_init(|| {
        // The additions share the header; their rows follow the main file's.
        let rows = ADDITIONS_CSV.split_once('\n').map_or("", |(_, rows)| rows);
        parse_table(&format!("{BUILTIN_CSV}{rows}"))
            .expect("embedded data/fargate_prices*.csv is malformed (see its unit test)")
    })
}

/// The prices of one region (ECS-MODEL B1, B2).
///
/// Built from the embedded data by [`PriceBook::builtin`]; every price can
/// be overridden ([`PriceBook::set_fargate_rate`] and the public fields).
#[derive(Debug, Clone, PartialEq)]
pub struct PriceBook {
    region: String,
    prices: RegionPrices,
    /// Fargate Spot discount from on-demand, percent, in [0, 100] (default
    /// 70, ECS-MODEL B2): Fargate Spot vCPU, memory and licence rates are
    /// on-demand × (1 − discount / 100). Storage is charged at the
    /// on-demand rate (model choice: AWS does not publish a separate Spot
    /// storage rate).
    pub fargate_spot_discount_pct: f64,
    /// EBS volume price, USD per GB-month (default 0.08: gp3 in us-east-1),
    /// for the optional root-volume cost of EC2 instances (B1).
    pub ebs_usd_per_gb_month: f64,
    /// Ephemeral storage a Fargate task gets without charge, GB (default 20, B2).
    pub free_ephemeral_gb: f64,
}

impl PriceBook {
    /// The embedded prices of `region` (e.g. `"us-east-1"`), with the
    /// default Spot discount, EBS price and free storage.
    ///
    /// An unknown region is an error listing the regions with prices. A
    /// known region may still lack some platforms' rows (only us-east-1 and
    /// eu-west-1 have ARM, Windows and storage prices); asking
    /// [`fargate_rates`](PriceBook::fargate_rates) for them is an error.
    pub fn builtin(region: &str) -> Result<PriceBook, PriceError> {
        // A scenario is in one region: only its rows are parsed (the unit
        // tests check the whole embedded table, which an unknown region's
        // message lists).
        let header = BUILTIN_CSV.split_once('\n').map_or("", |(h, _)| h);
        let mut text = format!("{header}\n");
        let mut found = false;
        for file in [BUILTIN_CSV, ADDITIONS_CSV] {
            for line in file.lines().skip(1) {
                if line.split(',').next() == Some(region) {
                    text.push_str(line);
                    text.push('\n');
                    found = true;
                }
            }
        }
        if !found {
            return PriceBook::for_region(builtin_table(), region);
        }
        PriceBook::from_csv(&text, region)
    }

    /// A book for `region` with no Fargate rate at all (a region the data
    /// does not cover), the default Spot discount, EBS price and free
    /// storage: every rate must then come from the scenario.
    pub fn empty(region: &str) -> PriceBook {
        PriceBook {
            region: region.to_string(),
            prices: RegionPrices::default(),
            fargate_spot_discount_pct: DEFAULT_FARGATE_SPOT_DISCOUNT_PCT,
            ebs_usd_per_gb_month: DEFAULT_EBS_USD_PER_GB_MONTH,
            free_ephemeral_gb: DEFAULT_FREE_EPHEMERAL_GB,
        }
    }

    /// The regions the embedded data has prices for, in name order.
    pub fn builtin_regions() -> impl Iterator<Item = &'static str> {
        builtin_table().keys().map(String::as_str)
    }

    /// The prices of `region` from price CSV text in the format of
    /// `data/fargate_prices.csv` (columns by name: `region`, `platform`
    /// (`linux_x86`, `linux_arm64`, `windows_x86`, or `any` for storage),
    /// `capacity_provider` (`FARGATE` or `FARGATE_SPOT`), `dimension`,
    /// `usd` (finite, ≥ 0); other columns are ignored). A repeated
    /// (region, platform, capacity provider, dimension) is an error.
    pub fn from_csv(text: &str, region: &str) -> Result<PriceBook, PriceError> {
        PriceBook::for_region(&parse_table(text)?, region)
    }

    fn for_region(table: &PriceTable, region: &str) -> Result<PriceBook, PriceError> {
        let Some(prices) = table.get(region) else {
            let hint = closest(region, table.keys().map(String::as_str))
                .map(|c| format!(" (did you mean `{c}`?)"))
                .unwrap_or_default();
            return Err(PriceError::UnknownRegion {
                region: region.to_string(),
                hint,
                known: table.keys().cloned().collect::<Vec<_>>().join(", "),
            });
        };
        Ok(PriceBook {
            region: region.to_string(),
            prices: prices.clone(),
            fargate_spot_discount_pct: DEFAULT_FARGATE_SPOT_DISCOUNT_PCT,
            ebs_usd_per_gb_month: DEFAULT_EBS_USD_PER_GB_MONTH,
            free_ephemeral_gb: DEFAULT_FREE_EPHEMERAL_GB,
        })
    }

    /// The region the prices are for.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// The on-demand (FARGATE) rate of `dimension` for `platform`, USD per
    /// hour, if the book has one. The storage rate is the same for every
    /// platform.
    pub fn fargate_rate(
        &self,
        platform: FargatePlatform,
        dimension: FargateDimension,
    ) -> Option<f64> {
        match dimension {
            FargateDimension::EphemeralStorageGbHour => self.prices.storage_gb_hour,
            _ => self.prices.on_demand.get(&(platform, dimension)).copied(),
        }
    }

    /// Overrides the on-demand (FARGATE) rate of `dimension` for
    /// `platform` with `usd_per_hour` (finite, ≥ 0). Setting the storage
    /// rate sets it for every platform.
    pub fn set_fargate_rate(
        &mut self,
        platform: FargatePlatform,
        dimension: FargateDimension,
        usd_per_hour: f64,
    ) -> Result<(), PriceError> {
        if !usd_per_hour.is_finite() || usd_per_hour < 0.0 {
            return Err(PriceError::InvalidValue {
                what: format!("Fargate {platform} {dimension}"),
                value: usd_per_hour,
                expected: "a finite price >= 0 (USD per hour)",
            });
        }
        match dimension {
            FargateDimension::EphemeralStorageGbHour => {
                self.prices.storage_gb_hour = Some(usd_per_hour)
            }
            _ => {
                self.prices
                    .on_demand
                    .insert((platform, dimension), usd_per_hour);
            }
        }
        Ok(())
    }

    /// ECS-MODEL B2: the rates a Fargate task of `platform` is billed at, on
    /// FARGATE (`spot = false`) or FARGATE_SPOT (`spot = true`).
    ///
    /// On-demand: the book's vCPU, memory and storage rates and, for
    /// Windows, the OS licence (Linux has no licence fee, so a missing Linux
    /// licence row counts as 0). Spot: the vCPU, memory and licence rates
    /// times `1 − fargate_spot_discount_pct / 100`, storage unchanged;
    /// Linux only, x86_64 or ARM64 (F3, see
    /// [`FargatePlatform::supports_spot`]). The data has no Fargate Spot
    /// ARM64 rate, so ARM64 Spot is, like x86, the ARM64 on-demand rate less
    /// the discount (model choice). A missing rate is an error naming region,
    /// platform and dimension; no other region or platform stands in.
    pub fn fargate_rates(
        &self,
        platform: FargatePlatform,
        spot: bool,
    ) -> Result<FargateRates, PriceError> {
        if spot && !platform.supports_spot() {
            return Err(PriceError::SpotUnsupported {
                platform: platform.as_str(),
            });
        }
        let need = |dimension: FargateDimension| {
            self.fargate_rate(platform, dimension)
                .ok_or_else(|| self.missing("FARGATE", platform, dimension))
        };
        let os_license_vcpu_hour = match platform {
            FargatePlatform::Windows => need(FargateDimension::OsLicenseVcpuHour)?,
            FargatePlatform::LinuxX86 | FargatePlatform::LinuxArm64 => self
                .fargate_rate(platform, FargateDimension::OsLicenseVcpuHour)
                .unwrap_or(0.0),
        };
        let on_demand = FargateRates {
            vcpu_hour: need(FargateDimension::VcpuHour)?,
            gb_hour: need(FargateDimension::MemoryGbHour)?,
            os_license_vcpu_hour,
            storage_gb_hour: need(FargateDimension::EphemeralStorageGbHour)?,
        };
        if !spot {
            return Ok(on_demand);
        }
        let d = self.fargate_spot_discount_pct;
        if !(0.0..=100.0).contains(&d) {
            return Err(PriceError::InvalidValue {
                what: "fargate_spot_discount_pct".to_string(),
                value: d,
                expected: "a percentage in 0..=100",
            });
        }
        let keep = 1.0 - d / 100.0;
        Ok(FargateRates {
            vcpu_hour: on_demand.vcpu_hour * keep,
            gb_hour: on_demand.gb_hour * keep,
            os_license_vcpu_hour: on_demand.os_license_vcpu_hour * keep,
            storage_gb_hour: on_demand.storage_gb_hour,
        })
    }

    /// The FARGATE_SPOT rates the data recorded for `platform` (a floating
    /// price, kept as a snapshot: see `data/SOURCES.md`), with the on-demand
    /// storage rate. [`fargate_rates`](PriceBook::fargate_rates) uses the
    /// discount instead; this is for scenarios that prefer the snapshot.
    pub fn fargate_spot_snapshot(
        &self,
        platform: FargatePlatform,
    ) -> Result<FargateRates, PriceError> {
        if !platform.supports_spot() {
            return Err(PriceError::SpotUnsupported {
                platform: platform.as_str(),
            });
        }
        let need = |dimension: FargateDimension| {
            self.prices
                .spot_snapshot
                .get(&(platform, dimension))
                .copied()
                .ok_or_else(|| self.missing("FARGATE_SPOT", platform, dimension))
        };
        Ok(FargateRates {
            vcpu_hour: need(FargateDimension::VcpuHour)?,
            gb_hour: need(FargateDimension::MemoryGbHour)?,
            os_license_vcpu_hour: 0.0,
            storage_gb_hour: self
                .fargate_rate(platform, FargateDimension::EphemeralStorageGbHour)
                .ok_or_else(|| {
                    self.missing(
                        "FARGATE",
                        platform,
                        FargateDimension::EphemeralStorageGbHour,
                    )
                })?,
        })
    }

    fn missing(
        &self,
        capacity_provider: &'static str,
        platform: FargatePlatform,
        dimension: FargateDimension,
    ) -> PriceError {
        PriceError::Missing {
            region: self.region.clone(),
            platform: match dimension {
                FargateDimension::EphemeralStorageGbHour => "any",
                _ => platform.as_str(),
            },
            capacity_provider,
            dimension: dimension.as_str(),
        }
    }
}

fn parse_table(text: &str) -> Result<PriceTable, PriceError> {
    let csv = CsvTable::parse(text)?;
    let find = |column: &str| csv.column(column);
    let region_col = find("region")?;
    let platform_col = find("platform")?;
    let provider_col = find("capacity_provider")?;
    let dimension_col = find("dimension")?;
    let usd_col = find("usd")?;

    let mut table = PriceTable::new();
    for (line, record) in csv.rows() {
        let error = |message: String| PriceError::Malformed { line, message };
        let cell = |index: usize| record.get(index).unwrap_or("");
        let region = cell(region_col);
        if region.is_empty() {
            return Err(error("column `region` must not be empty".to_string()));
        }
        let dimension = FargateDimension::parse(cell(dimension_col)).ok_or_else(|| {
            error(format!(
                "column `dimension`: unknown `{}` (expected one of {})",
                cell(dimension_col),
                FargateDimension::ALL
                    .map(FargateDimension::as_str)
                    .join(", ")
            ))
        })?;
        let spot = match cell(provider_col) {
            "FARGATE" => false,
            "FARGATE_SPOT" => true,
            other => {
                return Err(error(format!(
                    "column `capacity_provider`: unknown `{other}` (expected `FARGATE` or `FARGATE_SPOT`)"
                )))
            }
        };
        let usd = cell(usd_col)
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite() && *v >= 0.0)
            .ok_or_else(|| {
                error(format!(
                    "column `usd`: `{}` is not a number >= 0",
                    cell(usd_col)
                ))
            })?;
        let platform_name = cell(platform_col);
        let prices = table.entry(region.to_string()).or_default();
        let duplicate = || {
            error(format!(
                "duplicate price for {region} {platform_name} {} {dimension}",
                cell(provider_col)
            ))
        };
        if dimension == FargateDimension::EphemeralStorageGbHour {
            if platform_name != "any" || spot {
                return Err(error(
                    "ephemeral_storage_gb_hour is one FARGATE rate for all platforms: \
                     expected platform `any` and capacity_provider `FARGATE`"
                        .to_string(),
                ));
            }
            if prices.storage_gb_hour.replace(usd).is_some() {
                return Err(duplicate());
            }
            continue;
        }
        let platform = FargatePlatform::ALL
            .into_iter()
            .find(|p| p.as_str() == platform_name)
            .ok_or_else(|| {
                error(format!(
                    "column `platform`: unknown `{platform_name}` for {dimension} \
                     (expected `linux_x86`, `linux_arm64` or `windows_x86`)"
                ))
            })?;
        let map = if spot {
            &mut prices.spot_snapshot
        } else {
            &mut prices.on_demand
        };
        if map.insert((platform, dimension), usd).is_some() {
            return Err(duplicate());
        }
    }
    Ok(table)
}

impl From<CsvProblem> for PriceError {
    fn from(p: CsvProblem) -> Self {
        PriceError::Malformed {
            line: p.line,
            message: p.message,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::fargate::{RANK_MICRO_USD_PER_GB_HOUR, RANK_MICRO_USD_PER_VCPU_HOUR};
    use FargatePlatform::{LinuxArm64, LinuxX86, Windows};

    fn book(region: &str) -> PriceBook {
        match PriceBook::builtin(region) {
            Ok(b) => b,
            Err(e) => panic!("{region}: {e}"),
        }
    }

    fn rates(b: &PriceBook, p: FargatePlatform, spot: bool) -> FargateRates {
        match b.fargate_rates(p, spot) {
            Ok(r) => r,
            Err(e) => panic!("{p} spot={spot}: {e}"),
        }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn a_region_read_alone_has_the_prices_of_the_whole_table() {
        // B1, B2: the rows of one region, parsed on their own, give the
        // book the whole table gives, for every region of the data.
        for region in PriceBook::builtin_regions() {
            let whole = PriceBook::for_region(builtin_table(), region);
            assert_eq!(PriceBook::builtin(region).ok(), whole.ok(), "{region}");
        }
        assert_eq!(
            PriceBook::builtin("ap-northeast-2").ok().and_then(
                |b| b.fargate_rate(FargatePlatform::LinuxArm64, FargateDimension::VcpuHour)
            ),
            Some(0.03725)
        );
    }

    #[test]
    fn builtin_loads_every_row() {
        // 22 regions × 4 Linux x86 rows (S1) + 2 × 6 ARM/Windows/storage rows
        // (S2 us-east-1, S3 eu-west-1) = 100 rows, and the 4 Linux ARM rows
        // of Tokyo and Seoul (S4, data/fargate_prices_additions.csv).
        let table = builtin_table();
        assert_eq!(table.len(), 22);
        let rows: usize = table
            .values()
            .map(|r| {
                r.on_demand.len() + r.spot_snapshot.len() + usize::from(r.storage_gb_hour.is_some())
            })
            .sum();
        assert_eq!(rows, 104);
        assert_eq!(
            rows,
            BUILTIN_CSV.lines().count() - 1 + ADDITIONS_CSV.lines().count() - 1
        );
        assert_eq!(PriceBook::builtin_regions().count(), 22);
        assert!(PriceBook::builtin_regions().any(|r| r == "eu-west-1"));
    }

    #[test]
    fn us_east_1_gives_the_b2_numbers_exactly() {
        // ECS-MODEL B2 us-east-1 defaults, to the last digit.
        let b = book("us-east-1");
        assert_eq!(b.region(), "us-east-1");
        assert_eq!(
            rates(&b, LinuxX86, false),
            FargateRates {
                vcpu_hour: 0.04048,
                gb_hour: 0.004445,
                os_license_vcpu_hour: 0.0,
                storage_gb_hour: 0.000111,
            }
        );
        assert_eq!(
            rates(&b, LinuxArm64, false),
            FargateRates {
                vcpu_hour: 0.03238,
                gb_hour: 0.00356,
                os_license_vcpu_hour: 0.0,
                storage_gb_hour: 0.000111,
            }
        );
        assert_eq!(
            rates(&b, Windows, false),
            FargateRates {
                vcpu_hour: 0.09148,
                gb_hour: 0.01005,
                os_license_vcpu_hour: 0.046,
                storage_gb_hour: 0.000111,
            }
        );
        assert_eq!(b.fargate_spot_discount_pct, 70.0);
        assert_eq!(b.ebs_usd_per_gb_month, 0.08);
        assert_eq!(b.free_ephemeral_gb, 20.0);
    }

    #[test]
    fn seoul_has_x86_and_the_added_arm_rates_but_no_storage_rate() {
        // S1 x86 (0.04656, 0.00511) and S4 ARM (0.03725, 0.00409), Seoul.
        let b = book("ap-northeast-2");
        let od = |p, d| b.fargate_rate(p, d);
        assert_eq!(od(LinuxX86, FargateDimension::VcpuHour), Some(0.04656));
        assert_eq!(od(LinuxX86, FargateDimension::MemoryGbHour), Some(0.00511));
        assert_eq!(od(LinuxArm64, FargateDimension::VcpuHour), Some(0.03725));
        assert_eq!(
            od(LinuxArm64, FargateDimension::MemoryGbHour),
            Some(0.00409)
        );
        assert_eq!(od(LinuxX86, FargateDimension::EphemeralStorageGbHour), None);
        assert!(b.fargate_rates(Windows, false).is_err());
    }

    #[test]
    fn size_ranking_uses_the_us_east_1_linux_rates() {
        // market::fargate ranks sizes with these rates in millionths of a USD.
        let r = rates(&book("us-east-1"), LinuxX86, false);
        assert_eq!(RANK_MICRO_USD_PER_VCPU_HOUR as f64 / 1e6, r.vcpu_hour);
        assert_eq!(RANK_MICRO_USD_PER_GB_HOUR as f64 / 1e6, r.gb_hour);
    }

    #[test]
    fn spot_is_the_discount_off_on_demand() {
        // B2: 70 % off → 0.04048 × 0.3 = 0.012144 per vCPU-h,
        // 0.004445 × 0.3 = 0.0013335 per GB-h; storage stays 0.000111.
        let mut b = book("us-east-1");
        let s = rates(&b, LinuxX86, true);
        assert!(close(s.vcpu_hour, 0.012144), "{s:?}");
        assert!(close(s.gb_hour, 0.0013335), "{s:?}");
        assert_eq!(s.os_license_vcpu_hour, 0.0);
        assert_eq!(s.storage_gb_hour, 0.000111);
        // 50 % → half.
        b.fargate_spot_discount_pct = 50.0;
        assert!(close(rates(&b, LinuxX86, true).vcpu_hour, 0.02024));
        b.fargate_spot_discount_pct = 120.0;
        assert!(matches!(
            b.fargate_rates(LinuxX86, true),
            Err(PriceError::InvalidValue { .. })
        ));
    }

    #[test]
    fn spot_on_linux_x86_and_arm64_not_windows() {
        // ECS-MODEL F3, as amended by the ECS API reference
        // (CapacityProviderStrategyItem: "FARGATE_SPOT supports Linux tasks
        // with the ARM64 architecture on platform version 1.4.0 or later").
        let mut b = book("us-east-1");
        let e = b.fargate_rates(Windows, true).unwrap_err();
        assert_eq!(
            e,
            PriceError::SpotUnsupported {
                platform: Windows.as_str()
            }
        );
        assert!(b.fargate_spot_snapshot(Windows).is_err());
        assert_eq!(
            e.to_string(),
            "Fargate Spot runs Linux tasks only (x86_64 or ARM64), not windows_x86"
        );
        // B2: no ARM64 Spot rate in the data, so the ARM64 on-demand rate
        // less the discount: 0.03238 × 0.3 = 0.009714 per vCPU-h,
        // 0.00356 × 0.3 = 0.001068 per GB-h; storage stays 0.000111.
        let s = rates(&b, LinuxArm64, true);
        assert!(close(s.vcpu_hour, 0.009714), "{s:?}");
        assert!(close(s.gb_hour, 0.001068), "{s:?}");
        assert_eq!(s.os_license_vcpu_hour, 0.0);
        assert_eq!(s.storage_gb_hour, 0.000111);
        b.fargate_spot_discount_pct = 50.0;
        assert!(close(rates(&b, LinuxArm64, true).vcpu_hour, 0.01619));
        // The data records no ARM64 Spot snapshot: asking for it names the row.
        assert!(matches!(
            b.fargate_spot_snapshot(LinuxArm64),
            Err(PriceError::Missing { .. })
        ));
    }

    #[test]
    fn spot_snapshot_rows() {
        // us-east-1,linux_x86,FARGATE_SPOT,vcpu_hour,0.01264355 and
        // memory_gb_hour,0.00138835 (S1, January 2021): 68.8 % off.
        let snap = book("us-east-1")
            .fargate_spot_snapshot(LinuxX86)
            .expect("snapshot");
        assert_eq!(snap.vcpu_hour, 0.01264355);
        assert_eq!(snap.gb_hour, 0.00138835);
        assert_eq!(snap.storage_gb_hour, 0.000111);
        // af-south-1 has a snapshot but no storage row.
        let e = book("af-south-1")
            .fargate_spot_snapshot(LinuxX86)
            .unwrap_err();
        assert!(e.to_string().contains("ephemeral_storage_gb_hour"), "{e}");
    }

    #[test]
    fn eu_west_1_storage_differs() {
        // S3: eu-west-1 storage 0.000122; the x86 rates are S1's.
        let r = rates(&book("eu-west-1"), LinuxX86, false);
        assert_eq!(r.storage_gb_hour, 0.000122);
        assert_eq!(
            rates(&book("eu-west-1"), Windows, false).os_license_vcpu_hour,
            0.046
        );
    }

    #[test]
    fn missing_rows_are_errors_not_fallbacks() {
        // af-south-1 has only Linux x86 rows: no ARM price, no storage price.
        let b = book("af-south-1");
        assert_eq!(
            b.fargate_rate(LinuxX86, FargateDimension::VcpuHour),
            Some(0.0546)
        );
        let e = b.fargate_rates(LinuxArm64, false).unwrap_err();
        assert_eq!(
            e,
            PriceError::Missing {
                region: "af-south-1".to_string(),
                platform: "linux_arm64",
                capacity_provider: "FARGATE",
                dimension: "vcpu_hour",
            }
        );
        assert_eq!(
            e.to_string(),
            "no FARGATE price for linux_arm64 vcpu_hour in af-south-1; \
             set it in the scenario's prices"
        );
        let e = b.fargate_rates(LinuxX86, false).unwrap_err();
        assert!(
            e.to_string()
                .contains("no FARGATE price for any ephemeral_storage_gb_hour in af-south-1"),
            "{e}"
        );
    }

    #[test]
    fn overrides_fill_and_replace_prices() {
        let mut b = book("af-south-1");
        b.set_fargate_rate(LinuxX86, FargateDimension::EphemeralStorageGbHour, 0.00015)
            .expect("valid");
        let r = rates(&b, LinuxX86, false);
        assert_eq!(r.vcpu_hour, 0.0546);
        assert_eq!(r.storage_gb_hour, 0.00015);
        // Storage is shared by all platforms.
        assert_eq!(
            b.fargate_rate(Windows, FargateDimension::EphemeralStorageGbHour),
            Some(0.00015)
        );
        b.set_fargate_rate(Windows, FargateDimension::VcpuHour, 0.1)
            .expect("valid");
        b.set_fargate_rate(Windows, FargateDimension::MemoryGbHour, 0.01)
            .expect("valid");
        // Windows still needs its licence.
        let e = b.fargate_rates(Windows, false).unwrap_err();
        assert!(e.to_string().contains("os_license_vcpu_hour"), "{e}");
        b.set_fargate_rate(Windows, FargateDimension::OsLicenseVcpuHour, 0.05)
            .expect("valid");
        assert_eq!(rates(&b, Windows, false).os_license_vcpu_hour, 0.05);
        for bad in [-0.1, f64::NAN, f64::INFINITY] {
            assert!(b
                .set_fargate_rate(LinuxX86, FargateDimension::VcpuHour, bad)
                .is_err());
        }
    }

    #[test]
    fn unknown_region_suggests_and_lists() {
        let e = PriceBook::builtin("us-east-l").unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.starts_with("no Fargate prices for region `us-east-l` (did you mean `us-east-1`?)"),
            "{msg}"
        );
        assert!(msg.contains("af-south-1, ap-east-1"), "{msg}");
        let e = PriceBook::builtin("mars-north-9").unwrap_err();
        assert!(!e.to_string().contains("did you mean"), "{e}");
    }

    #[test]
    fn from_csv_errors() {
        const HEADER: &str = "region,platform,capacity_provider,dimension,usd";
        let bad = |rows: &str| match PriceBook::from_csv(&format!("{HEADER}\n{rows}"), "r") {
            Err(PriceError::Malformed { line, message }) => (line, message),
            other => panic!("expected a malformed-CSV error, got {other:?}"),
        };
        let (line, msg) = bad("r,linux_x86,FARGATE,cpu_hour,0.1\n");
        assert_eq!(line, 2);
        assert!(msg.contains("unknown `cpu_hour`"), "{msg}");
        let (_, msg) = bad("r,linux_x86,EC2,vcpu_hour,0.1\n");
        assert!(msg.contains("capacity_provider"), "{msg}");
        let (_, msg) = bad("r,linux_x86,FARGATE,vcpu_hour,-1\n");
        assert!(msg.contains("column `usd`"), "{msg}");
        let (_, msg) = bad("r,any,FARGATE,vcpu_hour,0.1\n");
        assert!(msg.contains("unknown `any`"), "{msg}");
        let (_, msg) = bad("r,linux_x86,FARGATE,ephemeral_storage_gb_hour,0.1\n");
        assert!(msg.contains("platform `any`"), "{msg}");
        let (line, msg) =
            bad("r,linux_x86,FARGATE,vcpu_hour,0.1\nr,linux_x86,FARGATE,vcpu_hour,0.2\n");
        assert_eq!(line, 3);
        assert!(msg.contains("duplicate"), "{msg}");
        let (line, msg) = match PriceBook::from_csv("region,usd\n", "r") {
            Err(PriceError::Malformed { line, message }) => (line, message),
            other => panic!("{other:?}"),
        };
        assert_eq!(line, 1);
        assert!(msg.contains("missing column `platform`"), "{msg}");
        // A valid text, columns in any order.
        let b = PriceBook::from_csv(
            "usd,dimension,capacity_provider,platform,region\n0.5,vcpu_hour,FARGATE,linux_arm64,r\n",
            "r",
        )
        .expect("valid");
        assert_eq!(
            b.fargate_rate(LinuxArm64, FargateDimension::VcpuHour),
            Some(0.5)
        );
    }
}
