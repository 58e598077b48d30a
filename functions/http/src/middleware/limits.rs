//! The local server's rate limits on the public routes
//! ([`crate::ratelimit::RateLimiter`]).

use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;
use feedback_core::Code;
use std::time::Instant;

/// Middleware on the public routes.
pub async fn limit(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(limiter) = &state.limits else {
        return next.run(request).await;
    };
    let now = Instant::now();
    let address =
        crate::client::address(request.extensions(), request.headers(), state.client_via());
    let code = request
        .uri()
        .path()
        .strip_prefix("/r/")
        .map(|c| c.trim_end_matches(".json"))
        .and_then(|c| Code::parse("code", c).ok());
    let verdict = limiter.check(address, code, now);
    match verdict {
        Ok(()) => next.run(request).await,
        Err(secs) => too_many(&request, secs),
    }
}

fn too_many(request: &Request, retry_after: u64) -> Response {
    super::busy(
        request.headers(),
        StatusCode::TOO_MANY_REQUESTS,
        retry_after,
        ApiError::TooManyRequests(
            retry_after,
            "too many requests; retry after Retry-After seconds".into(),
        ),
    )
}
