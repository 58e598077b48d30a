//! API-key authentication: whether a key (or a dashboard session's key
//! hash) names a live key, and with which scopes. It happens once per
//! request: against the store in the local server, or in the API Gateway
//! authorizer in AWS. Authorization (may this key use this route?) is the
//! function's own ([`crate::middleware::auth`]).

use chrono::Utc;
use feedback_core::Scope;
use feedback_core::auth::{bearer_secret, hash_key};
use feedback_store::{KeyStore, StoreError};

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
    store: &dyn KeyStore,
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
    store: &dyn KeyStore,
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
