//! Time in the tenant's zone: days are cut at local midnight, and weeks (ISO,
//! Monday first), months and years are ranges of such days.

use crate::error::{FieldError, Rule};
use chrono::{
    DateTime, Datelike, Days, FixedOffset, Months, NaiveDate, NaiveDateTime, NaiveTime, Offset,
    Timelike, Utc,
};
use jiff::tz::{AmbiguousOffset, TimeZone};

/// The tenant's IANA time zone (`Asia/Karachi`, `Europe/London`), from the
/// copy of the IANA database that `jiff` bundles (the host's files are
/// never read, so every machine agrees).
///
/// `jiff` rather than `chrono-tz`: chrono-tz compiles the database into
/// static tables of pointers, some 1.9 MB of every Lambda bootstrap with
/// their relocations; jiff keeps it as TZif bytes, some 0.4 MB with its
/// code (BENCHMARKS.md, "Lean Lambdas"). Dates and instants stay chrono's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantZone(TimeZone);

impl TenantZone {
    pub fn parse(field: &str, name: &str) -> Result<Self, FieldError> {
        TimeZone::get(name).map(TenantZone).map_err(|_| {
            FieldError::new(
                field,
                Rule::UnknownValue,
                format!(
                    "'{}' is not an IANA time zone such as Asia/Karachi",
                    crate::survey::truncate(name)
                ),
            )
        })
    }

    /// The zone's IANA name, as the database spells it.
    pub fn name(&self) -> &str {
        // Every zone here comes from the database by name.
        self.0.iana_name().unwrap_or("UTC")
    }

    /// `instant` as local time, formatted with a `chrono` pattern.
    pub fn format(&self, instant: DateTime<Utc>, pattern: &str) -> String {
        instant
            .with_timezone(&self.offset_at(instant))
            .format(pattern)
            .to_string()
    }

    /// The local calendar day that `instant` falls on.
    pub fn day_of(&self, instant: DateTime<Utc>) -> NaiveDate {
        self.local(instant).date()
    }

    /// The instant the local `day` begins. Where midnight does not exist (a
    /// DST jump at 00:00, as in America/Santiago) the day begins at the first
    /// local time that does.
    pub fn start_of(&self, day: NaiveDate) -> DateTime<Utc> {
        self.first_instant_at(day.and_time(NaiveTime::MIN))
    }

    /// The first instant the zone's clocks read `local`; where `local` does
    /// not exist (a DST gap), the first local time after it that does.
    pub fn first_instant_at(&self, local: NaiveDateTime) -> DateTime<Utc> {
        let mut at = local;
        // Gaps last at most a few hours; step over them a quarter hour at a time.
        for _ in 0..=96 {
            if let Some(offset) = self.earliest_offset(at) {
                return (at - offset).and_utc();
            }
            at += chrono::Duration::minutes(15);
        }
        // Unreachable for real zones: fall back to reading it as UTC.
        local.and_utc()
    }

    /// What the zone's clocks read at `instant`.
    pub fn local(&self, instant: DateTime<Utc>) -> NaiveDateTime {
        instant
            .with_timezone(&self.offset_at(instant))
            .naive_local()
    }

    /// The half-open instant range `[start, end)` covering local days
    /// `from..=to`.
    pub fn instants(&self, range: DateRange) -> (DateTime<Utc>, DateTime<Utc>) {
        (self.start_of(range.from), self.start_of(next_day(range.to)))
    }

    /// The zone's offset from UTC at `instant` (UTC itself outside jiff's
    /// years -9999 to 9999, which no stored instant reaches).
    fn offset_at(&self, instant: DateTime<Utc>) -> FixedOffset {
        let seconds = jiff::Timestamp::from_second(instant.timestamp())
            .map_or(0, |t| self.0.to_offset(t).seconds());
        FixedOffset::east_opt(seconds).unwrap_or(Utc.fix())
    }

    /// The offset of the earliest instant that reads `local` on the zone's
    /// clocks: the first of two in a fold, none in a gap.
    fn earliest_offset(&self, local: NaiveDateTime) -> Option<chrono::Duration> {
        let civil = jiff::civil::DateTime::new(
            i16::try_from(local.year()).ok()?,
            local.month() as i8,
            local.day() as i8,
            local.hour() as i8,
            local.minute() as i8,
            local.second() as i8,
            0,
        )
        .ok()?;
        let offset = match self.0.to_ambiguous_timestamp(civil).offset() {
            AmbiguousOffset::Unambiguous { offset } => offset,
            AmbiguousOffset::Fold { before, .. } => before,
            AmbiguousOffset::Gap { .. } => return None,
        };
        Some(chrono::Duration::seconds(i64::from(offset.seconds())))
    }
}

