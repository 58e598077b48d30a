//! The figures behind `/v1/scores`, `/v1/leaderboard`, `/v1/drivers` and
//! `/v1/comments`, computed once for the API and the dashboard alike, so
//! the page can never show a figure the API would not. Every figure comes
//! from per-day rollups (reads are O(days), never O(responses)); comments
//! and the follow-up queue are lists, read a page at a time. How they are
//! rendered is the caller's (`feedback_http::reports`).

use chrono::{DateTime, Duration, NaiveDate, Utc};
use feedback_core::drivers::Driver;
use feedback_core::followup::{MAX_SLA_HOURS, Status};
use feedback_core::metrics::{self, Change, Changes, Estimate, Summary, Waiting};
use feedback_core::rollup::ChannelCounts;
use feedback_core::time::{DateRange, Granularity};
use feedback_core::{Channel, FollowUp, Rep, Response, Rollup, Slice, SurveyKind};
use feedback_store::{
    Cursor, Detail, FollowUpFilter, FollowUpStore, Page, RepStore, ResponseFilter, ResponseStore,
    RollupStore, StoreError,
};
use futures::StreamExt;
use std::collections::{BTreeMap, BTreeSet};

/// Rollup reads one report runs at once (one per rep or channel).
const READ_CONCURRENCY: usize = 8;

/// Sums the days of `days` that fall in `range`.
fn sum(days: &[(NaiveDate, Rollup)], range: DateRange) -> Rollup {
    let mut total = Rollup::default();
    for (_, r) in days.iter().filter(|(d, _)| range.contains(*d)) {
        total.merge(r);
    }
    total
}

/// The rollups of each of `slices` on the days `from..=to`, read
/// concurrently, in the order of `slices`.
async fn read_each<S: RollupStore + ?Sized>(
    store: &S,
    slices: impl IntoIterator<Item = Slice>,
    from: NaiveDate,
    to: NaiveDate,
    detail: Detail,
) -> Result<Vec<Vec<(NaiveDate, Rollup)>>, StoreError> {
    futures::stream::iter(slices)
        .map(|slice| async move { store.read_rollups(&slice, from, to, detail).await })
        .buffered(READ_CONCURRENCY)
        .collect::<Vec<Result<_, StoreError>>>()
        .await
        .into_iter()
        .collect()
}

/// The rollups of each of `slices` over `range`, read concurrently, each
/// summed per range of `ranges` (all inside `range`).
async fn sums<S: RollupStore + ?Sized, const N: usize>(
    store: &S,
    slices: Vec<Slice>,
    range: DateRange,
    ranges: [DateRange; N],
    detail: Detail,
) -> Result<Vec<[Rollup; N]>, StoreError> {
    let read = read_each(store, slices, range.from, range.to, detail).await?;
    Ok(read
        .iter()
        .map(|days| ranges.map(|r| sum(days, r)))
        .collect())
}

/// The open follow-ups of `slice` (opened since `since`, if given).
fn open_in(slice: &Slice, since: Option<DateTime<Utc>>) -> FollowUpFilter {
    let mut filter = FollowUpFilter {
        status: Some(Status::Open),
        opened_since: since,
        ..Default::default()
    };
    match slice {
        Slice::All => {}
        Slice::Rep(id) => filter.rep_id = Some(id.clone()),
        Slice::Channel(c) => filter.channel = Some(*c),
        Slice::Location(l) => filter.location = Some(l.clone()),
    }
    filter
}

/// Every follow-up matching `filter`, a page at a time.
async fn every_follow_up<S: FollowUpStore + ?Sized>(
    store: &S,
    filter: &FollowUpFilter,
) -> Result<Vec<FollowUp>, StoreError> {
    let mut all = Vec::new();
    let mut cursor = None;
    loop {
        let page = store
            .list_follow_ups(filter, feedback_store::MAX_PAGE, cursor.as_ref())
            .await?;
        all.extend(page.items);
        match page.next {
            Some(next) => cursor = Some(next),
            None => return Ok(all),
        }
    }
}

/// Follow-ups awaiting first contact at a time, by the day of their
/// response, split into due and overdue.
struct Awaiting(BTreeMap<NaiveDate, Waiting>);

