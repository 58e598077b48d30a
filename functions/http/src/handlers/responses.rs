//! `GET /v1/responses`: responses newest first, filtered, with a cursor.

use super::json;
use crate::body::{Query, take};
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use feedback_core::time::{DateRange, parse_day};
use feedback_core::{Channel, FieldError, LocationId, RepId, Response as Rating, Rule, SurveyKind};
use feedback_store::{Cursor, ResponseFilter};
use serde_json::{Value, json};

pub fn view(r: &Rating) -> Value {
    json!({
        "id": r.id,
        "code": r.code,
        "survey": r.attribution.survey,
        "rep_id": r.attribution.rep_id,
        "channel": r.attribution.channel,
        "location": r.attribution.location,
        "score": r.score,
        "answers": r.answers,
        "comment": r.comment,
        "locale": r.locale,
        "submitted_at": r.submitted_at,
        "edited_at": r.edited_at,
    })
}

const PARAMS: [&str; 11] = [
    "from",
    "to",
    "rep_id",
    "channel",
    "location",
    "survey",
    "min_score",
    "max_score",
    "has_comment",
    "limit",
    "cursor",
];

pub async fn list(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let q = Query::parse(raw.as_deref(), &PARAMS)?;
    let mut errors: Vec<FieldError> = Vec::new();
    let from = take(&mut errors, q.parsed("from", parse_day));
    let to = take(&mut errors, q.parsed("to", parse_day));
    let filter_survey = take(&mut errors, q.parsed("survey", SurveyKind::parse));
    let rep_id = take(&mut errors, q.parsed("rep_id", RepId::parse));
    let channel = take(&mut errors, q.parsed("channel", Channel::parse));
    let location = take(&mut errors, q.parsed("location", LocationId::parse));
    let min_score = take(&mut errors, q.int("min_score", 0, 10));
    let max_score = take(&mut errors, q.int("max_score", 0, 10));
    let has_comment = take(&mut errors, q.bool("has_comment"));
    let limit = take(
        &mut errors,
        q.int("limit", 1, feedback_store::MAX_PAGE as i64),
    )
    .unwrap_or(50);
    let cursor = take(&mut errors, q.parsed("cursor", Cursor::parse));
    if let (Some(f), Some(t)) = (from, to)
        && t < f
    {
        errors.push(FieldError::new(
            "to",
            Rule::OutOfRange,
            "must not be before 'from'",
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::Invalid(errors));
    }
    let zone = &state.tenant.zone;
    let instants = |day| zone.instants(DateRange { from: day, to: day });
    let filter = ResponseFilter {
        from: from.map(|d| instants(d).0),
        before: to.map(|d| instants(d).1),
        rep_id,
        channel,
        location,
        survey: filter_survey,
        min_score: min_score.map(|s| s as u8),
        max_score: max_score.map(|s| s as u8),
        has_comment,
    };
    let page = state
        .store
        .list_responses(&filter, limit as usize, cursor.as_ref())
        .await?;
    let body = json!({
        "responses": page.items.iter().map(view).collect::<Vec<_>>(),
        "next_cursor": page.next.map(|c| c.encode()),
    });
    Ok(json(StatusCode::OK, &body))
}