fn next_day(day: NaiveDate) -> NaiveDate {
    day.checked_add_days(Days::new(1)).unwrap_or(day)
}

/// Longest range a query may cover; keeps reads bounded (one rollup row per
/// day) while allowing five-year comparisons.
pub const MAX_RANGE_DAYS: i64 = 5 * 366;

/// An inclusive range of local days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateRange {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl DateRange {
    pub fn new(from: NaiveDate, to: NaiveDate) -> Result<Self, FieldError> {
        if to < from {
            return Err(FieldError::new(
                "to",
                Rule::OutOfRange,
                "must not be before 'from'",
            ));
        }
        let range = DateRange { from, to };
        if range.day_count() > MAX_RANGE_DAYS {
            return Err(FieldError::new(
                "to",
                Rule::OutOfRange,
                format!("a range may cover at most {MAX_RANGE_DAYS} days"),
            ));
        }
        Ok(range)
    }

    /// Number of days in the range (at least one).
    pub fn day_count(&self) -> i64 {
        (self.to - self.from).num_days() + 1
    }

    pub fn days(&self) -> impl Iterator<Item = NaiveDate> + use<> {
        let to = self.to;
        self.from.iter_days().take_while(move |d| *d <= to)
    }

    pub fn contains(&self, day: NaiveDate) -> bool {
        (self.from..=self.to).contains(&day)
    }

    /// The range of the same length that ends the day before this one starts.
    pub fn previous_period(&self) -> DateRange {
        let to = self.from.pred_opt().unwrap_or(self.from);
        let from = to
            .checked_sub_days(Days::new((self.day_count() - 1) as u64))
            .unwrap_or(to);
        DateRange { from, to }
    }

    /// The same dates one year earlier (29 February becomes the 28th).
    pub fn previous_year(&self) -> DateRange {
        let back = |d: NaiveDate| d.checked_sub_months(Months::new(12)).unwrap_or(d);
        DateRange {
            from: back(self.from),
            to: back(self.to),
        }
    }

    /// The range cut into buckets of `granularity`, each clipped to the range
    /// so that a bucket only ever sums days that were asked for.
    pub fn buckets(&self, granularity: Granularity) -> Vec<DateRange> {
        let mut buckets = Vec::new();
        let mut start = self.from;
        while start <= self.to {
            let end = granularity.last_day(start).min(self.to);
            buckets.push(DateRange {
                from: start,
                to: end,
            });
            match end.succ_opt() {
                Some(next) => start = next,
                None => break,
            }
        }
        buckets
    }
}

/// Parses a `YYYY-MM-DD` day, naming the field on error.
pub fn parse_day(field: &str, value: &str) -> Result<NaiveDate, FieldError> {
    NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .ok()
        .filter(|_| value.len() == 10)
        .ok_or_else(|| FieldError::new(field, Rule::BadFormat, "must be a date as YYYY-MM-DD"))
}

/// The buckets of a series.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Granularity {
    Day,
    Week,
    Month,
    Year,
}