impl Awaiting {
    /// How many of `slice`'s follow-ups of each of `days` await first
    /// contact at `at`, and how many of those are overdue.
    ///
    /// Each day's row counts its follow-ups awaiting first contact
    /// (`FollowUpStats::awaiting`), so only those still inside their SLA
    /// are read: they opened within the longest SLA before `at`, the
    /// newest end of the queue. A business that leaves its queue to grow
    /// does not make its scores read more. Days whose rows were written
    /// before the rows counted them are read from the whole queue instead.
    async fn at<S: FollowUpStore + ?Sized>(
        store: &S,
        slice: &Slice,
        days: &[&(NaiveDate, Rollup)],
        at: DateTime<Utc>,
    ) -> Result<Awaiting, StoreError> {
        let older: BTreeSet<NaiveDate> = days
            .iter()
            .filter(|(_, r)| !r.follow_up.counts_awaiting())
            .map(|(d, _)| *d)
            .collect();
        let since = older
            .is_empty()
            .then(|| at - Duration::hours(MAX_SLA_HOURS.into()));
        let queue = every_follow_up(store, &open_in(slice, since)).await?;
        let mut by_day: BTreeMap<NaiveDate, Waiting> = BTreeMap::new();
        for f in &queue {
            let overdue = f.is_overdue(at);
            // A newer row counts its overdue itself (below).
            if overdue && !older.contains(&f.day) {
                continue;
            }
            let w = by_day.entry(f.day).or_default();
            if overdue {
                w.overdue += 1;
            } else {
                w.not_due += 1;
            }
        }
        for (day, rollup) in days.iter().filter(|(d, _)| !older.contains(d)) {
            let w = by_day.entry(*day).or_default();
            // The rows and the queue are read a moment apart: never below 0.
            w.overdue = (rollup.follow_up.awaiting - w.not_due).max(0);
        }
        Ok(Awaiting(by_day))
    }

    /// Those of the days in `range`.
    fn within(&self, range: DateRange) -> Waiting {
        let mut total = Waiting::default();
        for w in self.0.range(range.from..=range.to).map(|(_, w)| w) {
            total.not_due += w.not_due;
            total.overdue += w.overdue;
        }
        total
    }
}

/// The follow-ups of `slice` opened since `since` and still awaiting first
/// contact, the longest waiting first, `limit` at most: whom to call back
/// first.
pub async fn longest_waiting<S: FollowUpStore + ?Sized>(
    store: &S,
    slice: &Slice,
    since: DateTime<Utc>,
    limit: usize,
) -> Result<Vec<FollowUp>, StoreError> {
    store
        .oldest_follow_ups(&open_in(slice, Some(since)), limit)
        .await
}

/// One channel's invitations and how many were answered.
#[derive(Debug, Clone)]
pub struct ChannelRate {
    pub channel: Channel,
    pub counts: ChannelCounts,
    /// Percent answered, with its interval; `None` without invitations.
    pub rate: Option<Estimate>,
}

/// Each channel's invitations, answers and responses over `range`, from
/// the `all` rows in `days`, which keep each channel's share. A day whose
/// row was written before the rows kept it (its shares fall short of its
/// totals) is read from the channel slices instead.
async fn channel_rates<S: RollupStore + ?Sized>(
    store: &S,
    days: &[(NaiveDate, Rollup)],
    range: DateRange,
) -> Result<Vec<ChannelRate>, StoreError> {
    let mut counts = [ChannelCounts::default(); Channel::ALL.len()];
    let mut older = Vec::new();
    for (day, rollup) in days.iter().filter(|(d, _)| range.contains(*d)) {
        if rollup.channels_complete() {
            for (sum, share) in counts.iter_mut().zip(&rollup.channels) {
                sum.add(share, 1);
            }
        } else {
            older.push(*day);
        }
    }
    if let (Some(&from), Some(&to)) = (older.first(), older.last()) {
        let slices = Channel::ALL.into_iter().map(Slice::Channel);
        let read = read_each(store, slices, from, to, Detail::Figures).await?;
        for (sum, channel_days) in counts.iter_mut().zip(read) {
            for (day, rollup) in channel_days {
                if older.binary_search(&day).is_ok() {
                    sum.add(&ChannelCounts::of(&rollup), 1);
                }
            }
        }
    }
    Ok(Channel::ALL
        .into_iter()
        .zip(counts)
        .filter(|(_, c)| c.invitations > 0 || c.responses > 0)
        .map(|(channel, counts)| ChannelRate {
            channel,
            counts,
            rate: metrics::response_rate(&Rollup {
                invitations: counts.invitations,
                answered: counts.answered,
                unsent: counts.unsent,
                ..Rollup::default()
            }),
        })
        .collect())
}

