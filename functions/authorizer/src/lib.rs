//! The API Gateway HTTP API authorizer (simple responses) for every keyed
//! route: it may read API keys and nothing else, and links neither the
//! router nor the pages.

use aws_lambda_events::apigw::{
    ApiGatewayV2CustomAuthorizerSimpleResponse, ApiGatewayV2CustomAuthorizerV2Request,
};
use feedback_app::keys::{CONTEXT_KEY_ID, CONTEXT_SCOPES, authenticate};
use feedback_store::KeyStore;

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
