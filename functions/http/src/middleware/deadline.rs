//! The request deadline.

use super::busy;
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;

/// Seconds a client is asked to wait after the deadline passed.
const RETRY_AFTER_DEADLINE: u64 = 2;

/// Middleware on every route: a request still running at the state's
/// deadline is answered 503. Whatever it was writing either landed or did
/// not; every write is idempotent, so the client's retry counts it once
/// either way.
pub async fn deadline(State(state): State<AppState>, request: Request, next: Next) -> Response {
    // All the refusal needs: what the client asked for, in which language.
    let headers: HeaderMap = [header::ACCEPT, header::ACCEPT_LANGUAGE]
        .into_iter()
        .filter_map(|name| {
            let value = request.headers().get(&name)?.clone();
            Some((name, value))
        })
        .collect();
    match tokio::time::timeout(state.deadline, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            let deadline_ms = state.deadline.as_millis() as u64;
            tracing::warn!(deadline_ms, "request deadline passed");
            busy(
                &headers,
                StatusCode::SERVICE_UNAVAILABLE,
                RETRY_AFTER_DEADLINE,
                ApiError::TimedOut(RETRY_AFTER_DEADLINE),
            )
        }
    }
}
