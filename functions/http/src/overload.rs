//! What a request gets when the server will not serve it now: over a rate
//! limit, or past the request deadline because the store is slow. A browser
//! gets a page in its language; everything else gets problem+json. Both say
//! when to come back (`Retry-After`).

use crate::error::ApiError;
use crate::pages;
use crate::state::AppState;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::time::Duration;

/// The longest a request may take in a Lambda function, store calls
/// included: under the functions' 10 s timeout, so a store that stops
/// answering gives the client a 503 with Retry-After rather than a gateway
/// error. It also bounds how long a slow client may take to send its body.
/// (The local server, with no function timeout to stay under, sets its own.)
pub const LAMBDA_DEADLINE: Duration = Duration::from_secs(8);

/// Seconds a client is asked to wait after the deadline passed.
const RETRY_AFTER_DEADLINE: u64 = 2;

/// "Busy, retry in `retry_after` seconds": a page if the client asked for
/// HTML, else `problem`.
pub fn busy(
    headers: &HeaderMap,
    status: StatusCode,
    retry_after: u64,
    problem: ApiError,
) -> Response {
    if !pages::asks_for_html(headers) {
        return problem.into_response();
    }
    let lang = pages::i18n::browser_language(headers).unwrap_or("en");
    let s = pages::i18n::strings(lang);
    pages::message_retry(status, lang, &s.busy_title, &s.busy_body, retry_after)
}

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