impl Granularity {
    pub const ALL: [Granularity; 4] = [
        Granularity::Day,
        Granularity::Week,
        Granularity::Month,
        Granularity::Year,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Granularity::Day => "day",
            Granularity::Week => "week",
            Granularity::Month => "month",
            Granularity::Year => "year",
        }
    }

    pub fn parse(field: &str, value: &str) -> Result<Self, FieldError> {
        Self::ALL
            .into_iter()
            .find(|g| g.as_str() == value)
            .ok_or_else(|| {
                FieldError::new(
                    field,
                    Rule::UnknownValue,
                    "must be one of day, week, month, year",
                )
            })
    }

    /// The last day of the bucket that `day` falls in.
    fn last_day(self, day: NaiveDate) -> NaiveDate {
        let last = match self {
            Granularity::Day => Some(day),
            Granularity::Week => day.checked_add_days(Days::new(
                6 - u64::from(day.weekday().num_days_from_monday()),
            )),
            Granularity::Month => day
                .with_day(1)
                .and_then(|d| d.checked_add_months(Months::new(1)))
                .and_then(|d| d.pred_opt()),
            Granularity::Year => NaiveDate::from_ymd_opt(day.year(), 12, 31),
        };
        last.unwrap_or(NaiveDate::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn days_follow_the_local_clock_across_dst() {
        let london = TenantZone::parse("tz", "Europe/London").unwrap();
        // Summer time: 23:30 UTC is 00:30 the next local day.
        assert_eq!(london.day_of(t("2026-07-01T23:30:00Z")), d("2026-07-02"));
        // Winter time: 23:30 UTC is still the same day.
        assert_eq!(london.day_of(t("2026-01-01T23:30:00Z")), d("2026-01-01"));
        // The day clocks go forward is 23 hours long, the day they go back 25.
        let len = |day: &str| {
            let day = d(day);
            (london.start_of(day.succ_opt().unwrap()) - london.start_of(day)).num_hours()
        };
        assert_eq!(
            (len("2026-03-29"), len("2026-10-25"), len("2026-06-01")),
            (23, 25, 24)
        );
    }

    #[test]
    fn a_missing_midnight_starts_the_day_at_the_first_real_time() {
        // Santiago skipped from 00:00 to 01:00 on 2022-09-11.
        let santiago = TenantZone::parse("tz", "America/Santiago").unwrap();
        let start = santiago.start_of(d("2022-09-11"));
        assert_eq!(start, t("2022-09-11T04:00:00Z"));
        assert_eq!(santiago.day_of(start), d("2022-09-11"));
    }

    #[test]
    fn a_zone_is_named_as_the_database_spells_it() {
        let karachi = TenantZone::parse("tz", "asia/karachi").unwrap();
        assert_eq!(karachi.name(), "Asia/Karachi");
        assert_eq!(karachi, TenantZone::parse("tz", "Asia/Karachi").unwrap());
        assert_eq!(TenantZone::parse("tz", "UTC").unwrap().name(), "UTC");
    }

    #[test]
    fn unknown_zones_are_refused() {
        assert_eq!(
            TenantZone::parse("time_zone", "Mars/Olympus")
                .unwrap_err()
                .rule,
            Rule::UnknownValue
        );
    }

    #[test]
    fn weeks_are_iso_and_buckets_are_clipped() {
        let range = DateRange::new(d("2026-01-01"), d("2026-01-20")).unwrap();
        let weeks = range.buckets(Granularity::Week);
        let starts: Vec<_> = weeks.iter().map(|b| (b.from, b.to)).collect();
        assert_eq!(
            starts,
            [
                (d("2026-01-01"), d("2026-01-04")), // Thu..Sun
                (d("2026-01-05"), d("2026-01-11")),
                (d("2026-01-12"), d("2026-01-18")),
                (d("2026-01-19"), d("2026-01-20")),
            ]
        );
        let months = DateRange::new(d("2024-01-15"), d("2024-03-31"))
            .unwrap()
            .buckets(Granularity::Month);
        assert_eq!(
            months[1],
            DateRange {
                from: d("2024-02-01"),
                to: d("2024-02-29")
            }
        );
        let years = DateRange::new(d("2024-06-01"), d("2026-02-01"))
            .unwrap()
            .buckets(Granularity::Year);
        assert_eq!(years.len(), 3);
        let total: i64 = years.iter().map(DateRange::day_count).sum();
        assert_eq!(
            total,
            DateRange::new(d("2024-06-01"), d("2026-02-01"))
                .unwrap()
                .day_count()
        );
    }

    #[test]
    fn compare_periods() {
        let march = DateRange::new(d("2026-03-01"), d("2026-03-31")).unwrap();
        assert_eq!(
            march.previous_period(),
            DateRange {
                from: d("2026-01-29"),
                to: d("2026-02-28")
            }
        );
        let leap = DateRange::new(d("2024-02-29"), d("2024-02-29")).unwrap();
        assert_eq!(leap.previous_year().from, d("2023-02-28"));
    }

    #[test]
    fn ranges_are_bounded_and_ordered() {
        assert!(DateRange::new(d("2026-02-01"), d("2026-01-01")).is_err());
        assert!(DateRange::new(d("2020-01-01"), d("2026-01-01")).is_err());
        assert_eq!(
            DateRange::new(d("2026-01-01"), d("2026-12-31"))
                .unwrap()
                .days()
                .count(),
            365
        );
    }

    #[test]
    fn instants_cover_the_local_days() {
        let karachi = TenantZone::parse("tz", "Asia/Karachi").unwrap();
        let range = DateRange::new(d("2026-05-01"), d("2026-05-02")).unwrap();
        assert_eq!(
            karachi.instants(range),
            (t("2026-04-30T19:00:00Z"), t("2026-05-02T19:00:00Z"))
        );
    }

    #[test]
    fn days_parse_strictly() {
        assert_eq!(parse_day("from", "2026-05-01").unwrap(), d("2026-05-01"));
        for bad in ["2026-5-1", "2026-02-30", "yesterday", "2026-05-01T00:00"] {
            assert_eq!(parse_day("from", bad).unwrap_err().field, "from");
        }
    }
}
