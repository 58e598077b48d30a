//! `POST /v1/links`, `GET /v1/links`, `GET /v1/links/{code}` and
//! `PATCH /v1/links/{code}`: reusable links for places and people.

use super::{json, now};
use crate::apidoc::{P400, P404, P415, P422, P503};
use crate::body::{self, Object, Segment, take};
use crate::error::ApiError;
use crate::state::AppState;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::{DateTime, Utc};
use feedback_core::links::{LinkPatch, NewLink};
use feedback_core::{Channel, Code, Link, Locale, LocationId, RepId, SurveyKind};
use serde::Serialize;

/// A link as the API shows it, with the URL to print on a card or a QR
/// code.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Link)]
struct LinkView<'a> {
    #[schema(value_type = String)]
    code: &'a Code,
    url: String,
    label: Option<&'a str>,
    #[schema(value_type = Option<String>)]
    rep_id: Option<&'a RepId>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    #[schema(value_type = Vec<String>)]
    also_rep_ids: &'a [RepId],
    channel: Channel,
    #[schema(value_type = Option<String>)]
    location: Option<&'a LocationId>,
    survey: SurveyKind,
    #[schema(value_type = Option<String>)]
    locale: Option<&'a Locale>,
    created_at: DateTime<Utc>,
    expires_at: Option<DateTime<Utc>>,
    daily_cap: Option<u32>,
    active: bool,
}

#[derive(Serialize, utoipa::ToSchema)]
struct LinkList<'a> {
    links: Vec<LinkView<'a>>,
}

fn view<'a>(link: &'a Link, state: &AppState, headers: &HeaderMap) -> LinkView<'a> {
    LinkView {
        code: &link.code,
        url: state.tenant.link(&link.code, headers),
        label: link.label.as_deref(),
        rep_id: link.attribution.rep_id.as_ref(),
        also_rep_ids: &link.attribution.also_rep_ids,
        channel: link.attribution.channel,
        location: link.attribution.location.as_ref(),
        survey: link.attribution.survey,
        locale: link.locale.as_ref(),
        created_at: link.created_at,
        expires_at: link.expires_at,
        daily_cap: link.daily_cap,
        active: link.active,
    }
}

/// The fields of `PATCH /v1/links/{code}`.
pub const PATCH_FIELDS: [&str; 4] = ["active", "label", "expires_at", "daily_cap"];

/// The fields of `POST /v1/links`.
pub const FIELDS: [&str; 9] = [
    "channel",
    "rep_id",
    "also_rep_ids",
    "location",
    "survey",
    "locale",
    "label",
    "expires_at",
    "daily_cap",
];

#[utoipa::path(
    post,
    path = "/v1/links",
    operation_id = "createLink",
    summary = "Create a reusable link for a place or person (QR code, counter, web page)",
    request_body = NewLink,
    responses(
        (status = 201, description = "Created", body = LinkView),
        (status = 400, response = P400),
        (status = 415, response = P415),
        (status = 422, response = P422),
        (status = 503, response = P503),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let map = body::read_json(&headers, body).await?;
    let o = Object::new("", &map);
    let mut errors = o.unknown_fields(&FIELDS);
    let also_rep_ids = take(&mut errors, o.strings("also_rep_ids"));
    let mut get = |name: &str| take(&mut errors, o.string(name));
    let input = NewLink {
        channel: get("channel"),
        rep_id: get("rep_id"),
        also_rep_ids,
        location: get("location"),
        survey: get("survey"),
        locale: get("locale"),
        label: get("label"),
        expires_at: get("expires_at"),
        daily_cap: take(&mut errors, o.int("daily_cap")),
    };
    let settings = state.settings().await?;
    let code = Code::generate().map_err(|e| ApiError::Internal(e.to_string()))?;
    let link = body::combine(errors, input.validate(code, settings.default_survey, now()))?;
    let unknown = feedback_app::invitations::rep_problems(
        state.store.as_ref(),
        link.attribution.named_reps(),
    )
    .await?;
    if !unknown.is_empty() {
        return Err(ApiError::Unprocessable(unknown));
    }
    state.store.create_link(&link).await?;
    Ok(json(StatusCode::CREATED, &view(&link, &state, &headers)))
}

#[utoipa::path(
    get,
    path = "/v1/links",
    operation_id = "listLinks",
    summary = "Every reusable link, newest first",
    responses(
        (status = 200, description = "The links", body = LinkList),
        (status = 503, response = P503),
    )
)]
pub async fn list(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    let links = state.store.list_links().await?;
    let links = links.iter().map(|l| view(l, &state, &headers)).collect();
    Ok(json(StatusCode::OK, &LinkList { links }))
}

async fn find(state: &AppState, raw: &str) -> Result<Link, ApiError> {
    let not_found = || ApiError::NotFound("no such link");
    let code = Code::parse("code", raw).map_err(|_| not_found())?;
    state.store.get_link(&code).await?.ok_or_else(not_found)
}

#[utoipa::path(
    get,
    path = "/v1/links/{code}",
    operation_id = "getLink",
    summary = "One reusable link",
    params(("code" = String, Path, description = "The link's code")),
    responses(
        (status = 200, description = "The link", body = LinkView),
        (status = 404, response = P404),
        (status = 503, response = P503),
    )
)]
pub async fn get(
    State(state): State<AppState>,
    Segment(raw): Segment,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let link = find(&state, &raw).await?;
    Ok(json(StatusCode::OK, &view(&link, &state, &headers)))
}

/// Disables or enables a link, or changes its label, expiry or daily cap.
/// What it is counted under (rep, location, channel, survey) is fixed.
#[utoipa::path(
    patch,
    path = "/v1/links/{code}",
    operation_id = "patchLink",
    summary = "Disable, enable, relabel, expire or cap a reusable link",
    params(("code" = String, Path, description = "The link's code")),
    request_body = LinkPatch,
    responses(
        (status = 200, description = "The link as changed", body = LinkView),
        (status = 400, response = P400),
        (status = 404, response = P404),
        (status = 415, response = P415),
        (status = 503, response = P503),
    )
)]
pub async fn patch(
    State(state): State<AppState>,
    Segment(raw): Segment,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let link = find(&state, &raw).await?;
    let map = body::read_json(&headers, body).await?;
    let o = Object::new("", &map);
    let mut errors = o.unknown_fields(&PATCH_FIELDS);
    let patch = LinkPatch {
        active: take(&mut errors, o.bool("active")),
        label: take(&mut errors, o.nullable_string("label")),
        expires_at: take(&mut errors, o.nullable_string("expires_at")),
        daily_cap: take(&mut errors, o.nullable_int("daily_cap")),
    };
    let next = body::combine(errors, patch.apply(&link, now()))?;
    state.store.update_link(&link, &next).await?;
    Ok(json(StatusCode::OK, &view(&next, &state, &headers)))
}
