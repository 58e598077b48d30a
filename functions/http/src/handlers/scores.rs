//! `GET /v1/scores`, `/v1/leaderboard` and `/v1/drivers`: each parses its
//! query, computes its figures (`feedback_app::reports`) and renders them as
//! JSON ([`crate::reports`]).

use super::{json, now};
use crate::body::Query;
use crate::error::ApiError;
use crate::reports::{self, required_range, slice, with_slice};
use crate::state::AppState;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use feedback_app::reports as figures;
use feedback_core::drivers::{LEAST_MIN_COUNT, MIN_COUNT};
use feedback_core::time::Granularity;
use feedback_core::{FieldError, Rule, SurveyKind};

/// The `survey` a request names, or the tenant's default.
async fn survey(state: &AppState, q: &Query) -> Result<SurveyKind, ApiError> {
    match q.parsed("survey", SurveyKind::parse)? {
        Some(kind) => Ok(kind),
        None => Ok(state.settings().await?.default_survey),
    }
}

pub async fn scores(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let q = Query::parse(
        raw.as_deref(),
        &with_slice(&["from", "to", "granularity", "compare"]),
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
    let store = state.store.as_ref();
    let report = figures::scores(store, range, granularity, slice, compare, now()).await?;
    Ok(json(
        StatusCode::OK,
        &reports::scores_json(&report, state.tenant.zone.name()),
    ))
}

pub async fn leaderboard(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let q = Query::parse(raw.as_deref(), &["from", "to", "survey", "min_count"])?;
    let range = required_range(&q)?;
    let kind = survey(&state, &q).await?;
    let min_count = q.int("min_count", 1, 1_000_000)?.unwrap_or(5);
    let board = figures::leaderboard(state.store.as_ref(), range, kind, min_count).await?;
    Ok(json(StatusCode::OK, &reports::leaderboard_json(&board)))
}

pub async fn drivers(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let q = Query::parse(
        raw.as_deref(),
        &with_slice(&["from", "to", "survey", "min_count"]),
    )?;
    let range = required_range(&q)?;
    let slice = slice(&q)?;
    let kind = survey(&state, &q).await?;
    let min_count = q
        .int("min_count", LEAST_MIN_COUNT, 1_000_000)?
        .unwrap_or(MIN_COUNT);
    let report = figures::drivers(state.store.as_ref(), range, slice, kind, min_count).await?;
    Ok(json(StatusCode::OK, &reports::drivers_json(&report)))
}
