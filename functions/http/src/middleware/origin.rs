//! Requests come only through the tenant's CloudFront distribution, when
//! the stack deploys one (`EdgeProtection`): the distribution adds a header
//! with a secret the functions share, so the API's own URL is no way around
//! the per-client rate rule of the distribution's WAF.

use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use feedback_core::abuse::same_secret;

/// The header the distribution adds to every request it forwards.
pub const HEADER: &str = "x-origin-verify";

/// Refuses (403) a request without the distribution's header, when the
/// state names one; passes every request otherwise.
pub async fn require(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(expected) = state.origin.as_deref() else {
        return next.run(request).await;
    };
    let given = request
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if same_secret(expected, given) {
        next.run(request).await
    } else {
        ApiError::Forbidden("requests come through the tenant's CloudFront distribution".into())
            .into_response()
    }
}
