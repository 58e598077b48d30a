//! The tenant's settings and its secret. On SQLite.

use super::*;
use crate::SettingsStore;
use async_trait::async_trait;

#[async_trait]
impl SettingsStore for SqliteStore {
    async fn get_settings(&self) -> Result<Option<Settings>, StoreError> {
        self.read(|conn| get_body(conn, "SELECT body FROM settings WHERE singleton = ?1", "1"))
            .await
    }

    async fn put_settings(&self, settings: &Settings) -> Result<(), StoreError> {
        let body = serde_json::to_string(settings).map_err(json_err)?;
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO settings (singleton, body) VALUES (1, ?1)
                 ON CONFLICT (singleton) DO UPDATE SET body = excluded.body",
                [body],
            )
            .map_err(sql_err)?;
            Ok(())
        })
        .await
    }

    async fn secret(&self) -> Result<Secret, StoreError> {
        self.write(|tx| {
            let stored: Option<Vec<u8>> = tx
                .query_row("SELECT value FROM secrets WHERE name = 'tenant'", [], |r| {
                    r.get(0)
                })
                .optional()
                .map_err(sql_err)?;
            if let Some(bytes) = stored {
                let bytes: [u8; 32] = bytes
                    .try_into()
                    .map_err(|_| StoreError::internal("the stored secret is not 32 bytes"))?;
                return Ok(Secret::new(bytes));
            }
            let secret = Secret::generate().map_err(StoreError::internal)?;
            tx.execute(
                "INSERT INTO secrets (name, value) VALUES ('tenant', ?1)",
                [secret.bytes().as_slice()],
            )
            .map_err(sql_err)?;
            Ok(secret)
        })
        .await
    }
}
