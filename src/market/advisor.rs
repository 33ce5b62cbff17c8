//! The Spot Instance Advisor data and the interruption-bucket arithmetic of
//! ECS-MODEL S1 and S2.
//!
//! This module owns:
//! - [`SpotAdvisor`]: per (region, instance type) the advisor's savings over
//!   on-demand and interruption-frequency bucket, Linux rows only, parsed
//!   from the embedded `data/spot_advisor.csv` (provenance in
//!   `data/SOURCES.md`): one region at a time, the first time it is asked
//!   for ([`SpotAdvisor::builtin_region`]), or every region at once
//!   ([`SpotAdvisor::builtin`]);
//! - the buckets: labels, default monthly frequencies ([`BUCKET_MIDPOINTS`])
//!   and the conversions between a monthly interruption frequency and a
//!   per-hour hazard ([`hazard_per_hour`], [`monthly_fraction`],
//!   [`bucket_of`]).
//!
//! Plain data plus arithmetic: it must only depend on `crate::model` (for
//! on-demand prices) and `crate::market::price`, never on the engine,
//! scenario or output modules.

use crate::csvdata::{CsvProblem, CsvTable};
use std::collections::BTreeMap;
use std::sync::{Mutex, OnceLock};

use crate::market::price::SpotPrice;
use crate::model::catalog::InstanceType;

/// Hours in a month, as AWS counts them for the advisor's monthly
/// frequencies and for monthly prices (365 × 24 / 12 = 730).
pub const HOURS_PER_MONTH: f64 = 730.0;

/// Default monthly interruption frequency of each advisor bucket (fraction
/// of instances interrupted per month), ECS-MODEL S2: the midpoints of
/// `<5%`, `5-10%`, `10-15%`, `15-20%`, and 25 % for `>20%`.
pub const BUCKET_MIDPOINTS: [f64; 5] = [0.025, 0.075, 0.125, 0.175, 0.25];

/// Labels of the advisor buckets 0–4, as the advisor shows them.
const BUCKET_LABELS: [&str; 5] = ["<5%", "5-10%", "10-15%", "15-20%", ">20%"];

/// The advisor's label of bucket `b` (`"<5%"`, `"5-10%"`, `"10-15%"`,
/// `"15-20%"`, `">20%"`); buckets above 4 are labelled `">20%"`.
pub fn bucket_label(b: u8) -> &'static str {
    BUCKET_LABELS[usize::from(b.min(4))]
}

/// ECS-MODEL S2: the per-instance hazard (expected interruptions per
/// instance-hour) that interrupts a fraction `monthly_fraction` of instances
/// within a month of [`HOURS_PER_MONTH`] hours: `λ = −ln(1 − f) / 730`.
///
/// `f` is a fraction in [0, 1), not a percentage. `f` ≤ 0 (and NaN) gives
/// 0 (never interrupted); `f` ≥ 1 gives `f64::INFINITY`.
pub fn hazard_per_hour(monthly_fraction: f64) -> f64 {
    let f = monthly_fraction;
    if f.is_nan() || f <= 0.0 {
        0.0
    } else if f >= 1.0 {
        f64::INFINITY
    } else {
        // ln_1p keeps precision for small f: −ln(1 − f) = −ln_1p(−f).
        -(-f).ln_1p() / HOURS_PER_MONTH
    }
}

/// The inverse of [`hazard_per_hour`]: the fraction of instances a hazard of
/// `hazard_per_hour` (interruptions per instance-hour) interrupts within a
/// month, `1 − exp(−λ × 730)`. Non-positive or NaN hazards give 0.
pub fn monthly_fraction(hazard_per_hour: f64) -> f64 {
    if hazard_per_hour.is_nan() || hazard_per_hour <= 0.0 {
        0.0
    } else {
        -(-hazard_per_hour * HOURS_PER_MONTH).exp_m1()
    }
}

