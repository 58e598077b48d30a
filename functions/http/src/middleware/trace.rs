//! One span per request, around everything else: its id, the function, the
//! method and the route (its pattern, never the path, which carries a
//! customer's code), and a closing line with the status and latency. Never
//! a client address, a key or a body. The id is API Gateway's (the access
//! log's `requestId`) in AWS; locally a sane `x-request-id` from the
//! client, or a new one. The answer carries it in `x-request-id`.

use crate::gateway;
use axum::extract::{Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use std::time::Instant;
use tracing::Instrument;

pub const REQUEST_ID: &str = "x-request-id";

/// The middleware; its state is the name of the function serving.
pub async fn span(State(function): State<&'static str>, request: Request, next: Next) -> Response {
    let id = request_id(&request);
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        function,
        method = %request.method(),
        // Set by authorization once the route is known.
        route = tracing::field::Empty,
    );
    let started = Instant::now();
    async move {
        let mut response = next.run(request).await;
        tracing::info!(
            status = response.status().as_u16(),
            latency_ms = started.elapsed().as_millis() as u64,
            "request answered"
        );
        if let Ok(value) = HeaderValue::from_str(&id) {
            response.headers_mut().insert(REQUEST_ID, value);
        }
        response
    }
    .instrument(span)
    .await
}

fn request_id(request: &Request) -> String {
    if let Some(id) = gateway::request_id(request.extensions()) {
        return id.to_owned();
    }
    request
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            (1..=64).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
        .map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned)
}
