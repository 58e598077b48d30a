//! The figures behind `/v1/scores`, `/v1/leaderboard`, `/v1/drivers` and
//! `/v1/comments`, computed once for the API and the dashboard alike: each
//! parses its own request, then calls these, so the page can never show a
//! figure the API would not. Every figure comes from per-day rollups (reads
//! are O(days), never O(responses)); comments and the follow-up queue are
//! lists, read a page at a time.

use crate::body::Query;
use crate::error::ApiError;
use crate::state::AppState;
use chrono::{DateTime, NaiveDate, Utc};
use feedback_core::drivers::Driver;
use feedback_core::followup::Status;
use feedback_core::metrics::{self, Change, Changes, Estimate, Summary, Waiting};
use feedback_core::time::{DateRange, Granularity, parse_day};
use feedback_core::{
    Channel, FieldError, FollowUp, LocationId, Rep, RepId, Response, Rollup, Rule, Slice,
    SurveyKind,
};
use feedback_store::{Cursor, FollowUpFilter, Page, ResponseFilter};
use futures::StreamExt;
use serde_json::{Value, json};

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

/// The rollups of each of `slices` over `range`, read concurrently, each
/// summed per range of `ranges` (all inside `range`).
async fn sums<const N: usize>(
    state: &AppState,
    slices: Vec<Slice>,
    range: DateRange,
    ranges: [DateRange; N],
) -> Result<Vec<[Rollup; N]>, ApiError> {
    futures::stream::iter(slices)
        .map(|slice| {
            let store = state.store.clone();
            async move {
                let days = store.read_rollups(&slice, range.from, range.to).await?;
                Ok(ranges.map(|r| sum(&days, r)))
            }
        })
        .buffered(READ_CONCURRENCY)
        .collect::<Vec<Result<_, ApiError>>>()
        .await
        .into_iter()
        .collect()
}

/// `from` and `to` (both required), as a range.
pub fn required_range(q: &Query) -> Result<DateRange, ApiError> {
    let mut errors = Vec::new();
    let mut day = |name: &str| match q.parsed(name, parse_day) {
        Ok(Some(d)) => Some(d),
        Ok(None) => {
            errors.push(FieldError::new(
                name,
                Rule::Required,
                "is required (YYYY-MM-DD)",
            ));
            None
        }
        Err(e) => {
            errors.push(e);
            None
        }
    };
    let (from, to) = (day("from"), day("to"));
    match (from, to) {
        (Some(from), Some(to)) if errors.is_empty() => Ok(DateRange::new(from, to)?),
        _ => Err(ApiError::Invalid(errors)),
    }
}

/// The query parameters that name a slice.
const SLICE_PARAMS: [&str; 3] = ["rep_id", "channel", "location"];

