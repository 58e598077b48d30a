//! `/v1/follow-ups`: the queue of unhappy customers and its workflow.

use super::{json, now};
use crate::apidoc::{P400, P404, P409, P503};
use crate::body::{self, Object, Query, Segment, take};
use crate::error::ApiError;
use crate::reports::{PageParams, SliceParams};
use crate::state::AppState;
use axum::Extension;
use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use feedback_app::follow_ups::{self, UpdateError};
use feedback_app::keys::Principal;
use feedback_core::followup::{FollowUpPatch, FollowUpView, PatchError, Status};
use feedback_core::{Channel, FieldError, FollowUp, LocationId, RepId};
use feedback_store::{Cursor, FollowUpFilter};
use serde::Serialize;

/// Page size when a request names none.
const PAGE: i64 = 50;

const PARAMS: [&str; 7] = [
    "status", "rep_id", "channel", "location", "overdue", "limit", "cursor",
];

/// One page of follow-ups.
#[derive(Serialize, utoipa::ToSchema)]
struct FollowUpPage<'a> {
    follow_ups: Vec<FollowUpView<'a>>,
    /// Pass as `cursor` for the next page; null on the last.
    next_cursor: Option<String>,
}

#[utoipa::path(
    get,
    path = "/v1/follow-ups",
    operation_id = "listFollowUps",
    summary = "Follow-ups, newest first",
    params(
        ("status" = Option<Status>, Query),
        SliceParams,
        ("overdue" = Option<bool>, Query, description = "true: open and past due now; false: not past due"),
        PageParams<PAGE>,
    ),
    responses(
        (status = 200, description = "One page", body = FollowUpPage),
        (status = 400, response = P400),
        (status = 503, response = P503),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let q = Query::parse(raw.as_deref(), &PARAMS)?;
    let mut errors: Vec<FieldError> = Vec::new();
    let status = take(&mut errors, q.parsed("status", Status::parse));
    let rep_id = take(&mut errors, q.parsed("rep_id", RepId::parse));
    let channel = take(&mut errors, q.parsed("channel", Channel::parse));
    let location = take(&mut errors, q.parsed("location", LocationId::parse));
    let overdue = take(&mut errors, q.bool("overdue"));
    let limit = take(
        &mut errors,
        q.int("limit", 1, feedback_store::MAX_PAGE as i64),
    )
    .unwrap_or(PAGE);
    let cursor = take(&mut errors, q.parsed("cursor", Cursor::parse));
    if overdue == Some(true) && status.is_some_and(|s| s != Status::Open) {
        errors.push(FieldError::new(
            "overdue",
            feedback_core::Rule::BadFormat,
            "only open follow-ups are overdue; drop 'status' or ask for status=open",
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::Invalid(errors));
    }
    let at = now();
    let filter = FollowUpFilter {
        status,
        rep_id,
        channel,
        location,
        overdue_at: (overdue == Some(true)).then_some(at),
        opened_since: None,
    };
    let page = state
        .store
        .list_follow_ups(&filter, limit as usize, cursor.as_ref())
        .await?;
    // overdue=false: the rest of the list, those not past due.
    let items = page
        .items
        .iter()
        .filter(|f| overdue != Some(false) || !f.is_overdue(at))
        .map(|f| f.view(at))
        .collect();
    let body = FollowUpPage {
        follow_ups: items,
        next_cursor: page.next.map(|c| c.encode()),
    };
    Ok(json(StatusCode::OK, &body))
}

/// A follow-up has its response's id; nothing else may reach a store key.
fn shaped(id: &str) -> Result<(), ApiError> {
    match feedback_core::links::code_of_response(id) {
        Some(_) => Ok(()),
        None => Err(ApiError::NotFound("no such follow-up")),
    }
}

async fn find(state: &AppState, id: &str) -> Result<FollowUp, ApiError> {
    shaped(id)?;
    state
        .store
        .get_follow_up(id)
        .await?
        .ok_or(ApiError::NotFound("no such follow-up"))
}

#[utoipa::path(
    get,
    path = "/v1/follow-ups/{id}",
    operation_id = "getFollowUp",
    summary = "One follow-up",
    params(("id" = String, Path, description = "The follow-up's id (its response's)")),
    responses(
        (status = 200, description = "The follow-up", body = FollowUpView),
        (status = 404, response = P404),
        (status = 503, response = P503),
    )
)]
pub async fn get(
    State(state): State<AppState>,
    Segment(id): Segment,
) -> Result<Response, ApiError> {
    let follow_up = find(&state, &id).await?;
    Ok(json(StatusCode::OK, &follow_up.view(now())))
}

pub const PATCH_FIELDS: [&str; 3] = ["status", "assignee", "note"];

#[utoipa::path(
    patch,
    path = "/v1/follow-ups/{id}",
    operation_id = "patchFollowUp",
    summary = "Move a follow-up, assign it, add a note",
    params(("id" = String, Path, description = "The follow-up's id (its response's)")),
    request_body = FollowUpPatch,
    responses(
        (status = 200, description = "The follow-up as stored", body = FollowUpView),
        (status = 400, response = P400),
        (status = 404, response = P404),
        (status = 409, response = P409),
        (status = 503, response = P503),
    )
)]
pub async fn patch(
    State(state): State<AppState>,
    Segment(id): Segment,
    principal: Option<Extension<Principal>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let map = body::read_json(&headers, body).await?;
    let o = Object::new("", &map);
    let mut errors = o.unknown_fields(&PATCH_FIELDS);
    let patch = FollowUpPatch {
        status: take(&mut errors, o.string("status")),
        assignee: take(&mut errors, o.nullable_string("assignee")),
        note: take(&mut errors, o.string("note")),
    };
    if !errors.is_empty() {
        // Every bad field in one answer: the body's and the domain's.
        let current = find(&state, &id).await?;
        if let Err(PatchError::Invalid(more)) = current.patched(&patch, now(), None) {
            errors.extend(more);
        }
        return Err(ApiError::Invalid(errors));
    }
    let by = principal.map(|Extension(p)| p.key_id);
    shaped(&id)?;
    match follow_ups::update(state.store.as_ref(), &id, &patch, by.as_deref(), now).await {
        Ok(follow_up) => Ok(json(StatusCode::OK, &follow_up.view(now()))),
        Err(UpdateError::NotFound) => Err(ApiError::NotFound("no such follow-up")),
        Err(UpdateError::Refused(PatchError::Invalid(errors))) => Err(ApiError::Invalid(errors)),
        Err(UpdateError::Refused(PatchError::Transition { from, to })) => {
            Err(ApiError::Conflict(format!(
                "a follow-up cannot move from {} to {}; allowed: open → contacted → resolved, open → resolved, resolved → open",
                from.as_str(),
                to.as_str()
            )))
        }
        Err(UpdateError::KeptChanging) => Err(ApiError::Conflict(
            "the follow-up kept changing under concurrent updates; read it and try again".into(),
        )),
        Err(UpdateError::Store(e)) => Err(e.into()),
    }
}
