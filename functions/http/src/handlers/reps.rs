//! `PUT /v1/reps/{rep_id}`, `GET /v1/reps/{rep_id}`, `GET /v1/reps` and
//! `DELETE /v1/reps/{rep_id}`. Ratings carry a snapshot of their rep's id,
//! so renaming, deactivating or deleting a rep never moves a past rating:
//! deleting archives the rep (inactive, kept, still named in reports), and
//! a later PUT brings it back.

use super::json;
use crate::body::{self, Object, Segment};
use crate::error::ApiError;
use crate::state::AppState;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use feedback_core::model::NewRep;
use feedback_core::{Rep, RepId};
use serde::Serialize;

fn rep_id(raw: &str) -> Result<RepId, ApiError> {
    Ok(RepId::parse("rep_id", raw)?)
}

pub async fn put(
    State(state): State<AppState>,
    Segment(raw): Segment,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let id = rep_id(&raw)?;
    let map = body::read_json(&headers, body).await?;
    let object = Object::new("", &map);
    let mut errors = object.unknown_fields(&["display_name", "team", "active"]);
    let mut input = NewRep::default();
    match object.string("display_name") {
        Ok(v) => input.display_name = v,
        Err(e) => errors.push(e),
    }
    match object.string("team") {
        Ok(v) => input.team = v,
        Err(e) => errors.push(e),
    }
    match object.bool("active") {
        Ok(v) => input.active = v,
        Err(e) => errors.push(e),
    }
    let rep = body::combine(errors, input.validate(id))?;
    let created = state.store.put_rep(&rep).await?;
    Ok(json(
        if created {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        },
        &rep,
    ))
}

pub async fn get(
    State(state): State<AppState>,
    Segment(raw): Segment,
) -> Result<Response, ApiError> {
    let id = rep_id(&raw).map_err(|_| ApiError::NotFound("no such rep"))?;
    let rep = state
        .store
        .get_rep(&id)
        .await?
        .ok_or(ApiError::NotFound("no such rep"))?;
    Ok(json(StatusCode::OK, &rep))
}

#[derive(Serialize)]
struct RepList<'a> {
    reps: &'a [Rep],
}

pub async fn list(State(state): State<AppState>) -> Result<Response, ApiError> {
    let reps = state.store.list_reps().await?;
    Ok(json(StatusCode::OK, &RepList { reps: &reps }))
}

pub async fn delete(
    State(state): State<AppState>,
    Segment(raw): Segment,
) -> Result<Response, ApiError> {
    let id = rep_id(&raw).map_err(|_| ApiError::NotFound("no such rep"))?;
    let mut rep = state
        .store
        .get_rep(&id)
        .await?
        .ok_or(ApiError::NotFound("no such rep"))?;
    rep.active = false;
    rep.archived_at.get_or_insert(super::now());
    state.store.put_rep(&rep).await?;
    Ok(json(StatusCode::OK, &rep))
}
