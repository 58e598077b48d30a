//! The API Gateway HTTP API authorizer (simple responses) for every keyed
//! route: it may read API keys and nothing else, and links neither the
//! router nor the pages.

use aws_lambda_events::apigw::{
    ApiGatewayV2CustomAuthorizerSimpleResponse, ApiGatewayV2CustomAuthorizerV2Request,
};
use feedback_app::keys::{CONTEXT_KEY_ID, CONTEXT_SCOPES, authenticate};
use feedback_store::KeyStore;

/// Opens the store's connection during init, as the HTTP functions do, so
/// the first request after a cold start does not pay the TLS handshake: a
/// read of a key that cannot exist (a key's hash is hexadecimal). A failure
/// is logged, not fatal; each request reports its own.
pub async fn warm_up(store: &dyn KeyStore) {
    if let Err(e) = store.find_key("warm-up").await {
        tracing::warn!(error = %e, "warm-up read failed");
    }
}

/// The authorizer's answer: authorized for any live key, with the key id and
/// its scopes in the context. Scopes are checked by the function serving the
/// route, because API Gateway caches this answer per key, not per route.
pub async fn authorize(
    store: &dyn KeyStore,
    event: &ApiGatewayV2CustomAuthorizerV2Request,
) -> Result<ApiGatewayV2CustomAuthorizerSimpleResponse, lambda_runtime::Error> {
    let header = event
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok());
    let principal = authenticate(store, header).await?;
    let mut response = ApiGatewayV2CustomAuthorizerSimpleResponse::default();
    if let Some(p) = principal {
        let scopes: Vec<&str> = p.scopes.iter().map(|s| s.as_str()).collect();
        response.is_authorized = true;
        response.context =
            serde_json::json!({ CONTEXT_KEY_ID: p.key_id, CONTEXT_SCOPES: scopes.join(",") });
    }
    Ok(response)
}
