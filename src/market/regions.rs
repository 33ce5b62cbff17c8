//! Regional EC2 tables: the on-demand price of each instance type in each
//! region (embedded from `data/ec2_ondemand_prices_by_region.csv`), the
//! standard Reserved Instance rates (embedded from
//! `data/ec2_commitment_rates_by_region.csv`) and the Availability Zone
//! names of each region. Provenance in `data/SOURCES.md`.
//!
//! A type missing from a region's prices is not offered there; nothing is
//! guessed from another region. The us-east-1 catalogue
//! (`crate::model::catalog`) stays the source of us-east-1 prices, so that
//! the default region bills what it always has.
//!
//! Plain data: it depends on `crate::csvdata` and `crate::model::catalog`
//! (the us-east-1 zone names) only. Its only I/O is the data embedded at
//! compile time.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::OnceLock;

use crate::csvdata::lines_starting;

use crate::csvdata::{CsvProblem, CsvTable};
use crate::model::catalog;

/// The region of a scenario that names none.
pub const DEFAULT_REGION: &str = catalog::REGION;

/// The term of a commitment (Reserved Instance or Savings Plan).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Term {
    /// One year (8,760 hours), written `1yr`.
    OneYear,
    /// Three years (26,280 hours), written `3yr`.
    ThreeYear,
}

impl Term {
    /// Both terms, in order.
    pub const ALL: [Term; 2] = [Term::OneYear, Term::ThreeYear];

    /// The name in the rate tables and scenarios: `1yr` or `3yr`.
    pub fn as_str(self) -> &'static str {
        match self {
            Term::OneYear => "1yr",
            Term::ThreeYear => "3yr",
        }
    }

    /// The term named `name` (exact), if any.
    pub fn parse(name: &str) -> Option<Term> {
        Term::ALL.into_iter().find(|t| t.as_str() == name)
    }
}

impl fmt::Display for Term {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Availability Zone names by region, as AWS documents them ("Regions and
/// Availability Zones"). Which zones an account sees can differ (an older
/// account in ap-northeast-1 also has `ap-northeast-1b`; us-west-1 offers
/// new accounts two of its three names); these are the names a new account
/// may use. us-east-1 is the catalogue's list.
const ZONES: &[(&str, &[&str])] = &[
    ("af-south-1", &["af-south-1a", "af-south-1b", "af-south-1c"]),
    ("ap-east-1", &["ap-east-1a", "ap-east-1b", "ap-east-1c"]),
    ("ap-east-2", &["ap-east-2a", "ap-east-2b", "ap-east-2c"]),
    (
        "ap-northeast-1",
        &["ap-northeast-1a", "ap-northeast-1c", "ap-northeast-1d"],
    ),
    (
        "ap-northeast-2",
        &[
            "ap-northeast-2a",
            "ap-northeast-2b",
            "ap-northeast-2c",
            "ap-northeast-2d",
        ],
    ),
    (
        "ap-northeast-3",
        &["ap-northeast-3a", "ap-northeast-3b", "ap-northeast-3c"],
    ),
    ("ap-south-1", &["ap-south-1a", "ap-south-1b", "ap-south-1c"]),
    ("ap-south-2", &["ap-south-2a", "ap-south-2b", "ap-south-2c"]),
    (
        "ap-southeast-1",
        &["ap-southeast-1a", "ap-southeast-1b", "ap-southeast-1c"],
    ),
    (
        "ap-southeast-2",
        &["ap-southeast-2a", "ap-southeast-2b", "ap-southeast-2c"],
    ),
    (
        "ap-southeast-3",
        &["ap-southeast-3a", "ap-southeast-3b", "ap-southeast-3c"],
    ),
    (
        "ap-southeast-4",
        &["ap-southeast-4a", "ap-southeast-4b", "ap-southeast-4c"],
    ),
    (
        "ap-southeast-5",
        &["ap-southeast-5a", "ap-southeast-5b", "ap-southeast-5c"],
    ),
    (
        "ap-southeast-6",
        &["ap-southeast-6a", "ap-southeast-6b", "ap-southeast-6c"],
    ),
    (
        "ap-southeast-7",
        &["ap-southeast-7a", "ap-southeast-7b", "ap-southeast-7c"],
    ),
    (
        "ca-central-1",
        &["ca-central-1a", "ca-central-1b", "ca-central-1d"],
    ),
    ("ca-west-1", &["ca-west-1a", "ca-west-1b", "ca-west-1c"]),
    (
        "eu-central-1",
        &["eu-central-1a", "eu-central-1b", "eu-central-1c"],
    ),
    (
        "eu-central-2",
        &["eu-central-2a", "eu-central-2b", "eu-central-2c"],
    ),
    ("eu-north-1", &["eu-north-1a", "eu-north-1b", "eu-north-1c"]),
    ("eu-south-1", &["eu-south-1a", "eu-south-1b", "eu-south-1c"]),
    ("eu-south-2", &["eu-south-2a", "eu-south-2b", "eu-south-2c"]),
    ("eu-west-1", &["eu-west-1a", "eu-west-1b", "eu-west-1c"]),
    ("eu-west-2", &["eu-west-2a", "eu-west-2b", "eu-west-2c"]),
    ("eu-west-3", &["eu-west-3a", "eu-west-3b", "eu-west-3c"]),
    (
        "il-central-1",
        &["il-central-1a", "il-central-1b", "il-central-1c"],
    ),
    (
        "me-central-1",
        &["me-central-1a", "me-central-1b", "me-central-1c"],
    ),
    ("me-south-1", &["me-south-1a", "me-south-1b", "me-south-1c"]),
    (
        "mx-central-1",
        &["mx-central-1a", "mx-central-1b", "mx-central-1c"],
    ),
    ("sa-east-1", &["sa-east-1a", "sa-east-1b", "sa-east-1c"]),
    ("us-east-1", &catalog::AVAILABILITY_ZONES),
    ("us-east-2", &["us-east-2a", "us-east-2b", "us-east-2c"]),
    (
        "us-gov-east-1",
        &["us-gov-east-1a", "us-gov-east-1b", "us-gov-east-1c"],
    ),
    (
        "us-gov-west-1",
        &["us-gov-west-1a", "us-gov-west-1b", "us-gov-west-1c"],
    ),
    ("us-west-1", &["us-west-1a", "us-west-1b", "us-west-1c"]),
    (
        "us-west-2",
        &["us-west-2a", "us-west-2b", "us-west-2c", "us-west-2d"],
    ),
];

/// The Availability Zone names of `region`, if it is a region ecsim knows.
pub fn availability_zones(region: &str) -> Option<&'static [&'static str]> {
    ZONES.iter().find(|(r, _)| *r == region).map(|(_, z)| *z)
}

/// The regions ecsim knows (with zone names and on-demand prices), in
/// name order.
pub fn regions() -> impl Iterator<Item = &'static str> {
    ZONES.iter().map(|(r, _)| *r)
}

