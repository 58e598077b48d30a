//! `GET /v1/responses`: responses newest first, filtered, with a cursor;
//! the same list as CSV; `GET /v1/comments`, the responses with a comment,
//! by score band; and `PATCH /v1/responses/{id}`, which releases a flagged
//! response into the scores.

use super::json;
use crate::apidoc::{P400, P404, P415, P503, query_param, schema_ref};
use crate::body::{self, Object, Query, Segment, take};
use crate::error::ApiError;
use crate::reports::{CommentPage, CommentView, PageParams, RangeParams, SliceParams};
use crate::state::AppState;
use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use feedback_app::responses;
use feedback_core::csv;
use feedback_core::links::code_of_response;
use feedback_core::model::{self, ResponseView};
use feedback_core::time::{DateRange, TenantZone, parse_day};
use feedback_core::{Band, Channel, FieldError, LocationId, RepId, Rule, SurveyKind};
use feedback_store::{Cursor, ResponseFilter};
use serde::Serialize;
use utoipa::IntoParams;
use utoipa::openapi::path::{Parameter, ParameterIn};
use utoipa::openapi::schema::{ObjectBuilder, Type};

/// Page sizes when a request names none.
const LIST_PAGE: i64 = 50;
const COMMENT_PAGE: i64 = 20;

const FILTERS: [&str; 10] = [
    "from",
    "to",
    "rep_id",
    "channel",
    "location",
    "survey",
    "min_score",
    "max_score",
    "has_comment",
    "flagged",
];

/// The list's filters and cursor, every bad one named.
fn filter(
    q: &Query,
    errors: &mut Vec<FieldError>,
    zone: &TenantZone,
) -> (ResponseFilter, Option<Cursor>) {
    let from = take(errors, q.parsed("from", parse_day));
    let to = take(errors, q.parsed("to", parse_day));
    let filter_survey = take(errors, q.parsed("survey", SurveyKind::parse));
    let rep_id = take(errors, q.parsed("rep_id", RepId::parse));
    let channel = take(errors, q.parsed("channel", Channel::parse));
    let location = take(errors, q.parsed("location", LocationId::parse));
    let min_score = take(errors, q.int("min_score", 0, 10));
    let max_score = take(errors, q.int("max_score", 0, 10));
    let has_comment = take(errors, q.bool("has_comment"));
    // Flagged answers are held back until a person releases them: listed
    // only when asked for.
    let flagged = take(errors, q.bool("flagged")).unwrap_or(false);
    let cursor = take(errors, q.parsed("cursor", Cursor::parse));
    if let (Some(f), Some(t)) = (from, to)
        && t < f
    {
        errors.push(FieldError::new(
            "to",
            Rule::OutOfRange,
            "must not be before 'from'",
        ));
    }
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
        flagged: Some(flagged),
    };
    (filter, cursor)
}

/// [`FILTERS`] in the API document.
struct FilterParams;

impl IntoParams for FilterParams {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        let score = || {
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(0))
                .maximum(Some(10))
        };
        let boolean = || ObjectBuilder::new().schema_type(Type::Boolean);
        let mut params = RangeParams::<false>::into_params(|| None);
        params.extend(SliceParams::into_params(|| None));
        params.extend([
            query_param("survey", "Only this kind", schema_ref::<SurveyKind>()),
            query_param("min_score", "", score()),
            query_param("max_score", "", score()),
            query_param("has_comment", "", boolean()),
            query_param(
                "flagged",
                "true: only responses held back for review; default false: only counted ones",
                boolean(),
            ),
        ]);
        params
    }
}

