//! The reports' requests and answers: parsing a range and a slice from a
//! query, and rendering the figures `feedback_app::reports` computes as
//! the API's JSON.

use crate::body::Query;
use crate::error::ApiError;
use feedback_app::reports::{Drivers, Leaderboard, Scores, Standing};
use feedback_core::metrics::{self, Summary};
use feedback_core::time::{DateRange, parse_day};
use feedback_core::{
    Channel, FieldError, LocationId, RepId, Response, Rollup, Rule, Slice, SurveyKind,
};
use serde_json::{Value, json};

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

fn with_range(range: DateRange, summary: &Summary) -> Value {
    let mut v = json!(summary);
    v["start"] = json!(range.from);
    v["end"] = json!(range.to);
    v
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

/// What `/v1/scores` answers, as JSON.
pub fn scores_json(scores: &Scores, time_zone: &str) -> Value {
    let mut body = json!({
        "from": scores.range.from,
        "to": scores.range.to,
        "time_zone": time_zone,
        "granularity": scores.granularity.as_str(),
        "slice": slice_json(&scores.slice),
        "summary": scores.summary,
        "series": scores.series.iter().map(|(r, s)| with_range(*r, s)).collect::<Vec<_>>(),
    });
    if let Some((range, summary, changes)) = &scores.compare {
        body["compare"] = with_range(*range, summary);
        body["change"] = json!(changes);
    }
    if let Some(channels) = &scores.channels {
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

/// One rep's place on the board, as JSON.
fn standing_json(board: &Leaderboard, s: &Standing) -> Value {
    let stats = s.rollup.stats(board.kind);
    let mut v = json!({
        "rep_id": s.rep.id,
        "display_name": s.rep.display_name,
        "active": s.rep.active,
        "count": stats.count,
        "fair_score": s.fair,
        "headline": metrics::headline(board.kind, stats),
        "interval": s.estimate,
        "too_wide_to_rank": s.too_wide,
        "trend": s.trend,
        "previous_count": s.previous_count,
        "metrics": kind_metrics(board.kind, &s.rollup),
    });
    if let Some(rank) = s.rank {
        v["rank"] = json!(rank);
    }
    v
}

/// What `/v1/leaderboard` answers, as JSON.
pub fn leaderboard_json(board: &Leaderboard) -> Value {
    let list = |keep: &dyn Fn(&Standing) -> bool| -> Vec<Value> {
        board
            .standings
            .iter()
            .filter(|s| keep(s))
            .map(|s| standing_json(board, s))
            .collect()
    };
    let few = |s: &Standing| s.rollup.stats(board.kind).count < board.min_count;
    let stats = board.tenant.stats(board.kind);
    json!({
        "from": board.range.from,
        "to": board.range.to,
        "previous": { "from": board.previous.from, "to": board.previous.to },
        "survey": board.kind,
        "min_count": board.min_count,
        "ranking": "Bayesian average: each rep's figure shrunk toward the business's with the weight of 10 ratings; reps with fewer than min_count ratings, or whose 95% interval spans more than a quarter of the scale, are listed but not ranked",
        "tenant": { "count": stats.count, "headline": metrics::headline(board.kind, stats) },
        "reps": list(&|s| s.rank.is_some()),
        "below_min_count": list(&few),
        "too_wide_to_rank": list(&|s| s.rank.is_none() && !few(s)),
    })
}

/// What `/v1/drivers` answers, as JSON.
pub fn drivers_json(drivers: &Drivers) -> Value {
    json!({
        "from": drivers.range.from,
        "to": drivers.range.to,
        "slice": slice_json(&drivers.slice),
        "survey": drivers.kind,
        "min_count": drivers.min_count,
        "responses": drivers.responses,
        "method": "Pearson correlation of each optional answer with the main score, with Fisher's 95% interval, and the least-squares slope (main-score points per answer step); questions with fewer than min_count answers get no figure",
        "drivers": drivers.drivers,
    })
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
