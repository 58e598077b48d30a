//! What runs around every handler, in order from the outside: the
//! request's span and id ([`trace`]), the distribution's origin check
//! ([`origin`]), the request deadline
//! ([`deadline`]), authorization from the route table ([`auth`]) and, on
//! the public routes of the local server, rate limits ([`limits`]).
//!
//! A request the server will not serve now (over a rate limit, or past the
//! deadline because the store is slow) gets [`busy`]: a browser a page in
//! its language, everything else problem+json, both saying when to come
//! back (`Retry-After`).

pub mod auth;
pub mod deadline;
pub mod limits;
pub mod origin;
pub mod trace;

use crate::error::ApiError;
use crate::pages;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

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