/// The on-demand price CSV (see `data/SOURCES.md`).
const ONDEMAND_CSV: &str = include_str!("../../data/ec2_ondemand_prices_by_region.csv");
/// The Reserved Instance rate CSV (see `data/SOURCES.md`).
const COMMITMENT_CSV: &str = include_str!("../../data/ec2_commitment_rates_by_region.csv");

/// One region's EC2 prices: on-demand and standard Reserved Instance
/// (all upfront, effective hourly) per instance type, USD per hour.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RegionPrices {
    on_demand: BTreeMap<String, f64>,
    reserved: BTreeMap<(String, Term), f64>,
}

impl RegionPrices {
    /// The on-demand Linux price of `instance_type`, USD per hour, or
    /// `None` when the type is not offered in the region.
    pub fn on_demand(&self, instance_type: &str) -> Option<f64> {
        self.on_demand.get(instance_type).copied()
    }

    /// The effective hourly rate of a standard, all-upfront Reserved
    /// Instance of `instance_type` for `term` (upfront fee ÷ hours of the
    /// term), USD per hour, if the table has one.
    pub fn reserved(&self, instance_type: &str, term: Term) -> Option<f64> {
        self.reserved
            .get(&(instance_type.to_string(), term))
            .copied()
    }

    /// Instance types offered (priced on-demand), in name order.
    pub fn types(&self) -> impl Iterator<Item = &str> {
        self.on_demand.keys().map(String::as_str)
    }
}

/// The regional price tables, by region.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RegionalPrices {
    regions: BTreeMap<String, RegionPrices>,
}

fn number(text: &str, line: usize, column: &str) -> Result<f64, CsvProblem> {
    text.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v >= 0.0)
        .ok_or_else(|| CsvProblem {
            line,
            message: format!("column `{column}`: `{text}` is not a number >= 0"),
        })
}

/// The price in the last field of `row` (one line of an embedded table),
/// `None` for no row.
fn last_number(row: &str, file: &str) -> Option<f64> {
    let row = row.trim_end_matches('\n');
    if row.is_empty() {
        return None;
    }
    let cell = row.rsplit(',').next().unwrap_or("");
    match number(cell, 0, "usd_per_hour") {
        Ok(p) if !row.contains('\n') => Some(p),
        _ => panic!("embedded {file} is malformed at `{row}` (see its unit test)"),
    }
}

