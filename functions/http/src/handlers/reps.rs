//! `PUT /v1/reps/{rep_id}`, `GET /v1/reps/{rep_id}`, `GET /v1/reps` and
//! `DELETE /v1/reps/{rep_id}`. Ratings carry a snapshot of their rep's id,
//! so renaming, deactivating or deleting a rep never moves a past rating:
//! deleting archives the rep (inactive, kept, still named in reports), and
//! a later PUT brings it back.

use super::json;
use crate::apidoc::{P400, P404, P415, P503};
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
use utoipa::openapi::path::{Parameter, ParameterIn};

/// The path's rep id.
struct RepIdParam;

impl utoipa::IntoParams for RepIdParam {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        crate::apidoc::path_param("rep_id", feedback_core::schema::id())
    }
}

/// The fields of `PUT /v1/reps/{rep_id}`.
pub const FIELDS: [&str; 3] = ["display_name", "team", "active"];

fn rep_id(raw: &str) -> Result<RepId, ApiError> {
    Ok(RepId::parse("rep_id", raw)?)
}

#[utoipa::path(
    put,
    path = "/v1/reps/{rep_id}",
    operation_id = "putRep",
    summary = "Create or replace a rep",
    params(RepIdParam),
    request_body = NewRep,
    responses(
        (status = 201, description = "Created", body = Rep),
        (status = 200, description = "Replaced", body = Rep),
        (status = 400, response = P400),
        (status = 415, response = P415),
        (status = 503, response = P503),
    )
)]
pub async fn put(
    State(state): State<AppState>,
    Segment(raw): Segment,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let id = rep_id(&raw)?;
    let map = body::read_json(&headers, body).await?;
    let object = Object::new("", &map);
    let mut errors = object.unknown_fields(&FIELDS);
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

#[utoipa::path(
    get,
    path = "/v1/reps/{rep_id}",
    operation_id = "getRep",
    summary = "One rep",
    params(RepIdParam),
    responses(
        (status = 200, description = "The rep", body = Rep),
        (status = 404, response = P404),
        (status = 503, response = P503),
    )
)]
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

#[derive(Serialize, utoipa::ToSchema)]
struct RepList<'a> {
    reps: &'a [Rep],
}

#[utoipa::path(
    get,
    path = "/v1/reps",
    operation_id = "listReps",
    summary = "Every rep",
    responses(
        (status = 200, description = "Reps by id", body = RepList),
        (status = 503, response = P503),
    )
)]
pub async fn list(State(state): State<AppState>) -> Result<Response, ApiError> {
    let reps = state.store.list_reps().await?;
    Ok(json(StatusCode::OK, &RepList { reps: &reps }))
}

#[utoipa::path(
    delete,
    path = "/v1/reps/{rep_id}",
    operation_id = "deleteRep",
    summary = "Delete (archive) a rep: inactive, kept, past ratings unmoved",
    params(RepIdParam),
    responses(
        (status = 200, description = "The archived rep", body = Rep),
        (status = 404, response = P404),
        (status = 503, response = P503),
    )
)]
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
