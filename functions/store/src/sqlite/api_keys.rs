//! API keys. On SQLite.

use super::*;
use crate::KeyStore;
use async_trait::async_trait;

#[async_trait]
impl KeyStore for SqliteStore {
    async fn create_key(&self, key: &ApiKey) -> Result<(), StoreError> {
        let key = key.clone();
        self.write(move |tx| write_key(tx, &key)).await
    }

    async fn find_key(&self, hash: &str) -> Result<Option<ApiKey>, StoreError> {
        let hash = hash.to_owned();
        self.read(move |conn| get_body(conn, "SELECT body FROM api_keys WHERE hash = ?1", &hash))
            .await
    }

    async fn list_keys(&self) -> Result<Vec<ApiKey>, StoreError> {
        self.read(|conn| {
            Ok(crate::sort_keys(get_bodies(
                conn,
                "SELECT body FROM api_keys",
                [],
            )?))
        })
        .await
    }

    async fn revoke_key(&self, id: &str, at: DateTime<Utc>) -> Result<Revocation, StoreError> {
        let id = id.to_owned();
        // One IMMEDIATE transaction: the admin count cannot change under it.
        self.write(move |tx| {
            let keys = get_bodies::<ApiKey>(tx, "SELECT body FROM api_keys", [])?;
            let Some(mut key) = keys.iter().find(|k| k.id == id).cloned() else {
                return Ok(Revocation::NoSuchKey);
            };
            if is_active_admin(&key) && keys.iter().filter(|k| is_active_admin(k)).count() == 1 {
                return Ok(Revocation::LastAdmin);
            }
            key.revoked_at.get_or_insert(at);
            write_key(tx, &key)?;
            Ok(Revocation::Revoked(key))
        })
        .await
    }

    async fn touch_key(&self, hash: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        let hash = hash.to_owned();
        self.write(move |tx| {
            if let Some(mut key) =
                get_body::<ApiKey>(tx, "SELECT body FROM api_keys WHERE hash = ?1", &hash)?
            {
                key.last_used_at = Some(at);
                write_key(tx, &key)?;
            }
            Ok(())
        })
        .await
    }
}