/// What `/v1/scores` answers.
pub struct Scores {
    pub range: DateRange,
    pub granularity: Granularity,
    pub slice: Slice,
    /// The sums of the whole range (with the questions' moments only when
    /// read with [`Detail::WithQuestions`]).
    pub total: Rollup,
    pub summary: Summary,
    pub series: Vec<(DateRange, Summary)>,
    /// The earlier period, its figures and how each headline moved.
    pub compare: Option<(DateRange, Summary, Changes)>,
    /// Per channel, for the whole business (slice `All`) only: a channel
    /// within a rep's or location's slice is not kept.
    pub channels: Option<Vec<ChannelRate>>,
    pub at: DateTime<Utc>,
}

pub async fn scores<S: RollupStore + FollowUpStore + ?Sized>(
    store: &S,
    range: DateRange,
    granularity: Granularity,
    slice: Slice,
    compare: Option<DateRange>,
    at: DateTime<Utc>,
    detail: Detail,
) -> Result<Scores, StoreError> {
    let earlier = async {
        match compare {
            Some(before) => store
                .read_rollups(&slice, before.from, before.to, detail)
                .await
                .map(|rows| Some((before, rows))),
            None => Ok(None),
        }
    };
    let (days, earlier) = futures::try_join!(
        store.read_rollups(&slice, range.from, range.to, detail),
        earlier
    )?;
    let every_day: Vec<_> = days
        .iter()
        .chain(earlier.iter().flat_map(|(_, e)| e))
        .collect();
    let awaiting = Awaiting::at(store, &slice, &every_day, at).await?;
    let summary = |days: &[(NaiveDate, Rollup)], range: DateRange| {
        Summary::of(&sum(days, range), awaiting.within(range))
    };
    let series = range
        .buckets(granularity)
        .into_iter()
        .map(|bucket| (bucket, summary(&days, bucket)))
        .collect();
    let total = sum(&days, range);
    let compare = earlier.map(|(before, earlier)| {
        let changes = Changes::between(&total, &sum(&earlier, before));
        (before, summary(&earlier, before), changes)
    });
    let channels = match slice {
        Slice::All => Some(channel_rates(store, &days, range).await?),
        _ => None,
    };
    Ok(Scores {
        summary: Summary::of(&total, awaiting.within(range)),
        total,
        range,
        granularity,
        slice,
        series,
        compare,
        channels,
        at,
    })
}

/// One rep's place on the leaderboard.
pub struct Standing {
    pub rep: Rep,
    pub rollup: Rollup,
    /// The Bayesian average the board ranks by.
    pub fair: Option<f64>,
    /// The headline figure with its interval.
    pub estimate: Option<Estimate>,
    pub too_wide: bool,
    /// The previous period's headline and the change from it.
    pub trend: Option<Change>,
    pub previous_count: i64,
    /// 1-based; `None` when unranked (too few ratings or too wide).
    pub rank: Option<usize>,
}

/// What `/v1/leaderboard` answers.
pub struct Leaderboard {
    pub range: DateRange,
    pub previous: DateRange,
    pub kind: SurveyKind,
    pub min_count: i64,
    pub tenant: Rollup,
    /// Every rep with ratings in the range, best fair score first.
    pub standings: Vec<Standing>,
    /// Every rep, by id (the dashboard's filter and names).
    pub reps: Vec<Rep>,
}