/// The advisor bucket of a monthly interruption fraction (S2): `f` < 0.05 →
/// 0, < 0.10 → 1, < 0.15 → 2, < 0.20 → 3, otherwise (and NaN) 4. A value on
/// a bound belongs to the higher bucket.
pub fn bucket_of(monthly_fraction: f64) -> u8 {
    const UPPER: [f64; 4] = [0.05, 0.10, 0.15, 0.20];
    // NaN compares false everywhere and so lands in bucket 4.
    UPPER
        .iter()
        .position(|&upper| monthly_fraction < upper)
        .map_or(4, |b| b as u8)
}

/// The advisor bucket of a pool with hazard `hazard_per_hour`
/// (interruptions per instance-hour): [`bucket_of`] its [`monthly_fraction`].
pub fn bucket_of_hazard(hazard_per_hour: f64) -> u8 {
    bucket_of(monthly_fraction(hazard_per_hour))
}

/// One advisor row: what the advisor says about an instance type in a
/// region (ECS-MODEL S1, S2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AdvisorEntry {
    /// Savings of spot over on-demand, percent (≤ 100): the spot price is
    /// `on-demand × (1 − savings_pct / 100)`. Signed because the advisor
    /// publishes a few negative savings (spot above on-demand; in the
    /// embedded snapshot, p5.48xlarge in ca-central-1 at −62 %).
    pub savings_pct: i32,
    /// Interruption-frequency bucket, 0–4 (`<5%` … `>20%`, see [`bucket_label`]).
    pub bucket: u8,
}

impl AdvisorEntry {
    /// The default monthly interruption fraction of the entry's bucket
    /// ([`BUCKET_MIDPOINTS`]).
    pub fn monthly_fraction(&self) -> f64 {
        BUCKET_MIDPOINTS[usize::from(self.bucket.min(4))]
    }

    /// The default per-instance hazard of the entry's bucket, interruptions
    /// per instance-hour ([`hazard_per_hour`] of [`Self::monthly_fraction`]).
    pub fn hazard_per_hour(&self) -> f64 {
        hazard_per_hour(self.monthly_fraction())
    }

    /// The constant spot price implied by the savings, for an on-demand price
    /// in USD per hour (ECS-MODEL S1 default).
    pub fn spot_price(&self, on_demand_usd_per_hour: f64) -> SpotPrice {
        SpotPrice::Discount {
            on_demand_usd_per_hour,
            discount_pct: f64::from(self.savings_pct),
        }
    }
}

/// Error parsing Spot Advisor CSV text.
#[derive(Debug, thiserror::Error)]
pub enum AdvisorError {
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

/// The embedded advisor snapshot (see `data/SOURCES.md`).
const BUILTIN_CSV: &str = include_str!("../../data/spot_advisor.csv");

/// The header of advisor CSV `text` and its rows of `region` (see
/// [`crate::csvdata::rows_of`]: the embedded file is sorted by region).
fn region_rows(text: &str, region: &str) -> String {
    crate::csvdata::rows_of(text, "region", region)
}

/// Spot Instance Advisor data for Linux: region → instance type → entry,
/// in name order.
#[derive(Debug, Clone, Default)]
pub struct SpotAdvisor {
    regions: BTreeMap<String, BTreeMap<String, AdvisorEntry>>,
    len: usize,
}

impl SpotAdvisor {
    /// The embedded advisor snapshot (`data/spot_advisor.csv`, all regions,
    /// Linux rows only), parsed once.
    ///
    /// # Panics
    /// Only if the embedded file is malformed, which a unit test rules out.
    pub fn builtin() -> &'static SpotAdvisor {
        static BUILTIN: OnceLock<SpotAdvisor> = OnceLock::new();
        BUILTIN.get_or_init(|| {
            SpotAdvisor::from_csv(BUILTIN_CSV)
                .expect("embedded data/spot_advisor.csv is malformed (see its unit test)")
        })
    }

