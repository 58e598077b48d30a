//! Health, and the answers for unknown paths and methods.

use crate::error::ApiError;
use axum::http::StatusCode;
use axum::response::Response;

#[derive(serde::Serialize, utoipa::ToSchema)]
struct Health {
    #[schema(value_type = String, pattern = "^ok$")]
    status: &'static str,
}

#[utoipa::path(
    get,
    path = "/healthz",
    operation_id = "health",
    summary = "Liveness",
    responses((status = 200, description = "OK", body = Health))
)]
pub async fn health() -> Response {
    super::json(StatusCode::OK, &Health { status: "ok" })
}

pub async fn not_found() -> ApiError {
    ApiError::NotFound("no such route")
}

pub async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}
