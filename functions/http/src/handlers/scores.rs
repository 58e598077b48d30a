//! `GET /v1/scores`, `/v1/leaderboard` and `/v1/drivers`: each parses its
//! query, computes its figures (`feedback_app::reports`) and renders them as
//! JSON ([`crate::reports`]).

use super::{json, now};
use crate::apidoc::{P400, P503};
use crate::body::Query;
use crate::error::ApiError;
use crate::reports::{
    self, DriversView, LeaderboardView, RangeParams, ScoresView, SliceParams, required_range,
    slice, with_slice,
};
use crate::state::AppState;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use feedback_app::reports as figures;
use feedback_core::drivers::{LEAST_MIN_COUNT, MIN_COUNT};
use feedback_core::time::Granularity;
use feedback_core::{FieldError, Rule, SurveyKind};
use feedback_store::Detail;

/// The `survey` a request names, or the tenant's default.
async fn survey(state: &AppState, q: &Query) -> Result<SurveyKind, ApiError> {
    match q.parsed("survey", SurveyKind::parse)? {
        Some(kind) => Ok(kind),
        None => Ok(state.settings().await?.default_survey),
    }
}

/// `compare`'s values.
#[derive(utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[expect(dead_code, reason = "describes the parameter for the API document")]
enum Compare {
    PreviousPeriod,
    PreviousYear,
}

#[utoipa::path(
    get,
    path = "/v1/scores",
    operation_id = "getScores",
    summary = "Scores over a period, with a series and an optional comparison",
    params(
        RangeParams<true>,
        ("granularity" = Option<Granularity>, Query, description = "Series buckets (default day)"),
        SliceParams,
        ("compare" = inline(Option<Compare>), Query, description = "Also compute this period"),
    ),
    responses(
        (status = 200, description = "Scores", body = ScoresView),
        (status = 400, response = P400),
        (status = 503, response = P503),
    )
)]
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
    let report = figures::scores(
        store,
        range,
        granularity,
        slice,
        compare,
        now(),
        Detail::Figures,
    )
    .await?;
    Ok(json(
        StatusCode::OK,
        &reports::scores_view(&report, state.tenant.zone.name()),
    ))
}

#[utoipa::path(
    get,
    path = "/v1/leaderboard",
    operation_id = "getLeaderboard",
    summary = "Reps ranked by a fair score",
    params(
        RangeParams<true>,
        ("survey" = Option<SurveyKind>, Query, description = "Kind to rank by (default: the tenant's default)"),
        ("min_count" = Option<i64>, Query, minimum = 1, maximum = 1_000_000, description = "Ratings needed to be ranked (default 5)"),
    ),
    responses(
        (status = 200, description = "Leaderboard", body = LeaderboardView),
        (status = 400, response = P400),
        (status = 503, response = P503),
    )
)]
pub async fn leaderboard(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let q = Query::parse(raw.as_deref(), &["from", "to", "survey", "min_count"])?;
    let range = required_range(&q)?;
    let kind = survey(&state, &q).await?;
    let min_count = q.int("min_count", 1, 1_000_000)?.unwrap_or(5);
    let board = figures::leaderboard(state.store.as_ref(), range, kind, min_count).await?;
    Ok(json(StatusCode::OK, &reports::leaderboard_view(&board)))
}

#[utoipa::path(
    get,
    path = "/v1/drivers",
    operation_id = "getDrivers",
    summary = "Which optional question moves the main score most",
    description = "From the rollups: per optional question, the Pearson correlation of its answers with the main score (Fisher 95% interval), the slope, and the count. Below min_count a question gets no figure (verdict not_enough_data). At most one of rep_id, channel, location.",
    params(
        RangeParams<true>,
        ("survey" = Option<SurveyKind>, Query, description = "Main score's kind (default: the tenant's default)"),
        SliceParams,
        ("min_count" = Option<i64>, Query, minimum = 4, maximum = 1_000_000, description = "Answers a question needs before its figure is shown (default 30)"),
    ),
    responses(
        (status = 200, description = "Drivers", body = DriversView),
        (status = 400, response = P400),
        (status = 503, response = P503),
    )
)]
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
    Ok(json(StatusCode::OK, &reports::drivers_view(&report)))
}
