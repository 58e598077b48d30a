//! Health, the OpenAPI document, and the answers for unknown paths and
//! methods.

use crate::error::ApiError;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

#[derive(serde::Serialize)]
struct Health {
    status: &'static str,
}

pub async fn health() -> Response {
    super::json(StatusCode::OK, &Health { status: "ok" })
}

pub async fn openapi() -> Response {
    let mut response = crate::OPENAPI.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

pub async fn not_found() -> ApiError {
    ApiError::NotFound("no such route")
}

pub async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}