fn params(extra: &[&'static str]) -> Vec<&'static str> {
    FILTERS
        .iter()
        .chain(extra)
        .copied()
        .chain(["cursor"])
        .collect()
}

/// One page of responses.
#[derive(Serialize, utoipa::ToSchema)]
struct ResponsePage<'a> {
    responses: Vec<ResponseView<'a>>,
    /// Pass as `cursor` for the next page; null on the last.
    next_cursor: Option<String>,
}

#[utoipa::path(
    get,
    path = "/v1/responses",
    operation_id = "listResponses",
    summary = "Responses, newest first",
    params(
        FilterParams,
        PageParams<LIST_PAGE>,
    ),
    responses(
        (status = 200, description = "One page", body = ResponsePage),
        (status = 400, response = P400),
        (status = 503, response = P503),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let q = Query::parse(raw.as_deref(), &params(&["limit"]))?;
    let mut errors: Vec<FieldError> = Vec::new();
    let (filter, cursor) = filter(&q, &mut errors, &state.tenant.zone);
    let limit = take(
        &mut errors,
        q.int("limit", 1, feedback_store::MAX_PAGE as i64),
    )
    .unwrap_or(LIST_PAGE);
    if !errors.is_empty() {
        return Err(ApiError::Invalid(errors));
    }
    let page = state
        .store
        .list_responses(&filter, limit as usize, cursor.as_ref())
        .await?;
    let body = ResponsePage {
        responses: page.items.iter().map(model::Response::view).collect(),
        next_cursor: page.next.map(|c| c.encode()),
    };
    Ok(json(StatusCode::OK, &body))
}

/// `GET /v1/comments`: recent comments, newest first, optionally of one
/// score band (which needs one survey kind: the tenant's default unless
/// `survey` names one).
#[utoipa::path(
    get,
    path = "/v1/comments",
    operation_id = "listComments",
    summary = "Recent comments, newest first",
    description = "Responses with a comment, with score, band, rep, channel and locale. `band` picks unhappy, neutral or happy by the metric's own cut-offs (CSAT 1-2/3/4-5, NPS 0-6/7-8/9-10, CES 1-3/4/5-7) of `survey` (default: the tenant's default).",
    params(
        RangeParams<false>,
        ("survey" = Option<SurveyKind>, Query, description = "Only this kind"),
        ("band" = Option<Band>, Query, description = "Only this score band"),
        SliceParams,
        PageParams<COMMENT_PAGE>,
    ),
    responses(
        (status = 200, description = "Comments", body = CommentPage),
        (status = 400, response = P400),
        (status = 503, response = P503),
    )
)]
pub async fn comments(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let q = Query::parse(
        raw.as_deref(),
        &[
            "from", "to", "rep_id", "channel", "location", "survey", "band", "limit", "cursor",
        ],
    )?;
    let mut errors: Vec<FieldError> = Vec::new();
    let (mut filter, cursor) = filter(&q, &mut errors, &state.tenant.zone);
    let band = take(&mut errors, q.parsed("band", Band::parse));
    let limit = take(
        &mut errors,
        q.int("limit", 1, feedback_store::MAX_PAGE as i64),
    )
    .unwrap_or(COMMENT_PAGE);
    if !errors.is_empty() {
        return Err(ApiError::Invalid(errors));
    }
    if let Some(band) = band {
        let kind = match filter.survey {
            Some(kind) => kind,
            None => state.settings().await?.default_survey,
        };
        let (low, high) = kind.band_scores(band);
        (filter.survey, filter.min_score, filter.max_score) = (Some(kind), Some(low), Some(high));
    }
    let store = state.store.as_ref();
    let page =
        feedback_app::reports::comments(store, filter, limit as usize, cursor.as_ref()).await?;
    let body = CommentPage {
        comments: page.items.iter().map(CommentView::from).collect(),
        next_cursor: page.next.map(|c| c.encode()),
    };
    Ok(json(StatusCode::OK, &body))
}

/// Bytes of CSV one export answer carries: under Lambda's 6 MB response
/// limit. Larger exports continue from the `Link: rel="next"` URL.
const EXPORT_BUDGET: usize = 5 * 1024 * 1024;

