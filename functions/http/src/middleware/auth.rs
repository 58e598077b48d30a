//! Authorization, in every function, from the route table: the
//! authorizer's answer is cached per key, not per route, so it must not
//! decide scopes.

use crate::error::ApiError;
use crate::gateway;
use crate::routes;
use crate::state::{AppState, AuthMode};
use axum::extract::{MatchedPath, Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use feedback_app::keys::{CONTEXT_KEY_ID, CONTEXT_SCOPES, Principal, authenticate};
use feedback_core::Scope;

/// The key the gateway's authorizer found, from the context it returned.
fn from_gateway(request: &Request) -> Option<Principal> {
    let key_id = gateway::authorizer_field(request.extensions(), CONTEXT_KEY_ID)?.to_owned();
    let scopes = gateway::authorizer_field(request.extensions(), CONTEXT_SCOPES)?
        .split(',')
        .filter_map(|s| Scope::parse("scopes", s).ok())
        .collect();
    Some(Principal { key_id, scopes })
}

/// Middleware on every route: finds the request's entry in the route table
/// and refuses it unless a key grants the entry's scope. It fails closed: a
/// method and path with no entry is refused before any handler runs, and
/// HEAD (which axum answers with the GET handler) is authorized as GET.
pub async fn authorize(
    State(state): State<AppState>,
    matched: MatchedPath,
    mut request: Request,
    next: Next,
) -> Response {
    let method = match request.method() {
        m if m == Method::HEAD => &Method::GET,
        m => m,
    };
    tracing::Span::current().record("route", matched.as_str());
    let Some(route) = routes::find(method, matched.as_str()) else {
        return ApiError::MethodNotAllowed.into_response();
    };
    let Some(scope) = route.scope else {
        return next.run(request).await;
    };
    let principal = match state.auth {
        AuthMode::Gateway => from_gateway(&request),
        AuthMode::Store => {
            let header = request
                .headers()
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok());
            match authenticate(state.store.as_ref(), header).await {
                Ok(p) => p,
                Err(e) => return ApiError::from(e).into_response(),
            }
        }
    };
    let Some(principal) = principal else {
        return ApiError::Unauthorized("send a live API key as 'Authorization: Bearer fbk_…'")
            .into_response();
    };
    if !scope.granted_by(&principal.scopes) {
        return ApiError::Forbidden(format!("this key lacks the '{}' scope", scope.as_str()))
            .into_response();
    }
    request.extensions_mut().insert(principal);
    next.run(request).await
}
