//! `DELETE /v1/customers/{customer_ref}`: a customer's right to erasure.

use super::json;
use crate::body::Segment;
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use feedback_app::erasure;
use feedback_core::CustomerRef;
use feedback_store::Erased;
use serde::Serialize;

/// What an erasure removed.
#[derive(Serialize)]
struct Erasure {
    erased: Erased,
}

/// Erases the customer's ref, comments and invitation throttle everywhere;
/// scores and counts stay. Idempotent: again, it answers that nothing more was erased.
pub async fn erase(
    State(state): State<AppState>,
    Segment(raw): Segment,
) -> Result<Response, ApiError> {
    let customer = CustomerRef::parse("customer_ref", &raw)?;
    let secret = state.secret().await?;
    let erased = erasure::erase_customer(state.store.as_ref(), secret, &customer).await?;
    Ok(json(StatusCode::OK, &Erasure { erased }))
}
