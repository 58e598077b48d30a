//! WebhookStore on the embedded store: subscriptions, deliveries, and the
//! outbox that stands in for DynamoDB's stream.
//!
//! Every write that records a response or moves a follow-up appends its
//! [`Change`] to `outbox` in the same transaction, so a change is never lost
//! between being stored and being announced. The local notifier reads the
//! outbox in order and forgets what it has dispatched.

use super::{SqliteStore, get_bodies, json_err, sql_err};
use crate::cursor::{Listed, instant_key};
use crate::{StoreError, WebhookStore};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use feedback_core::webhook::{Change, Delivery, DeliveryState, Webhook};
use rusqlite::params;

pub(super) const MIGRATION: &str = r#"
CREATE TABLE webhooks (
    id         TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    body       TEXT NOT NULL
);
CREATE TABLE deliveries (
    id         TEXT PRIMARY KEY,
    webhook_id TEXT NOT NULL,
    sort_key   TEXT NOT NULL,
    due_at     TEXT,
    revision   INTEGER NOT NULL,
    body       TEXT NOT NULL
);
CREATE INDEX deliveries_by_webhook ON deliveries (webhook_id, sort_key);
CREATE INDEX deliveries_due ON deliveries (due_at) WHERE due_at IS NOT NULL;
CREATE TABLE outbox (
    seq    INTEGER PRIMARY KEY AUTOINCREMENT,
    change TEXT NOT NULL
);
"#;

/// Appends `change` to the outbox, inside the caller's transaction.
pub(super) fn announce(tx: &rusqlite::Transaction<'_>, change: &Change) -> Result<(), StoreError> {
    let text = serde_json::to_string(change).map_err(json_err)?;
    tx.prepare_cached("INSERT INTO outbox (change) VALUES (?1)")
        .map_err(sql_err)?
        .execute([text])
        .map_err(sql_err)?;
    Ok(())
}

fn due_key(d: &Delivery) -> Option<String> {
    d.next_attempt_at
        .filter(|_| d.state == DeliveryState::Pending)
        .map(instant_key)
}

impl SqliteStore {
    /// The oldest changes not yet dispatched, with their sequence numbers,
    /// at most `limit`.
    pub async fn pending_changes(&self, limit: usize) -> Result<Vec<(i64, Change)>, StoreError> {
        self.read(move |conn| {
            let mut stmt = conn
                .prepare_cached("SELECT seq, change FROM outbox ORDER BY seq LIMIT ?1")
                .map_err(sql_err)?;
            let rows = stmt
                .query_map([limit as i64], |row| {
                    Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?))
                })
                .map_err(sql_err)?;
            rows.map(|row| {
                let (seq, text) = row.map_err(sql_err)?;
                Ok((seq, serde_json::from_str(&text).map_err(json_err)?))
            })
            .collect()
        })
        .await
    }

    /// Forgets the changes up to and including `seq`: they were dispatched.
    pub async fn forget_changes(&self, seq: i64) -> Result<(), StoreError> {
        self.write(move |tx| {
            tx.execute("DELETE FROM outbox WHERE seq <= ?1", [seq])
                .map_err(sql_err)?;
            Ok(())
        })
        .await
    }

    /// Deletes finished deliveries of events before `before` (DynamoDB's
    /// TTL does the same there); how many went.
    pub async fn prune_deliveries(&self, before: DateTime<Utc>) -> Result<usize, StoreError> {
        self.write(move |tx| {
            tx.execute(
                "DELETE FROM deliveries WHERE due_at IS NULL AND sort_key < ?1",
                [instant_key(before)],
            )
            .map_err(sql_err)
        })
        .await
    }
}

#[async_trait]
impl WebhookStore for SqliteStore {
    async fn create_webhook(&self, webhook: &Webhook) -> Result<(), StoreError> {
        let body = serde_json::to_string(webhook).map_err(json_err)?;
        let (id, created) = (webhook.id.clone(), instant_key(webhook.created_at));
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO webhooks (id, created_at, body) VALUES (?1, ?2, ?3)",
                params![id, created, body],
            )
            .map_err(sql_err)?;
            Ok(())
        })
        .await
    }

    async fn list_webhooks(&self) -> Result<Vec<Webhook>, StoreError> {
        self.read(|conn| {
            get_bodies(
                conn,
                "SELECT body FROM webhooks ORDER BY created_at, id",
                [],
            )
        })
        .await
    }

    async fn delete_webhook(&self, id: &str) -> Result<bool, StoreError> {
        let id = id.to_owned();
        self.write(move |tx| {
            tx.execute("DELETE FROM deliveries WHERE webhook_id = ?1", [&id])
                .map_err(sql_err)?;
            Ok(tx
                .execute("DELETE FROM webhooks WHERE id = ?1", [&id])
                .map_err(sql_err)?
                > 0)
        })
        .await
    }

    async fn add_delivery(&self, d: &Delivery) -> Result<bool, StoreError> {
        let body = serde_json::to_string(d).map_err(json_err)?;
        let row = (
            d.id.clone(),
            d.webhook_id.clone(),
            d.sort_key(),
            due_key(d),
            d.revision,
        );
        self.write(move |tx| {
            let added = tx
                .execute(
                    "INSERT INTO deliveries (id, webhook_id, sort_key, due_at, revision, body)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (id) DO NOTHING",
                    params![row.0, row.1, row.2, row.3, row.4, body],
                )
                .map_err(sql_err)?;
            Ok(added == 1)
        })
        .await
    }

    async fn update_delivery(
        &self,
        previous: &Delivery,
        next: &Delivery,
    ) -> Result<(), StoreError> {
        let body = serde_json::to_string(next).map_err(json_err)?;
        let (id, due, revision, was) = (
            next.id.clone(),
            due_key(next),
            next.revision,
            previous.revision,
        );
        self.write(move |tx| {
            let changed = tx
                .execute(
                    "UPDATE deliveries SET due_at = ?2, revision = ?3, body = ?4
                     WHERE id = ?1 AND revision = ?5",
                    params![id, due, revision, body, was],
                )
                .map_err(sql_err)?;
            match changed {
                1 => Ok(()),
                _ => Err(StoreError::Conflict(
                    "the delivery changed meanwhile".into(),
                )),
            }
        })
        .await
    }

    async fn list_deliveries(
        &self,
        webhook_id: &str,
        limit: usize,
    ) -> Result<Vec<Delivery>, StoreError> {
        let id = webhook_id.to_owned();
        self.read(move |conn| {
            get_bodies(
                conn,
                "SELECT body FROM deliveries WHERE webhook_id = ?1
                 ORDER BY sort_key DESC LIMIT ?2",
                params![id, limit as i64],
            )
        })
        .await
    }

    async fn due_deliveries(
        &self,
        at: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Delivery>, StoreError> {
        self.read(move |conn| {
            get_bodies(
                conn,
                "SELECT body FROM deliveries WHERE due_at <= ?1 ORDER BY due_at LIMIT ?2",
                params![instant_key(at), limit as i64],
            )
        })
        .await
    }
}
