//! API-key auth. Authentication (is this a live key?) happens once per
//! request: against the store in the local server, or in the API Gateway
//! authorizer in AWS. Authorization (may this key use this route?) always
//! happens here, in the function, from the route table: the authorizer's
//! answer is cached per key, not per route, so it must not decide scopes.

use crate::error::ApiError;
use crate::routes;
use crate::state::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use feedback_core::Scope;
use feedback_core::auth::{bearer_secret, hash_key};
use feedback_store::{Store, StoreError};

/// How requests are authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMode {
    /// Look the key up in the store (the local server).
    Store,
    /// Trust the API Gateway Lambda authorizer's context (AWS).
    Gateway,
}

/// The key a request was made with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub key_id: String,
    pub scopes: Vec<Scope>,
}

impl Principal {
    /// Whether this key's scopes grant `scope`.
    pub fn may(&self, scope: Scope) -> bool {
        scope.granted_by(&self.scopes)
    }
}

/// Don't write `last_used_at` more often than this per key.
const TOUCH_EVERY_SECS: i64 = 60;

/// The principal behind an `Authorization` header, if it names a live key.
/// Shared by the local server and the authorizer Lambda.
pub async fn authenticate(
    store: &dyn Store,
    authorization: Option<&str>,
) -> Result<Option<Principal>, StoreError> {
    let Some(secret) = authorization.and_then(bearer_secret) else {
        return Ok(None);
    };
    authenticate_hash(store, &hash_key(secret)).await
}

/// The principal behind a key's hash, if it names a live key (a dashboard
/// session holds the hash, never the key).
pub async fn authenticate_hash(
    store: &dyn Store,
    hash: &str,
) -> Result<Option<Principal>, StoreError> {
    let Some(key) = store.find_key(hash).await? else {
        return Ok(None);
    };
    if !key.is_active() {
        return Ok(None);
    }
    let now = Utc::now();
    if key
        .last_used_at
        .is_none_or(|t| (now - t).num_seconds() >= TOUCH_EVERY_SECS)
    {
        // Bookkeeping only: a failure here must not fail the request.
        if let Err(e) = store.touch_key(hash, now).await {
            tracing::warn!(error = %e, key_id = %key.id, "could not record key use");
        }
    }
    Ok(Some(Principal {
        key_id: key.id,
        scopes: key.scopes,
    }))
}

/// Context keys the authorizer returns and the functions read.
pub const CONTEXT_KEY_ID: &str = "key_id";
pub const CONTEXT_SCOPES: &str = "scopes";

fn from_gateway(request: &Request) -> Option<Principal> {
    use lambda_http::request::RequestContext;
    let Some(RequestContext::ApiGatewayV2(context)) = request.extensions().get::<RequestContext>()
    else {
        return None;
    };
    let fields = &context.authorizer.as_ref()?.fields;
    let key_id = fields.get(CONTEXT_KEY_ID)?.as_str()?.to_owned();
    let scopes = fields
        .get(CONTEXT_SCOPES)?
        .as_str()?
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
