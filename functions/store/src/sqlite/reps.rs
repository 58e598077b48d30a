//! Representatives. On SQLite.

use super::*;
use crate::RepStore;
use async_trait::async_trait;

#[async_trait]
impl RepStore for SqliteStore {
    async fn put_rep(&self, rep: &Rep) -> Result<bool, StoreError> {
        let rep = rep.clone();
        self.write(move |tx| {
            let body = serde_json::to_string(&rep).map_err(json_err)?;
            let existed: bool = tx
                .query_row("SELECT EXISTS (SELECT 1 FROM reps WHERE id = ?1)", [rep.id.as_str()], |r| r.get(0))
                .map_err(sql_err)?;
            tx.execute(
                "INSERT INTO reps (id, body) VALUES (?1, ?2) ON CONFLICT (id) DO UPDATE SET body = excluded.body",
                params![rep.id.as_str(), body],
            )
            .map_err(sql_err)?;
            Ok(!existed)
        })
        .await
    }

    async fn get_rep(&self, id: &RepId) -> Result<Option<Rep>, StoreError> {
        let id = id.to_string();
        self.read(move |conn| get_body(conn, "SELECT body FROM reps WHERE id = ?1", &id))
            .await
    }

    async fn list_reps(&self) -> Result<Vec<Rep>, StoreError> {
        self.read(|conn| get_bodies(conn, "SELECT body FROM reps ORDER BY id", []))
            .await
    }
}