/// `params` and the slice's: what a sliced report's query may name.
pub fn with_slice(params: &[&'static str]) -> Vec<&'static str> {
    params.iter().copied().chain(SLICE_PARAMS).collect()
}

/// The slice a request names with at most one of `rep_id`, `channel`,
/// `location`.
pub fn slice(q: &Query) -> Result<Slice, ApiError> {
    let named: Vec<&str> = SLICE_PARAMS
        .into_iter()
        .filter(|n| q.get(n).is_some())
        .collect();
    if named.len() > 1 {
        return Err(FieldError::new(
            named[1],
            Rule::BadFormat,
            "give at most one of rep_id, channel, location",
        )
        .into());
    }
    Ok(if let Some(rep) = q.parsed("rep_id", RepId::parse)? {
        Slice::Rep(rep)
    } else if let Some(channel) = q.parsed("channel", Channel::parse)? {
        Slice::Channel(channel)
    } else if let Some(location) = q.parsed("location", LocationId::parse)? {
        Slice::Location(location)
    } else {
        Slice::All
    })
}

pub fn slice_json(slice: &Slice) -> Value {
    match slice {
        Slice::All => Value::Null,
        Slice::Rep(id) => json!({ "rep_id": id }),
        Slice::Channel(c) => json!({ "channel": c }),
        Slice::Location(l) => json!({ "location": l }),
    }
}

/// Every follow-up of `slice` awaiting first contact: the queue, which
/// the rollups cannot split into due and overdue.
async fn waiting_queue(state: &AppState, slice: &Slice) -> Result<Vec<FollowUp>, ApiError> {
    let mut filter = FollowUpFilter {
        status: Some(Status::Open),
        ..Default::default()
    };
    match slice {
        Slice::All => {}
        Slice::Rep(id) => filter.rep_id = Some(id.clone()),
        Slice::Channel(c) => filter.channel = Some(*c),
        Slice::Location(l) => filter.location = Some(l.clone()),
    }
    let mut queue = Vec::new();
    let mut cursor = None;
    loop {
        let page = state
            .store
            .list_follow_ups(&filter, feedback_store::MAX_PAGE, cursor.as_ref())
            .await?;
        queue.extend(page.items);
        match page.next {
            Some(next) => cursor = Some(next),
            None => return Ok(queue),
        }
    }
}

/// The queue's follow-ups opened in `range`, due or overdue at `at`.
fn waiting(queue: &[FollowUp], range: DateRange, at: DateTime<Utc>) -> Waiting {
    let mut w = Waiting::default();
    for f in queue.iter().filter(|f| range.contains(f.day)) {
        if f.is_overdue(at) {
            w.overdue += 1;
        } else {
            w.not_due += 1;
        }
    }
    w
}

fn with_range(range: DateRange, summary: &Summary) -> Value {
    let mut v = json!(summary);
    v["start"] = json!(range.from);
    v["end"] = json!(range.to);
    v
}

/// One channel's invitations and how many were answered.
#[derive(Debug, Clone)]
pub struct ChannelRate {
    pub channel: Channel,
    pub invitations: i64,
    pub answered: i64,
    pub responses: i64,
    /// Percent answered, with its interval; `None` without invitations.
    pub rate: Option<Estimate>,
}

/// What `/v1/scores` answers.
pub struct Scores {
    pub range: DateRange,
    pub granularity: Granularity,
    pub slice: Slice,
    /// The sums of the whole range.
    pub total: Rollup,
    pub summary: Summary,
    pub series: Vec<(DateRange, Summary)>,
    /// The earlier period, its figures and how each headline moved.
    pub compare: Option<(DateRange, Summary, Changes)>,
    /// Per channel, for the whole business (slice `All`) only: a channel
    /// within a rep's or location's slice is not kept.
    pub channels: Option<Vec<ChannelRate>>,
    /// The slice's follow-ups awaiting first contact, oldest first.
    pub queue: Vec<FollowUp>,
    pub at: DateTime<Utc>,
}

pub async fn scores(
    state: &AppState,
    range: DateRange,
    granularity: Granularity,
    slice: Slice,
    compare: Option<DateRange>,
    at: DateTime<Utc>,
) -> Result<Scores, ApiError> {
    let days = state
        .store
        .read_rollups(&slice, range.from, range.to)
        .await?;
    let mut queue = waiting_queue(state, &slice).await?;
    queue.sort_by_key(|f| f.opened_at);
    let summary = |days: &[(NaiveDate, Rollup)], range: DateRange| {
        Summary::of(&sum(days, range), waiting(&queue, range, at))
    };
    let series = range
        .buckets(granularity)
        .into_iter()
        .map(|bucket| (bucket, summary(&days, bucket)))
        .collect();
    let total = sum(&days, range);
    let compare = match compare {
        Some(before) => {
            let earlier = state
                .store
                .read_rollups(&slice, before.from, before.to)
                .await?;
            let changes = Changes::between(&total, &sum(&earlier, before));
            Some((before, summary(&earlier, before), changes))
        }
        None => None,
    };
    let channels = match slice {
        Slice::All => {
            let slices = Channel::ALL.into_iter().map(Slice::Channel).collect();
            let rollups = sums(state, slices, range, [range]).await?;
            Some(
                Channel::ALL
                    .into_iter()
                    .zip(rollups)
                    .filter(|(_, [r])| r.invitations > 0 || r.responses() > 0)
                    .map(|(channel, [r])| ChannelRate {
                        channel,
                        invitations: r.invitations,
                        answered: r.answered,
                        responses: r.responses(),
                        rate: metrics::response_rate(&r),
                    })
                    .collect(),
            )
        }
        _ => None,
    };
    Ok(Scores {
        summary: Summary::of(&total, waiting(&queue, range, at)),
        total,
        range,
        granularity,
        slice,
        series,
        compare,
        channels,
        queue,
        at,
    })
}

impl Scores {
    pub fn to_json(&self, time_zone: &str) -> Value {
        let mut body = json!({
            "from": self.range.from,
            "to": self.range.to,
            "time_zone": time_zone,
            "granularity": self.granularity.as_str(),
            "slice": slice_json(&self.slice),
            "summary": self.summary,
            "series": self.series.iter().map(|(r, s)| with_range(*r, s)).collect::<Vec<_>>(),
        });
        if let Some((range, summary, changes)) = &self.compare {
            body["compare"] = with_range(*range, summary);
            body["change"] = json!(changes);
        }
        if let Some(channels) = &self.channels {
            body["channels"] = channels
                .iter()
                .map(|c| {
                    json!({
                        "channel": c.channel,
                        "invitations": c.invitations,
                        "answered": c.answered,
                        "responses": c.responses,
                        "response_rate": c.rate,
                    })
                })
                .collect();
        }
        body
    }
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

pub async fn leaderboard(
    state: &AppState,
    range: DateRange,
    kind: SurveyKind,
    min_count: i64,
) -> Result<Leaderboard, ApiError> {
    let previous = range.previous_period();
    // One read per rep covers both periods (may exceed the longest range
    // a request may ask for, which is fine for a read).
    let both = DateRange {
        from: previous.from,
        to: range.to,
    };
    let [tenant] = sums(state, vec![Slice::All], range, [range])
        .await?
        .pop()
        .unwrap_or_default();
    let reps = state.store.list_reps().await?;
    let slices = reps.iter().map(|r| Slice::Rep(r.id.clone())).collect();
    let rollups = sums(state, slices, both, [range, previous]).await?;
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

/// The kind's metrics as JSON.
fn kind_metrics(kind: SurveyKind, rollup: &Rollup) -> Value {
    let stats = rollup.stats(kind);
    match kind {
        SurveyKind::Csat => json!(metrics::csat(stats)),
        SurveyKind::Nps => json!(metrics::nps(stats)),
        SurveyKind::Ces => json!(metrics::ces(stats)),
    }
}

impl Leaderboard {
    fn standing_json(&self, s: &Standing) -> Value {
        let stats = s.rollup.stats(self.kind);
        let mut v = json!({
            "rep_id": s.rep.id,
            "display_name": s.rep.display_name,
            "active": s.rep.active,
            "count": stats.count,
            "fair_score": s.fair,
            "headline": metrics::headline(self.kind, stats),
            "interval": s.estimate,
            "too_wide_to_rank": s.too_wide,
            "trend": s.trend,
            "previous_count": s.previous_count,
            "metrics": kind_metrics(self.kind, &s.rollup),
        });
        if let Some(rank) = s.rank {
            v["rank"] = json!(rank);
        }
        v
    }

    pub fn to_json(&self) -> Value {
        let list = |keep: &dyn Fn(&Standing) -> bool| -> Vec<Value> {
            self.standings
                .iter()
                .filter(|s| keep(s))
                .map(|s| self.standing_json(s))
                .collect()
        };
        let few = |s: &Standing| s.rollup.stats(self.kind).count < self.min_count;
        let stats = self.tenant.stats(self.kind);
        json!({
            "from": self.range.from,
            "to": self.range.to,
            "previous": { "from": self.previous.from, "to": self.previous.to },
            "survey": self.kind,
            "min_count": self.min_count,
            "ranking": "Bayesian average: each rep's figure shrunk toward the business's with the weight of 10 ratings; reps with fewer than min_count ratings, or whose 95% interval spans more than a quarter of the scale, are listed but not ranked",
            "tenant": { "count": stats.count, "headline": metrics::headline(self.kind, stats) },
            "reps": list(&|s| s.rank.is_some()),
            "below_min_count": list(&few),
            "too_wide_to_rank": list(&|s| s.rank.is_none() && !few(s)),
        })
    }
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

pub async fn drivers(
    state: &AppState,
    range: DateRange,
    slice: Slice,
    kind: SurveyKind,
    min_count: i64,
) -> Result<Drivers, ApiError> {
    let [total] = sums(state, vec![slice.clone()], range, [range])
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

    pub fn to_json(&self) -> Value {
        json!({
            "from": self.range.from,
            "to": self.range.to,
            "slice": slice_json(&self.slice),
            "survey": self.kind,
            "min_count": self.min_count,
            "responses": self.responses,
            "method": "Pearson correlation of each optional answer with the main score, with Fisher's 95% interval, and the least-squares slope (main-score points per answer step); questions with fewer than min_count answers get no figure",
            "drivers": self.drivers,
        })
    }
}

/// Responses with a comment matching `filter`, newest first.
pub async fn comments(
    state: &AppState,
    mut filter: ResponseFilter,
    limit: usize,
    cursor: Option<&Cursor>,
) -> Result<Page<Response>, ApiError> {
    filter.has_comment = Some(true);
    // Held-back answers stay out of every view until released.
    filter.flagged = Some(false);
    Ok(state.store.list_responses(&filter, limit, cursor).await?)
}

/// What a comment list shows of a response.
pub fn comment_json(r: &Response) -> Value {
    let kind = r.attribution.survey;
    json!({
        "id": r.id,
        "submitted_at": r.submitted_at,
        "survey": kind,
        "score": r.score,
        "band": kind.band(r.score),
        "comment": r.comment,
        "rep_id": r.attribution.rep_id,
        "channel": r.attribution.channel,
        "location": r.attribution.location,
        "locale": r.locale,
    })
}
