//! API keys: who is asking (authentication, once per request: against the
//! store in the local server, in the API Gateway authorizer in AWS), and
//! making and revoking keys. Whether a key may use a route is the
//! function's own check, from its route table.

use chrono::{DateTime, Utc};
use feedback_core::ApiKey;
use feedback_core::Scope;
use feedback_core::auth::{bearer_secret, hash_key};
use feedback_store::{KeyStore, Revocation, StoreError};

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
#[tracing::instrument(skip_all)]
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
#[tracing::instrument(skip_all)]
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

/// Creates a key with `scopes` and `name` at `at`; returns it and its
/// secret, which is shown once and never stored.
#[tracing::instrument(skip_all, fields(scopes = scopes.len()))]
pub async fn create(
    store: &dyn KeyStore,
    scopes: Vec<Scope>,
    name: Option<String>,
    at: DateTime<Utc>,
) -> Result<(ApiKey, String), StoreError> {
    let (key, secret) =
        ApiKey::generate(scopes, name, at).map_err(|e| StoreError::Internal(e.to_string()))?;
    store.create_key(&key).await?;
    Ok((key, secret))
}

/// Revokes key `id` at `at`, unless it is the last active admin key
/// (decided atomically by the store).
#[tracing::instrument(skip(store, at))]
pub async fn revoke(
    store: &dyn KeyStore,
    id: &str,
    at: DateTime<Utc>,
) -> Result<Revocation, StoreError> {
    store.revoke_key(id, at).await
}

/// The fields under which the authorizer hands a principal to the
/// functions (its answer's context, which API Gateway passes on).
pub const CONTEXT_KEY_ID: &str = "key_id";
pub const CONTEXT_SCOPES: &str = "scopes";

#[cfg(test)]
mod tests {
    use super::*;
    use feedback_store::SqliteStore;

    #[tokio::test]
    async fn a_key_authenticates_until_revoked_and_the_last_admin_stays() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path().join("k.db")).unwrap();
        let at = Utc::now();
        let (admin, _) = create(&store, vec![Scope::Admin], None, at).await.unwrap();
        let (reader, secret) = create(&store, vec![Scope::ScoresRead], Some("till".into()), at)
            .await
            .unwrap();
        let header = format!("Bearer {secret}");
        let principal = authenticate(&store, Some(&header)).await.unwrap().unwrap();
        assert_eq!(principal.key_id, reader.id);
        assert!(principal.may(Scope::ScoresRead) && !principal.may(Scope::Admin));
        assert_eq!(
            authenticate(&store, Some("Bearer fbk_nope")).await.unwrap(),
            None
        );
        assert_eq!(authenticate(&store, None).await.unwrap(), None);
        assert!(matches!(
            revoke(&store, &reader.id, at).await.unwrap(),
            Revocation::Revoked(_)
        ));
        assert_eq!(authenticate(&store, Some(&header)).await.unwrap(), None);
        assert_eq!(
            revoke(&store, &admin.id, at).await.unwrap(),
            Revocation::LastAdmin
        );
    }
}