pub async fn leaderboard<S: RollupStore + RepStore + ?Sized>(
    store: &S,
    range: DateRange,
    kind: SurveyKind,
    min_count: i64,
) -> Result<Leaderboard, StoreError> {
    let previous = range.previous_period();
    // One read per rep covers both periods (may exceed the longest range
    // a request may ask for, which is fine for a read).
    let both = DateRange {
        from: previous.from,
        to: range.to,
    };
    let [tenant] = sums(store, vec![Slice::All], range, [range], Detail::Figures)
        .await?
        .pop()
        .unwrap_or_default();
    let reps = store.list_reps().await?;
    let slices = reps.iter().map(|r| Slice::Rep(r.id.clone())).collect();
    let rollups = sums(store, slices, both, [range, previous], Detail::Figures).await?;
    let mut standings: Vec<Standing> = reps
        .iter()
        .cloned()
        .zip(rollups)
        .filter(|(_, [now, _])| now.stats(kind).count > 0)
        .map(|(rep, [now, before])| {
            let stats = now.stats(kind);
            let estimate = metrics::headline_estimate(kind, stats);
            let earlier = metrics::headline_estimate(kind, before.stats(kind));
            Standing {
                rep,
                fair: metrics::fair_score(kind, stats, tenant.stats(kind)),
                too_wide: metrics::too_wide_to_rank(kind, estimate.as_ref()),
                trend: estimate.zip(earlier).map(|(e, b)| Change::between(e, b)),
                previous_count: before.stats(kind).count,
                estimate,
                rollup: now,
                rank: None,
            }
        })
        .collect();
    standings.sort_by(|a, b| {
        b.fair
            .unwrap_or(f64::MIN)
            .total_cmp(&a.fair.unwrap_or(f64::MIN))
            .then(b.rollup.stats(kind).count.cmp(&a.rollup.stats(kind).count))
    });
    let mut rank = 0;
    for s in standings.iter_mut() {
        if s.rollup.stats(kind).count >= min_count && !s.too_wide {
            rank += 1;
            s.rank = Some(rank);
        }
    }
    Ok(Leaderboard {
        range,
        previous,
        kind,
        min_count,
        tenant,
        standings,
        reps,
    })
}

/// What `/v1/drivers` answers.
pub struct Drivers {
    pub range: DateRange,
    pub slice: Slice,
    pub kind: SurveyKind,
    pub min_count: i64,
    /// Responses of the kind in the range and slice.
    pub responses: i64,
    pub drivers: Vec<Driver>,
}

pub async fn drivers<S: RollupStore + ?Sized>(
    store: &S,
    range: DateRange,
    slice: Slice,
    kind: SurveyKind,
    min_count: i64,
) -> Result<Drivers, StoreError> {
    let [total] = sums(
        store,
        vec![slice.clone()],
        range,
        [range],
        Detail::WithQuestions,
    )
    .await?
    .pop()
    .unwrap_or_default();
    Ok(Drivers::of(range, slice, kind, min_count, &total))
}

impl Drivers {
    /// The drivers of `total`, the rollup of `slice` over `range`.
    pub fn of(
        range: DateRange,
        slice: Slice,
        kind: SurveyKind,
        min_count: i64,
        total: &Rollup,
    ) -> Drivers {
        let stats = total.stats(kind);
        Drivers {
            range,
            slice,
            kind,
            min_count,
            responses: stats.count,
            drivers: feedback_core::drivers::drivers(stats, min_count),
        }
    }
}