/// `GET /v1/responses/export.csv`: the list's filters, as RFC 4180 CSV.
#[utoipa::path(
    get,
    path = "/v1/responses/export.csv",
    operation_id = "exportResponses",
    summary = "Responses as CSV (RFC 4180, UTF-8), with the list's filters",
    description = "Columns: id, code, submitted_at, edited_at, survey, score, rep_id, also_rep_ids (the other reps credited, separated by spaces), channel, location, locale, friendliness, speed, knowledge, resolved, expectations, comment. Text cells that a spreadsheet would read as a formula (starting with =, +, -, @, tab or CR) get a leading apostrophe. One answer carries up to 5 MiB; a `Link: <…>; rel=\"next\"` header then names the URL of the rest.",
    params(
        FilterParams,
        ("bom" = Option<bool>, Query, description = "Start with a UTF-8 byte-order mark (for spreadsheet programs that need one)"),
        ("cursor" = Option<String>, Query, min_length = 1, description = "`next_cursor` of the previous page"),
    ),
    responses(
        (status = 200, description = "CSV", content((String = "text/csv")), headers(
            ("Link" = String, description = "The rest of a large export"),
        )),
        (status = 400, response = P400),
        (status = 503, response = P503),
    )
)]
pub async fn export(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let q = Query::parse(raw.as_deref(), &params(&["bom"]))?;
    let mut errors: Vec<FieldError> = Vec::new();
    let (filter, mut cursor) = filter(&q, &mut errors, &state.tenant.zone);
    let bom = take(&mut errors, q.bool("bom")).unwrap_or(false);
    if !errors.is_empty() {
        return Err(ApiError::Invalid(errors));
    }
    let mut out = String::new();
    if bom {
        out.push_str(csv::BOM);
    }
    csv::header(&mut out);
    loop {
        let page = state
            .store
            .list_responses(&filter, feedback_store::MAX_PAGE, cursor.as_ref())
            .await?;
        for r in &page.items {
            csv::row(&mut out, r);
        }
        cursor = page.next;
        if cursor.is_none() || out.len() >= EXPORT_BUDGET {
            break;
        }
    }
    let mut response = (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"responses.csv\"",
            ),
            (header::CACHE_CONTROL, "no-store"),
        ],
        out,
    )
        .into_response();
    if let Some(next) = cursor {
        let mut query: Vec<String> = raw
            .as_deref()
            .unwrap_or("")
            .split('&')
            .filter(|p| !p.is_empty() && !p.starts_with("cursor="))
            .map(str::to_owned)
            .collect();
        query.push(format!("cursor={}", next.encode()));
        let link = format!(
            "</v1/responses/export.csv?{}>; rel=\"next\"",
            query.join("&")
        );
        if let Ok(value) = HeaderValue::from_str(&link) {
            response.headers_mut().insert(header::LINK, value);
        }
    }
    Ok(response)
}

/// The fields of `PATCH /v1/responses/{id}`.
pub const RELEASE_FIELDS: [&str; 1] = ["flagged"];

/// What `PATCH /v1/responses/{id}` takes: `{"flagged": false}`, as
/// [`release`] reads it; only its schema is used.
#[derive(utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[expect(dead_code, reason = "describes the body for the API document")]
struct ReleaseInput {
    #[schema(schema_with = only_false)]
    flagged: bool,
}

fn only_false() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Boolean)
        .enum_values(Some([false]))
}

/// `PATCH /v1/responses/{id}` with `{"flagged": false}`: lets a flagged
/// response into the scores, once however often it is sent.
#[utoipa::path(
    patch,
    path = "/v1/responses/{id}",
    operation_id = "releaseResponse",
    summary = "Release a flagged response into the scores (once, however often sent)",
    params(("id" = String, Path, description = "The response's id")),
    request_body = ReleaseInput,
    responses(
        (status = 200, description = "The response as now stored", body = ResponseView),
        (status = 400, response = P400),
        (status = 404, response = P404),
        (status = 415, response = P415),
        (status = 503, response = P503),
    )
)]
pub async fn release(
    State(state): State<AppState>,
    Segment(id): Segment,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let not_found = || ApiError::NotFound("no such response");
    let code = code_of_response(&id).ok_or_else(not_found)?;
    let map = body::read_json(&headers, body).await?;
    let o = Object::new("", &map);
    let mut errors = o.unknown_fields(&RELEASE_FIELDS);
    match take(&mut errors, o.bool("flagged")) {
        Some(false) => {}
        _ if !errors.is_empty() => {}
        _ => errors.push(FieldError::new(
            "flagged",
            Rule::OutOfRange,
            "must be false: a response is released, never flagged by hand",
        )),
    }
    if !errors.is_empty() {
        return Err(ApiError::Invalid(errors));
    }
    let settings = state.settings().await?;
    let released = responses::release(state.store.as_ref(), &settings, &code, &id)
        .await?
        .ok_or_else(not_found)?;
    Ok(json(StatusCode::OK, &released.view()))
}
