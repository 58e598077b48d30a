//! Reusable links, and the burst tallies kept on public answers. On SQLite.

use super::*;
use crate::LinkStore;
use async_trait::async_trait;

#[async_trait]
impl LinkStore for SqliteStore {
    async fn create_link(&self, link: &Link) -> Result<(), StoreError> {
        let body = serde_json::to_string(link).map_err(json_err)?;
        let code = link.code.to_string();
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO links (code, body) VALUES (?1, ?2)",
                params![code, body],
            )
            .map_err(sql_err)?;
            Ok(())
        })
        .await
    }

    async fn get_link(&self, code: &Code) -> Result<Option<Link>, StoreError> {
        let code = code.to_string();
        self.read(move |conn| get_body(conn, GET_LINK, &code)).await
    }

    async fn list_links(&self) -> Result<Vec<Link>, StoreError> {
        self.read(|conn| {
            Ok(crate::sort_links(get_bodies(
                conn,
                "SELECT body FROM links",
                [],
            )?))
        })
        .await
    }

    async fn update_link(&self, previous: &Link, next: &Link) -> Result<(), StoreError> {
        let (revision, next) = (previous.revision, next.clone());
        self.write(move |tx| {
            let stored: Option<Link> = get_body(tx, GET_LINK, next.code.as_str())?;
            if stored.map(|l| l.revision) != Some(revision) {
                return Err(StoreError::Conflict("the link changed meanwhile".into()));
            }
            let body = serde_json::to_string(&next).map_err(json_err)?;
            tx.execute(
                "UPDATE links SET body = ?2 WHERE code = ?1",
                params![next.code.as_str(), body],
            )
            .map_err(sql_err)?;
            Ok(())
        })
        .await
    }

    async fn tally(&self, keys: &[String], until: DateTime<Utc>) -> Result<Vec<u64>, StoreError> {
        let keys = keys.to_vec();
        self.write(move |tx| {
            // Windows end within minutes: what ended a day before this one
            // is long over (DynamoDB's TTL does this there).
            sweep_counters(tx, until - chrono::Duration::days(1))?;
            keys.iter().map(|key| bump(tx, key, until)).collect()
        })
        .await
    }
}