/// Responses with a comment matching `filter`, newest first.
pub async fn comments<S: ResponseStore + ?Sized>(
    store: &S,
    mut filter: ResponseFilter,
    limit: usize,
    cursor: Option<&Cursor>,
) -> Result<Page<Response>, StoreError> {
    filter.has_comment = Some(true);
    // Held-back answers stay out of every view until released.
    filter.flagged = Some(false);
    store.list_responses(&filter, limit, cursor).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_trait::async_trait;
    use std::collections::HashMap;

    /// Rollup rows by slice, as a store would read them.
    struct Rows(HashMap<Slice, Vec<(NaiveDate, Rollup)>>);

    #[async_trait]
    impl RollupStore for Rows {
        async fn read_rollups(
            &self,
            slice: &Slice,
            from: NaiveDate,
            to: NaiveDate,
            _detail: Detail,
        ) -> Result<Vec<(NaiveDate, Rollup)>, StoreError> {
            let rows = self.0.get(slice).cloned().unwrap_or_default();
            Ok(rows
                .into_iter()
                .filter(|(d, _)| (from..=to).contains(d))
                .collect())
        }
    }

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, d).unwrap()
    }

    fn counts(invitations: i64, answered: i64) -> Rollup {
        Rollup {
            invitations,
            answered,
            ..Rollup::default()
        }
    }

    /// Days 1 and 3 were written before the `all` row kept each channel's
    /// share, day 2 after: days 1 and 3 come from the channel rows (day 2's
    /// channel row, inside their span, must not count twice).
    #[tokio::test]
    async fn channel_rates_take_older_days_from_the_channel_rows() {
        let mut with_shares = counts(5, 2);
        with_shares.channels[Channel::Sms.index()] = ChannelCounts::of(&counts(3, 2));
        with_shares.channels[Channel::Email.index()] = ChannelCounts::of(&counts(2, 0));
        let rows = Rows(HashMap::from([
            (
                Slice::All,
                vec![
                    (day(1), counts(4, 1)),
                    (day(2), with_shares),
                    (day(3), counts(1, 1)),
                ],
            ),
            (
                Slice::Channel(Channel::Sms),
                vec![
                    (day(1), counts(4, 1)),
                    (day(2), counts(3, 2)),
                    (day(3), counts(1, 1)),
                ],
            ),
            (Slice::Channel(Channel::Email), vec![(day(2), counts(2, 0))]),
        ]));
        let days = rows
            .read_rollups(&Slice::All, day(1), day(3), Detail::Figures)
            .await
            .unwrap();
        let range = DateRange::new(day(1), day(3)).unwrap();
        let rates = channel_rates(&rows, &days, range).await.unwrap();
        let got: Vec<_> = rates
            .iter()
            .map(|r| (r.channel, r.counts.invitations, r.counts.answered))
            .collect();
        assert_eq!(got, [(Channel::Sms, 8, 4), (Channel::Email, 2, 0)]);
        // Every row with its shares: no channel row is read at all.
        let only_new = [(day(2), with_shares)];
        let rates = channel_rates(&Rows(HashMap::new()), &only_new, range)
            .await
            .unwrap();
        assert_eq!(rates.len(), 2);
        assert_eq!(rates[0].counts.invitations, 3);
    }

    /// Rollup rows and open follow-ups of the whole business; remembers how
    /// many follow-ups each list returned.
    struct Queue {
        rows: Vec<(NaiveDate, Rollup)>,
        open: Vec<FollowUp>,
        listed: std::sync::Mutex<Vec<usize>>,
    }

    impl Queue {
        fn matching(&self, filter: &FollowUpFilter) -> Vec<FollowUp> {
            self.open
                .iter()
                .filter(|f| filter.matches(f))
                .cloned()
                .collect()
        }
    }

    #[async_trait]
    impl FollowUpStore for Queue {
        async fn get_follow_up(&self, _: &str) -> Result<Option<FollowUp>, StoreError> {
            unreachable!("the reports read lists")
        }

        async fn list_follow_ups(
            &self,
            filter: &FollowUpFilter,
            _: usize,
            _: Option<&Cursor>,
        ) -> Result<Page<FollowUp>, StoreError> {
            let items = self.matching(filter);
            self.listed.lock().unwrap().push(items.len());
            Ok(Page { items, next: None })
        }

        async fn oldest_follow_ups(
            &self,
            filter: &FollowUpFilter,
            limit: usize,
        ) -> Result<Vec<FollowUp>, StoreError> {
            let mut items = self.matching(filter);
            items.sort_by_key(|f| f.opened_at);
            items.truncate(limit);
            Ok(items)
        }

        async fn update_follow_up(&self, _: &FollowUp, _: &FollowUp) -> Result<(), StoreError> {
            unreachable!("the reports only read")
        }
    }

    /// A follow-up of day `d` opened at `opened` with an SLA of `sla` hours.
    fn open(id: &str, d: NaiveDate, opened: &str, sla: u32) -> FollowUp {
        let opened_at: DateTime<Utc> = opened.parse().unwrap();
        FollowUp {
            id: id.into(),
            attribution: feedback_core::model::Attribution {
                survey: SurveyKind::Csat,
                rep_id: None,
                also_rep_ids: Vec::new(),
                channel: Channel::Sms,
                location: None,
            },
            score: 1,
            status: Status::Open,
            opened_at,
            day: d,
            sla_hours: sla,
            contacted_at: None,
            resolved_at: None,
            assignee: None,
            notes: Vec::new(),
            updated_at: opened_at,
            revision: 1,
        }
    }

    /// A row counting `opened` follow-ups, `awaiting` of them still open
    /// and the rest resolved (or, `older`, written before rows counted
    /// the open ones).
    fn follow_ups(opened: i64, awaiting: i64, older: bool) -> Rollup {
        let mut r = Rollup::default();
        r.follow_up.opened = opened;
        if !older {
            r.follow_up.awaiting = awaiting;
            r.follow_up.resolved = opened - awaiting;
        }
        r
    }

    /// The rows count who awaits first contact; the queue is read only for
    /// those still inside their SLA, which opened within the longest SLA.
    #[tokio::test]
    async fn the_overdue_are_counted_by_the_rows_and_only_the_recent_queue_is_read() {
        let at: DateTime<Utc> = "2026-03-10T12:00:00Z".parse().unwrap();
        let long_ago = NaiveDate::from_ymd_opt(2026, 1, 20).unwrap();
        let queue = Queue {
            rows: vec![
                (long_ago, follow_ups(3, 2, false)),
                (day(10), follow_ups(2, 2, false)),
            ],
            open: vec![
                open("a", long_ago, "2026-01-20T10:00:00Z", 24),
                open("b", long_ago, "2026-01-20T11:00:00Z", 24),
                // Opened this morning: one inside its SLA, one past its 1 h.
                open("c", day(10), "2026-03-10T09:00:00Z", 24),
                open("d", day(10), "2026-03-10T09:00:00Z", 1),
            ],
            listed: Default::default(),
        };
        let days: Vec<_> = queue.rows.iter().collect();
        let awaiting = Awaiting::at(&queue, &Slice::All, &days, at).await.unwrap();
        let range = |from, to| DateRange::new(from, to).unwrap();
        assert_eq!(
            awaiting.within(range(long_ago, long_ago)),
            Waiting {
                not_due: 0,
                overdue: 2
            }
        );
        assert_eq!(
            awaiting.within(range(day(10), day(10))),
            Waiting {
                not_due: 1,
                overdue: 1
            }
        );
        assert_eq!(
            awaiting.within(range(long_ago, day(10))),
            Waiting {
                not_due: 1,
                overdue: 3
            }
        );
        // Only this morning's two were read, not the 49-day-old ones.
        assert_eq!(*queue.listed.lock().unwrap(), [2]);
        // Whom to call back first: the longest waiting.
        let since: DateTime<Utc> = "2026-01-01T00:00:00Z".parse().unwrap();
        let first = longest_waiting(&queue, &Slice::All, since, 3)
            .await
            .unwrap();
        let ids: Vec<_> = first.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(ids, ["a", "b", "c"]);
    }

    /// A day whose row was written before the rows counted who awaits
    /// contact is read from the whole queue; the other days still from
    /// their rows.
    #[tokio::test]
    async fn older_rows_take_their_awaiting_from_the_whole_queue() {
        let at: DateTime<Utc> = "2026-03-10T12:00:00Z".parse().unwrap();
        let queue = Queue {
            rows: vec![
                (day(1), follow_ups(3, 2, false)),
                (day(5), follow_ups(2, 0, true)),
                (day(10), follow_ups(1, 1, false)),
            ],
            open: vec![
                open("a", day(1), "2026-03-01T10:00:00Z", 24),
                open("b", day(1), "2026-03-01T10:00:00Z", 24),
                open("c", day(5), "2026-03-05T10:00:00Z", 24),
                open("d", day(10), "2026-03-10T11:00:00Z", 24),
            ],
            listed: Default::default(),
        };
        assert!(!queue.rows[1].1.follow_up.counts_awaiting());
        let days: Vec<_> = queue.rows.iter().collect();
        let awaiting = Awaiting::at(&queue, &Slice::All, &days, at).await.unwrap();
        assert_eq!(*queue.listed.lock().unwrap(), [4]);
        let per_day: Vec<_> = [1, 5, 10]
            .map(|d| awaiting.within(DateRange::new(day(d), day(d)).unwrap()))
            .map(|w| (w.not_due, w.overdue))
            .to_vec();
        assert_eq!(per_day, [(0, 2), (0, 1), (1, 0)]);
    }
}