impl RegionalPrices {
    /// The embedded tables.
    pub fn builtin() -> &'static RegionalPrices {
        static BUILTIN: OnceLock<RegionalPrices> = OnceLock::new();
        BUILTIN.get_or_init(|| {
            RegionalPrices::parse(ONDEMAND_CSV, COMMITMENT_CSV)
                .expect("embedded regional EC2 price data is malformed (see its unit test)")
        })
    }

    /// The embedded on-demand Linux price of `instance_type` in `region`,
    /// USD per hour, or `None` when the type is not offered there: its one
    /// row, found by a binary search (the table is sorted), is all that is
    /// parsed.
    ///
    /// # Panics
    /// Only if the embedded file is malformed, which a unit test rules out.
    pub fn builtin_on_demand(region: &str, instance_type: &str) -> Option<f64> {
        let row = lines_starting(ONDEMAND_CSV, &format!("{region},{instance_type},"));
        last_number(row, "data/ec2_ondemand_prices_by_region.csv")
    }

    /// The embedded effective hourly rate of a standard, all-upfront
    /// Reserved Instance of `instance_type` for `term` in `region`, as
    /// [`RegionPrices::reserved`] gives it, read from its one row.
    ///
    /// # Panics
    /// Only if the embedded file is malformed, which a unit test rules out.
    pub fn builtin_reserved(region: &str, instance_type: &str, term: Term) -> Option<f64> {
        let prefix =
            format!("{region},{instance_type},standard_reserved_instance,{term},all_upfront,");
        last_number(
            lines_starting(COMMITMENT_CSV, &prefix),
            "data/ec2_commitment_rates_by_region.csv",
        )
    }

    /// Parses the two tables: `region,instance_type,usd_per_hour` and
    /// `region,instance_type,plan,term,payment_option,usd_per_hour` (only
    /// `standard_reserved_instance` / `all_upfront` rows are kept; `term`
    /// `1yr` or `3yr`). A repeated key is an error.
    pub fn parse(on_demand: &str, commitments: &str) -> Result<RegionalPrices, CsvProblem> {
        let mut out = RegionalPrices::default();
        let od = CsvTable::parse(on_demand)?;
        let (rc, tc, pc) = (
            od.column("region")?,
            od.column("instance_type")?,
            od.column("usd_per_hour")?,
        );
        for (line, rec) in od.rows() {
            let cell = |i: usize| rec.get(i).unwrap_or("");
            let price = number(cell(pc), line, "usd_per_hour")?;
            let region = out.regions.entry(cell(rc).to_string()).or_default();
            if region
                .on_demand
                .insert(cell(tc).to_string(), price)
                .is_some()
            {
                return Err(CsvProblem {
                    line,
                    message: format!("duplicate price for {} {}", cell(rc), cell(tc)),
                });
            }
        }
        let ct = CsvTable::parse(commitments)?;
        let cols = [
            "region",
            "instance_type",
            "plan",
            "term",
            "payment_option",
            "usd_per_hour",
        ]
        .map(|c| ct.column(c));
        let [rc, tc, plan, term, pay, pc] = match cols {
            [Ok(a), Ok(b), Ok(c), Ok(d), Ok(e), Ok(f)] => [a, b, c, d, e, f],
            _ => return Err(CsvProblem {
                line: 1,
                message:
                    "expected columns region,instance_type,plan,term,payment_option,usd_per_hour"
                        .into(),
            }),
        };
        for (line, rec) in ct.rows() {
            let cell = |i: usize| rec.get(i).unwrap_or("");
            if cell(plan) != "standard_reserved_instance" || cell(pay) != "all_upfront" {
                continue;
            }
            let Some(t) = Term::parse(cell(term)) else {
                return Err(CsvProblem {
                    line,
                    message: format!("column `term`: `{}` is not 1yr or 3yr", cell(term)),
                });
            };
            let price = number(cell(pc), line, "usd_per_hour")?;
            let region = out.regions.entry(cell(rc).to_string()).or_default();
            if region
                .reserved
                .insert((cell(tc).to_string(), t), price)
                .is_some()
            {
                return Err(CsvProblem {
                    line,
                    message: format!("duplicate rate for {} {} {t}", cell(rc), cell(tc)),
                });
            }
        }
        Ok(out)
    }

    /// The prices of `region`, if the tables have any.
    pub fn region(&self, region: &str) -> Option<&RegionPrices> {
        self.regions.get(region)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_price_read_from_its_row_is_the_price_of_the_whole_table() {
        // Every on-demand price and RI rate of every region, read from its
        // one row, is the one the whole tables give; absent types and
        // regions have none.
        let all = RegionalPrices::builtin();
        let mut checked = 0;
        for (region, prices) in &all.regions {
            for ty in prices.types() {
                assert_eq!(
                    RegionalPrices::builtin_on_demand(region, ty),
                    prices.on_demand(ty),
                    "{region} {ty}"
                );
                for term in Term::ALL {
                    assert_eq!(
                        RegionalPrices::builtin_reserved(region, ty, term),
                        prices.reserved(ty, term),
                        "{region} {ty} {term}"
                    );
                }
                checked += 1;
            }
        }
        assert!(checked > 10_000, "{checked}");
        assert_eq!(
            RegionalPrices::builtin_on_demand("ap-northeast-2", "a1.large"),
            None
        );
        assert_eq!(
            RegionalPrices::builtin_on_demand("mars-north-1", "m5.large"),
            None
        );
        // A type whose name is the start of another's.
        assert_eq!(
            RegionalPrices::builtin_on_demand("us-east-1", "m5.larg"),
            None
        );
        assert_eq!(
            RegionalPrices::builtin_reserved("ap-northeast-2", "m5.large", Term::ThreeYear),
            Some(0.044368)
        );
        // The binary search needs each table's lines sorted as bytes.
        for text in [ONDEMAND_CSV, COMMITMENT_CSV] {
            let lines: Vec<&str> = text.lines().skip(1).collect();
            assert!(lines.windows(2).all(|w| w[0] < w[1]), "sorted, no repeats");
            assert!(text.starts_with("region,") && !text.contains('"'));
        }
    }

    #[test]
    fn seoul_m5_large_is_0_118_an_hour() {
        // The anchor (data/SOURCES.md §12): Seoul m5.large $0.118/h,
        // us-east-1 $0.096/h; Seoul RIs 0.068607 (1yr) / 0.044368 (3yr).
        let p = RegionalPrices::builtin();
        let seoul = p.region("ap-northeast-2").expect("Seoul prices");
        assert_eq!(seoul.on_demand("m5.large"), Some(0.118));
        assert_eq!(seoul.on_demand("c6i.xlarge"), Some(0.192));
        assert_eq!(seoul.reserved("m5.large", Term::OneYear), Some(0.068607));
        assert_eq!(seoul.reserved("m5.large", Term::ThreeYear), Some(0.044368));
        let us = p.region("us-east-1").expect("us-east-1 prices");
        assert_eq!(us.on_demand("m5.large"), Some(0.096));
        assert_eq!(us.reserved("m5.large", Term::OneYear), Some(0.056393));
        // A type not offered in Seoul has no price there.
        assert_eq!(seoul.on_demand("a1.large"), None);
        assert_eq!(us.on_demand("a1.large"), Some(0.051));
        assert_eq!(seoul.types().count(), 759);
    }

    #[test]
    fn every_priced_region_has_zone_names_and_every_zone_its_region() {
        let p = RegionalPrices::builtin();
        for r in p.regions.keys() {
            let zones = availability_zones(r).unwrap_or_else(|| panic!("{r} has no zones"));
            assert!(zones.len() >= 3, "{r}");
            for z in zones {
                assert!(
                    z.len() == r.len() + 1 && z.starts_with(r.as_str()),
                    "{z} in {r}"
                );
            }
        }
        assert_eq!(regions().count(), p.regions.len());
        assert_eq!(
            availability_zones("ap-northeast-2"),
            Some(
                &[
                    "ap-northeast-2a",
                    "ap-northeast-2b",
                    "ap-northeast-2c",
                    "ap-northeast-2d"
                ][..]
            )
        );
        assert_eq!(
            availability_zones("us-east-1"),
            Some(&catalog::AVAILABILITY_ZONES[..])
        );
        assert_eq!(availability_zones("mars-north-1"), None);
    }

    #[test]
    fn no_reserved_rate_above_on_demand_nor_3yr_above_1yr() {
        // SOURCES.md §13 checks, kept true of the embedded copy.
        for (name, r) in &RegionalPrices::builtin().regions {
            for ((ty, term), rate) in &r.reserved {
                if let Some(od) = r.on_demand(ty) {
                    assert!(*rate < od, "{name} {ty} {term}: {rate} >= {od}");
                }
                if *term == Term::ThreeYear {
                    if let Some(one) = r.reserved(ty, Term::OneYear) {
                        assert!(*rate <= one, "{name} {ty}");
                    }
                }
            }
        }
    }

    #[test]
    fn malformed_tables_name_the_line() {
        let e = RegionalPrices::parse(
            "region,instance_type,usd_per_hour\nx,m5.large,abc\n",
            "region,instance_type,plan,term,payment_option,usd_per_hour\n",
        )
        .unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.message.contains("usd_per_hour"), "{}", e.message);
        let e = RegionalPrices::parse(
            "region,instance_type,usd_per_hour\n",
            "region,instance_type,plan,term,payment_option,usd_per_hour\nx,m5.large,standard_reserved_instance,2yr,all_upfront,1\n",
        )
        .unwrap_err();
        assert!(e.message.contains("2yr"), "{}", e.message);
    }
}