    /// The embedded advisor's Linux rows of `region` only, or `None` if the
    /// snapshot has none for it. Each region is parsed the first time it is
    /// asked for, from its own rows only: a scenario pays for the region it
    /// uses (about 1/33 of the file), not for all of them.
    ///
    /// # Panics
    /// Only if the embedded file is malformed, which a unit test rules out.
    pub fn builtin_region(region: &str) -> Option<&'static SpotAdvisor> {
        type Parsed = BTreeMap<String, Option<&'static SpotAdvisor>>;
        static PARSED: OnceLock<Mutex<Parsed>> = OnceLock::new();
        let parsed = PARSED.get_or_init(Default::default);
        let mut parsed = parsed.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(&found) = parsed.get(region) {
            return found;
        }
        let mut advisor = SpotAdvisor::from_csv(&region_rows(BUILTIN_CSV, region))
            .expect("embedded data/spot_advisor.csv is malformed (see its unit test)");
        // `region_rows` may give more than the region (the whole text).
        advisor.regions.retain(|r, _| r == region);
        advisor.len = advisor.regions.values().map(BTreeMap::len).sum();
        // At most one leaked advisor per region of the snapshot (a name it
        // does not have is kept as `None`, which holds nothing).
        let found = if advisor.is_empty() {
            None
        } else {
            Some(&*Box::leak(Box::new(advisor)))
        };
        parsed.insert(region.to_string(), found);
        found
    }

    /// Parses advisor CSV text with a header row, reading columns by name
    /// (order does not matter, unknown columns are ignored) and keeping only
    /// the rows whose `os` is `Linux`.
    ///
    /// Required columns: `region`, `os`, `instance_type`,
    /// `savings_vs_ondemand_pct` (integer ≤ 100, negative when spot costs
    /// more than on-demand) and `interruption_bucket`
    /// (integer 0–4). A second Linux row for the same region and type is an
    /// error.
    pub fn from_csv(text: &str) -> Result<SpotAdvisor, AdvisorError> {
        let table = CsvTable::parse(text)?;
        let find = |column: &str| table.column(column);
        let region_col = find("region")?;
        let os_col = find("os")?;
        let type_col = find("instance_type")?;
        let savings_col = find("savings_vs_ondemand_pct")?;
        let bucket_col = find("interruption_bucket")?;

        let mut advisor = SpotAdvisor::default();
        for (line, record) in table.rows() {
            let error = |message: String| AdvisorError::Malformed { line, message };
            let cell = |index: usize| record.get(index).unwrap_or("");
            if cell(os_col) != "Linux" {
                continue;
            }
            let region = cell(region_col);
            let instance_type = cell(type_col);
            if region.is_empty() || instance_type.is_empty() {
                return Err(error(
                    "columns `region` and `instance_type` must not be empty".to_string(),
                ));
            }
            let savings_pct = cell(savings_col)
                .parse::<i32>()
                .ok()
                .filter(|s| *s <= 100)
                .ok_or_else(|| {
                    error(format!(
                        "column `savings_vs_ondemand_pct`: `{}` is not an integer <= 100",
                        cell(savings_col)
                    ))
                })?;
            let bucket = cell(bucket_col)
                .parse::<u8>()
                .ok()
                .filter(|b| *b <= 4)
                .ok_or_else(|| {
                    error(format!(
                        "column `interruption_bucket`: `{}` is not an integer in 0..=4",
                        cell(bucket_col)
                    ))
                })?;
            let types = advisor.regions.entry(region.to_string()).or_default();
            if types.contains_key(instance_type) {
                return Err(error(format!(
                    "duplicate Linux row for `{instance_type}` in `{region}`"
                )));
            }
            types.insert(
                instance_type.to_string(),
                AdvisorEntry {
                    savings_pct,
                    bucket,
                },
            );
            advisor.len += 1;
        }
        Ok(advisor)
    }

    /// The entry for `instance_type` in `region` (exact, case-sensitive
    /// names, e.g. `"us-east-1"`, `"m6i.xlarge"`), if the advisor has one.
    pub fn get(&self, region: &str, instance_type: &str) -> Option<AdvisorEntry> {
        self.regions.get(region)?.get(instance_type).copied()
    }

    /// The default spot price of `instance_type` in `region` (ECS-MODEL S1):
    /// its catalogue on-demand price discounted by the advisor's savings.
    /// `None` when the advisor has no entry or the type has no on-demand
    /// price. The built-in catalogue's prices are us-east-1 prices.
    pub fn spot_price(&self, region: &str, instance_type: &InstanceType) -> Option<SpotPrice> {
        let entry = self.get(region, &instance_type.name)?;
        Some(entry.spot_price(instance_type.ondemand_usd_per_hour?))
    }

    /// The regions present, in name order.
    pub fn regions(&self) -> impl Iterator<Item = &str> {
        self.regions.keys().map(String::as_str)
    }

    /// Number of (region, instance type) entries.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl From<CsvProblem> for AdvisorError {
    fn from(p: CsvProblem) -> Self {
        AdvisorError::Malformed {
            line: p.line,
            message: p.message,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::catalog::Catalog;

    const HEADER: &str = "region,os,instance_type,savings_vs_ondemand_pct,interruption_bucket,interruption_frequency,vcpu,memory_gib";

    fn entry(region: &str, instance_type: &str) -> AdvisorEntry {
        match SpotAdvisor::builtin().get(region, instance_type) {
            Some(e) => e,
            None => panic!("{region}/{instance_type} missing from the built-in advisor"),
        }
    }

    fn malformed(text: &str) -> (usize, String) {
        match SpotAdvisor::from_csv(text) {
            Err(AdvisorError::Malformed { line, message }) => (line, message),
            Ok(a) => panic!("expected an error, parsed {} entries", a.len()),
        }
    }

    #[test]
    fn builtin_loads_linux_rows_of_all_regions() {
        // ECS-MODEL S1: the advisor is the default source of savings and buckets.
        let advisor = SpotAdvisor::builtin();
        let linux_rows = BUILTIN_CSV
            .lines()
            .skip(1)
            .filter(|l| l.split(',').nth(1) == Some("Linux"))
            .count();
        assert_eq!(linux_rows, 14_962);
        assert_eq!(advisor.len(), linux_rows);
        assert!(!advisor.is_empty());
        assert_eq!(advisor.regions().count(), 33);
        assert!(advisor.regions().any(|r| r == "eu-west-1"));
    }

    #[test]
    fn one_region_parsed_alone_has_exactly_that_regions_rows() {
        // ECS-MODEL S1: a region's advisor data is the same whether the whole
        // snapshot or only that region is parsed.
        let all = SpotAdvisor::builtin();
        for region in all.regions() {
            let one = SpotAdvisor::builtin_region(region).expect(region);
            assert_eq!(one.regions().collect::<Vec<_>>(), [region]);
            assert_eq!(
                one.regions,
                all.regions
                    .iter()
                    .filter(|(r, _)| *r == region)
                    .map(|(r, t)| (r.clone(), t.clone()))
                    .collect::<BTreeMap<_, _>>()
            );
            // Parsed once: the same data is returned again.
            assert!(std::ptr::eq(
                one,
                SpotAdvisor::builtin_region(region).unwrap()
            ));
        }
        for unknown in [
            "mars-north-1",
            "us-east",
            "",
            "us-east-1,Linux",
            "\"us-east-1\"",
        ] {
            assert!(SpotAdvisor::builtin_region(unknown).is_none(), "{unknown}");
        }
        // Only Linux rows count: a region whose rows are all another OS has none.
        let head = "region,os,instance_type,savings_vs_ondemand_pct,interruption_bucket\n";
        let text = format!(
            "{head}a-1,Windows,m5.large,10,1\na-1,Linux,c5.large,20,2\nb-1,Linux,m5.large,10,1\n\
             c-1,Linux,m5.large,10,1\nc-10,Linux,m5.large,10,1"
        );
        for (region, rows) in [
            (
                "a-1",
                "a-1,Windows,m5.large,10,1\na-1,Linux,c5.large,20,2\n",
            ),
            ("b-1", "b-1,Linux,m5.large,10,1\n"),
            ("c-1", "c-1,Linux,m5.large,10,1\n"),
            ("c-10", "c-10,Linux,m5.large,10,1"),
            ("0", ""),
            ("b", ""),
            ("z", ""),
        ] {
            assert_eq!(
                region_rows(&text, region),
                format!("{head}{rows}"),
                "{region}"
            );
        }
        let a = SpotAdvisor::from_csv(&region_rows(&text, "a-1")).unwrap();
        assert_eq!(a.len(), 1, "Linux rows only");
        // The binary search needs the embedded rows sorted by region.
        let regions: Vec<&str> = BUILTIN_CSV
            .lines()
            .skip(1)
            .map(|l| l.split(',').next().unwrap())
            .collect();
        assert!(regions.windows(2).all(|w| w[0] <= w[1]), "sorted by region");
        assert!(BUILTIN_CSV.starts_with("region,") && !BUILTIN_CSV.contains('"'));
        // Another column order: the whole text, filtered by the parser.
        let reordered = "os,region\nLinux,a-1\n";
        assert_eq!(region_rows(reordered, "a-1"), reordered);
    }

    #[test]
    fn builtin_known_entries() {
        // Rows of data/spot_advisor.csv:
        // us-east-1,Linux,m5.large,66,3,15-20%,…
        assert_eq!(
            entry("us-east-1", "m5.large"),
            AdvisorEntry {
                savings_pct: 66,
                bucket: 3
            }
        );
        // us-east-1,Linux,m6i.xlarge,55,1,5-10%,…
        assert_eq!(
            entry("us-east-1", "m6i.xlarge"),
            AdvisorEntry {
                savings_pct: 55,
                bucket: 1
            }
        );
        // af-south-1,Linux,c5.12xlarge,87,4,>20%,…
        assert_eq!(entry("af-south-1", "c5.12xlarge").bucket, 4);
        // ca-central-1,Linux,p5.48xlarge,-62,0,<5%,…: spot above on-demand,
        // 1 − (−62 / 100) = 1.62 × on-demand.
        let p5 = entry("ca-central-1", "p5.48xlarge");
        assert_eq!(p5.savings_pct, -62);
        assert!((p5.spot_price(10.0).at(crate::sim::SimTime::ZERO) - 16.2).abs() < 1e-9);
        assert_eq!(SpotAdvisor::builtin().get("us-east-1", "m6i.huge"), None);
        assert_eq!(SpotAdvisor::builtin().get("mars-1", "m5.large"), None);
    }

    #[test]
    fn builtin_labels_match_buckets() {
        // The file carries the advisor's label next to each bucket; our
        // labels must agree with every row (S2).
        let mut reader = csv::Reader::from_reader(BUILTIN_CSV.as_bytes());
        let mut rows = 0;
        for record in reader.records() {
            let record = record.expect("embedded CSV row");
            let bucket: u8 = record[4].parse().expect("bucket");
            assert_eq!(bucket_label(bucket), &record[5], "row {record:?}");
            rows += 1;
        }
        assert_eq!(rows, 25_323);
    }

    #[test]
    fn spot_price_from_catalogue_and_advisor() {
        // ECS-MODEL S1: m6i.xlarge on-demand 0.192 USD/h, savings 55 %
        // → 0.192 × 0.45 = 0.0864 USD/h.
        let t = Catalog::builtin().get("m6i.xlarge").expect("m6i.xlarge");
        let price = SpotAdvisor::builtin()
            .spot_price("us-east-1", t)
            .expect("priced");
        assert!((price.at(crate::sim::SimTime::ZERO) - 0.0864).abs() < 1e-12);
        assert_eq!(SpotAdvisor::builtin().spot_price("mars-1", t), None);
    }

    #[test]
    fn hazard_from_monthly_fraction() {
        // ECS-MODEL S2: λ = −ln(1 − f) / 730.
        let cases = [
            // f = 0.25: −ln 0.75 = 0.287682 → / 730 = 3.9409e-4 per hour.
            (0.25, 0.287_682_072_451_780_9 / 730.0),
            // f = 0.025: −ln 0.975 = 0.025317808 → 3.4682e-5 per hour.
            (0.025, 0.025_317_807_984_289_9 / 730.0),
            // f = 0: never interrupted.
            (0.0, 0.0),
            // Out of range.
            (-0.1, 0.0),
            (f64::NAN, 0.0),
        ];
        for (f, want) in cases {
            let got = hazard_per_hour(f);
            assert!((got - want).abs() < 1e-15, "f = {f}: {got} vs {want}");
        }
        assert_eq!(hazard_per_hour(1.0), f64::INFINITY);
        // Round trip through monthly_fraction, for every bucket midpoint.
        for f in BUCKET_MIDPOINTS {
            assert!((monthly_fraction(hazard_per_hour(f)) - f).abs() < 1e-12);
        }
        assert_eq!(monthly_fraction(0.0), 0.0);
        assert_eq!(monthly_fraction(f64::INFINITY), 1.0);
    }

    #[test]
    fn buckets_and_labels() {
        // ECS-MODEL S2: bounds 5/10/15/20 %, a value on a bound goes up.
        let cases = [
            (0.0, 0),
            (0.049, 0),
            (0.05, 1),
            (0.099, 1),
            (0.10, 2),
            (0.15, 3),
            (0.199, 3),
            (0.20, 4),
            (0.9, 4),
            (f64::NAN, 4),
        ];
        for (f, b) in cases {
            assert_eq!(bucket_of(f), b, "f = {f}");
        }
        // Each midpoint falls in its own bucket, also through the hazard.
        for (b, f) in BUCKET_MIDPOINTS.iter().enumerate() {
            assert_eq!(usize::from(bucket_of(*f)), b);
            assert_eq!(usize::from(bucket_of_hazard(hazard_per_hour(*f))), b);
        }
        let labels: Vec<_> = (0..=5).map(bucket_label).collect();
        assert_eq!(labels, ["<5%", "5-10%", "10-15%", "15-20%", ">20%", ">20%"]);
    }

    #[test]
    fn entry_defaults() {
        // Bucket 3 → midpoint 0.175; hazard −ln(0.825)/730 = 2.6353e-4 per hour.
        let e = AdvisorEntry {
            savings_pct: 66,
            bucket: 3,
        };
        assert_eq!(e.monthly_fraction(), 0.175);
        assert!((e.hazard_per_hour() - 0.192_371_892_647_456 / 730.0).abs() < 1e-15);
        // 0.096 × (1 − 0.66) = 0.03264 USD/h.
        assert!((e.spot_price(0.096).at(crate::sim::SimTime::ZERO) - 0.03264).abs() < 1e-12);
    }

    #[test]
    fn from_csv_keeps_linux_and_reads_columns_by_name() {
        let text = "os,region,instance_type,interruption_bucket,savings_vs_ondemand_pct\n\
                    Linux,r1,a.large,2,70\n\
                    Windows,r1,b.large,9,xx\n\
                    Linux,r2,a.large,0,0\n";
        let a = SpotAdvisor::from_csv(text).expect("valid");
        assert_eq!(a.len(), 2);
        assert_eq!(
            a.get("r1", "a.large"),
            Some(AdvisorEntry {
                savings_pct: 70,
                bucket: 2
            })
        );
        // Windows rows are skipped before validation.
        assert_eq!(a.get("r1", "b.large"), None);
        assert_eq!(a.regions().collect::<Vec<_>>(), ["r1", "r2"]);
    }

    #[test]
    fn from_csv_errors() {
        let (line, msg) = malformed("region,os,instance_type,savings_vs_ondemand_pct\n");
        assert_eq!(line, 1);
        assert!(msg.contains("interruption_bucket"), "{msg}");

        let (line, msg) = malformed(&format!("{HEADER}\nr,Linux,a.large,60,5,x,2,4\n"));
        assert_eq!(line, 2);
        assert!(msg.contains("interruption_bucket"), "{msg}");

        let (line, msg) = malformed(&format!("{HEADER}\nr,Linux,a.large,101,1,x,2,4\n"));
        assert_eq!(line, 2);
        assert!(msg.contains("<= 100"), "{msg}");

        let (line, msg) = malformed(&format!(
            "{HEADER}\nr,Linux,a.large,60,1,x,2,4\nr,Linux,a.large,61,1,x,2,4\n"
        ));
        assert_eq!(line, 3);
        assert!(msg.contains("duplicate"), "{msg}");

        let (_, msg) = malformed(&format!("{HEADER}\n,Linux,a.large,60,1,x,2,4\n"));
        assert!(msg.contains("must not be empty"), "{msg}");
    }
}
