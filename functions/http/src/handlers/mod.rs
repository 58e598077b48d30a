//! Route handlers: parse → call the domain and store → render. Each file is
//! one resource.

pub mod dashboard;
pub mod erasure;
pub mod follow_ups;
pub mod invitations;
pub mod keys;
pub mod links;
pub mod meta;
pub mod public;
pub mod rating_pages;
pub mod reps;
pub mod responses;
pub mod scores;
pub mod settings;
pub mod snippet;
pub mod unsubscribe;
pub mod webhooks;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, SubsecRound, Utc};
use serde::Serialize;

/// The invitation named by a path's code; 404 for anything else.
pub async fn invitation(
    state: &crate::state::AppState,
    raw: &str,
) -> Result<feedback_core::Invitation, crate::error::ApiError> {
    let not_found = || crate::error::ApiError::NotFound("no such invitation");
    let code = feedback_core::Code::parse("code", raw).map_err(|_| not_found())?;
    state
        .store
        .get_invitation(&code)
        .await?
        .ok_or_else(not_found)
}

/// The current time at millisecond precision, as everything is stored.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(3)
}

/// A JSON answer that no cache keeps (every answer here is per tenant).
pub fn json<T: Serialize>(status: StatusCode, body: &T) -> Response {
    let mut response = (status, axum::Json(body)).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
