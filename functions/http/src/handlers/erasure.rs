//! `DELETE /v1/customers/{customer_ref}`: a customer's right to erasure.

use super::json;
use crate::apidoc::{P400, P503};
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
use utoipa::openapi::path::{Parameter, ParameterIn};

/// What an erasure removed.
#[derive(Serialize, utoipa::ToSchema)]
struct Erasure {
    erased: Erased,
}

/// Erases the customer's ref, comments and invitation throttle everywhere;
/// scores and counts stay. Idempotent: again, it answers that nothing more was erased.
/// The path's customer ref.
struct CustomerRefParam;

impl utoipa::IntoParams for CustomerRefParam {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        crate::apidoc::path_param("customer_ref", feedback_core::schema::customer_ref())
    }
}

#[utoipa::path(
    delete,
    path = "/v1/customers/{customer_ref}",
    operation_id = "eraseCustomer",
    summary = "Erase a customer's personal data",
    description = "Removes the customer ref from each of the customer's invitations and the comments from their responses. Scores and every count stay. Idempotent: again, it erases nothing more.",
    params(CustomerRefParam),
    responses(
        (status = 200, description = "What was erased", body = Erasure),
        (status = 400, response = P400),
        (status = 503, response = P503),
    )
)]
pub async fn erase(
    State(state): State<AppState>,
    Segment(raw): Segment,
) -> Result<Response, ApiError> {
    let customer = CustomerRef::parse("customer_ref", &raw)?;
    let secret = state.secret().await?;
    let erased = erasure::erase_customer(state.store.as_ref(), secret, &customer).await?;
    Ok(json(StatusCode::OK, &Erasure { erased }))
}
