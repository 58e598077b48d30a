//! `GET /v1/scores` and `GET /v1/leaderboard`: figures from per-day rollups
//! (reads are O(days), never O(responses)).

use super::{json, now};
use crate::body::Query;
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::NaiveDate;
use feedback_core::FollowUp;
use feedback_core::followup::Status;
use feedback_core::metrics::{self, Summary, Waiting};
use feedback_core::time::{DateRange, Granularity, parse_day};
use feedback_core::{Channel, FieldError, LocationId, RepId, Rollup, Rule, Slice, SurveyKind};
use feedback_store::FollowUpFilter;
use futures::StreamExt;
use serde_json::{Value, json};

/// Reps whose rollups the leaderboard reads at once.
const READ_CONCURRENCY: usize = 8;

/// Sums the days of `days` (sorted) that fall in `range`.
fn sum(days: &[(NaiveDate, Rollup)], range: DateRange) -> Rollup {
    let mut total = Rollup::default();
    for (_, r) in days.iter().filter(|(d, _)| range.contains(*d)) {
        total.merge(r);
    }
    total
}

fn required_range(q: &Query) -> Result<DateRange, ApiError> {
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

/// The slice a request names with at most one of `rep_id`, `channel`,
/// `location`.
fn slice(q: &Query) -> Result<Slice, ApiError> {
    let named: Vec<&str> = ["rep_id", "channel", "location"]
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
fn waiting(queue: &[FollowUp], range: DateRange, at: chrono::DateTime<chrono::Utc>) -> Waiting {
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

fn slice_view(slice: &Slice) -> Value {
    match slice {
        Slice::All => Value::Null,
        Slice::Rep(id) => json!({ "rep_id": id }),
        Slice::Channel(c) => json!({ "channel": c }),
        Slice::Location(l) => json!({ "location": l }),
    }
}

fn with_range(range: DateRange, summary: &Summary) -> Value {
    let mut v = json!(summary);
    v["start"] = json!(range.from);
    v["end"] = json!(range.to);
    v
}

pub async fn scores(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let q = Query::parse(
        raw.as_deref(),
        &[
            "from",
            "to",
            "granularity",
            "rep_id",
            "channel",
            "location",
            "compare",
        ],
    )?;
    let range = required_range(&q)?;
    let granularity = q
        .parsed("granularity", Granularity::parse)?
        .unwrap_or(Granularity::Day);
    let slice = slice(&q)?;
    let compare = q.parsed("compare", |field, v| match v {
        "previous_period" => Ok(range.previous_period()),
        "previous_year" => Ok(range.previous_year()),
        _ => Err(FieldError::new(
            field,
            Rule::UnknownValue,
            "must be previous_period or previous_year",
        )),
    })?;
    let days = state
        .store
        .read_rollups(&slice, range.from, range.to)
        .await?;
    let queue = waiting_queue(&state, &slice).await?;
    let at = now();
    let summary = |days: &[(NaiveDate, Rollup)], range: DateRange| {
        Summary::of(&sum(days, range), waiting(&queue, range, at))
    };
    let series: Vec<Value> = range
        .buckets(granularity)
        .into_iter()
        .map(|bucket| with_range(bucket, &summary(&days, bucket)))
        .collect();
    let mut body = json!({
        "from": range.from,
        "to": range.to,
        "time_zone": state.tenant.zone.name(),
        "granularity": format!("{granularity:?}").to_lowercase(),
        "slice": slice_view(&slice),
        "summary": summary(&days, range),
        "series": series,
    });
    if let Some(before) = compare {
        let earlier = state
            .store
            .read_rollups(&slice, before.from, before.to)
            .await?;
        body["compare"] = with_range(before, &summary(&earlier, before));
    }
    Ok(json(StatusCode::OK, &body))
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

pub async fn leaderboard(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let q = Query::parse(raw.as_deref(), &["from", "to", "survey", "min_count"])?;
    let range = required_range(&q)?;
    let kind = match q.parsed("survey", SurveyKind::parse)? {
        Some(kind) => kind,
        None => state.settings().await?.default_survey,
    };
    let min_count = q.int("min_count", 1, 1_000_000)?.unwrap_or(5);
    let tenant = sum(
        &state
            .store
            .read_rollups(&Slice::All, range.from, range.to)
            .await?,
        range,
    );
    let reps = state.store.list_reps().await?;
    let slices: Vec<Slice> = reps.iter().map(|r| Slice::Rep(r.id.clone())).collect();
    let rollups: Vec<Result<Rollup, ApiError>> = futures::stream::iter(slices)
        .map(|slice| {
            let store = state.store.clone();
            async move {
                Ok(sum(
                    &store.read_rollups(&slice, range.from, range.to).await?,
                    range,
                ))
            }
        })
        .buffered(READ_CONCURRENCY)
        .collect()
        .await;
    let mut entries = Vec::new();
    for (rep, rollup) in reps.iter().zip(rollups) {
        let rollup = rollup?;
        let stats = rollup.stats(kind);
        if stats.count == 0 {
            continue;
        }
        entries.push((
            metrics::fair_score(kind, stats, tenant.stats(kind)),
            stats.count,
            rep,
            rollup,
        ));
    }
    entries.sort_by(|a, b| {
        b.0.unwrap_or(f64::MIN)
            .total_cmp(&a.0.unwrap_or(f64::MIN))
            .then(b.1.cmp(&a.1))
    });
    let entry = |(fair, count, rep, rollup): &(Option<f64>, i64, &feedback_core::Rep, Rollup)| {
        json!({
            "rep_id": rep.id,
            "display_name": rep.display_name,
            "active": rep.active,
            "count": count,
            "fair_score": fair,
            "headline": metrics::headline(kind, rollup.stats(kind)),
            "metrics": kind_metrics(kind, rollup),
        })
    };
    let (ranked, unranked): (Vec<_>, Vec<_>) = entries.iter().partition(|e| e.1 >= min_count);
    let ranked: Vec<Value> = ranked
        .into_iter()
        .enumerate()
        .map(|(i, e)| {
            let mut v = entry(e);
            v["rank"] = json!(i + 1);
            v
        })
        .collect();
    let body = json!({
        "from": range.from,
        "to": range.to,
        "survey": kind,
        "min_count": min_count,
        "ranking": "Bayesian average: each rep's figure shrunk toward the business's with the weight of 10 ratings",
        "tenant": { "count": tenant.stats(kind).count, "headline": metrics::headline(kind, tenant.stats(kind)) },
        "reps": ranked,
        "below_min_count": unranked.into_iter().map(entry).collect::<Vec<_>>(),
    });
    Ok(json(StatusCode::OK, &body))
}
