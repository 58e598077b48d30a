//! Running a router as a Lambda function behind API Gateway (HTTP API).

use crate::router::{Served, build};
use crate::state::AuthMode;
use crate::state::{AppState, Tenant};
use feedback_core::sending::Media;
use feedback_store::DynamoStore;
use std::sync::Arc;

/// Everything a function's process builds once: the SDK client (and its
/// connection, opened here so the first customer does not pay the TLS
/// handshake), the tenant's secret, the tenant, and the router.
pub async fn state() -> Result<AppState, lambda_http::Error> {
    let store = DynamoStore::from_env()?;
    // Without PUBLIC_BASE_URL, links use the host each request came to.
    let tenant = Tenant::from_env("")?;
    let media = Media::deployed(|name| std::env::var(name).ok());
    let mut state = AppState::new(Arc::new(store), tenant, AuthMode::Gateway).with_media(media);
    // Set when the stack puts a CloudFront distribution in front.
    if let Some(secret) = std::env::var("ORIGIN_VERIFY")
        .ok()
        .filter(|s| !s.is_empty())
    {
        state = state.with_origin_secret(&secret);
    }
    // Warm the connection with the tenant's secret, which the process keeps
    // (every function's routes use it, a rating on each answer): the first
    // request then neither opens a connection nor reads it. A failure here
    // is logged, not fatal (the store may be throttled for a moment; the
    // first request that needs the secret reads it again).
    if let Err(e) = state.secret().await {
        tracing::warn!(error = ?e, "warm-up read failed");
    }
    Ok(state)
}

/// The `main` of an HTTP function: JSON logs with the request id (from
/// `AWS_LAMBDA_LOG_FORMAT`), then serve what `served` lists.
pub async fn serve(served: Served) -> Result<(), lambda_http::Error> {
    feedback_telemetry::logs::init_lambda();
    let state = state().await?;
    let function = served.function.name();
    tracing::info!(function, tenant = %state.tenant.id, "starting");
    lambda_http::run(build(&[served], state)).await
}
