//! SendStore on SQLite: an invitation's `send_wake` column (indexed where
//! set) is its place in the send queue; the suppression list is a table of
//! keyed hashes.

use super::*;
use crate::SendStore;
use async_trait::async_trait;
use feedback_core::sending::{Cancel, Sending};

pub(super) const MIGRATION: &str = r#"
ALTER TABLE invitations ADD COLUMN send_wake TEXT;
CREATE INDEX invitations_send_queue ON invitations (send_wake) WHERE send_wake IS NOT NULL;
CREATE TABLE suppressions (
    hash TEXT PRIMARY KEY,
    at   TEXT NOT NULL
);
"#;

/// The queue key of an invitation in state `sending` (`None`: not queued).
pub(super) fn wake_key(sending: Option<&Sending>) -> Option<String> {
    sending.and_then(Sending::wake_at).map(instant_key)
}

/// Cancels what invitation `code` still had to send, and with it the
/// address or number (an erasure); true when there was one.
pub(super) fn drop_recipient(
    tx: &rusqlite::Transaction<'_>,
    code: &str,
) -> Result<bool, StoreError> {
    let body: Option<String> = tx
        .query_row(GET_INVITATION, [code], |r| r.get(0))
        .optional()
        .map_err(sql_err)?;
    let Some(body) = body else {
        return Ok(false);
    };
    let mut invitation: Invitation = serde_json::from_str(&body).map_err(json_err)?;
    let Some(sending) = invitation
        .sending
        .take()
        .filter(|st| st.recipient.is_some())
    else {
        return Ok(false);
    };
    invitation.sending = Some(sending.cancelled(Utc::now(), Cancel::Erased));
    write_sending(tx, &invitation)?;
    Ok(true)
}

/// Stores `invitation`'s body and its place in the send queue.
fn write_sending(
    tx: &rusqlite::Transaction<'_>,
    invitation: &Invitation,
) -> Result<(), StoreError> {
    let body = serde_json::to_string(invitation).map_err(json_err)?;
    tx.execute(
        "UPDATE invitations SET body = ?2, send_wake = ?3 WHERE code = ?1",
        params![
            invitation.code.as_str(),
            body,
            wake_key(invitation.sending.as_ref())
        ],
    )
    .map_err(sql_err)?;
    Ok(())
}

#[async_trait]
impl SendStore for SqliteStore {
    async fn due_sends(
        &self,
        at: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Invitation>, StoreError> {
        let limit = limit.clamp(1, crate::MAX_PAGE) as i64;
        self.read(move |conn| {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT body FROM invitations WHERE send_wake IS NOT NULL AND send_wake <= ?1
                     ORDER BY send_wake, code LIMIT ?2",
                )
                .map_err(sql_err)?;
            let bodies = stmt
                .query_map(params![instant_key(at), limit], |row| {
                    row.get::<_, String>(0)
                })
                .map_err(sql_err)?;
            bodies
                .map(|body| serde_json::from_str(&body.map_err(sql_err)?).map_err(json_err))
                .collect()
        })
        .await
    }

    async fn update_sending(
        &self,
        code: &Code,
        previous: &Sending,
        next: &Sending,
    ) -> Result<(), StoreError> {
        let (code, expected, next) = (code.clone(), previous.revision, next.clone());
        self.write(move |tx| {
            let body: Option<String> = tx
                .query_row(GET_INVITATION, params![code.as_str()], |r| r.get(0))
                .optional()
                .map_err(sql_err)?;
            let mut invitation: Invitation = match body {
                Some(body) => serde_json::from_str(&body).map_err(json_err)?,
                None => return Err(StoreError::NotFound),
            };
            if invitation.sending.as_ref().map(|st| st.revision) != Some(expected) {
                return Err(StoreError::Conflict(
                    "the invitation's sending changed meanwhile".into(),
                ));
            }
            let before = invitation.clone();
            invitation.sending = Some(next);
            let body = serde_json::to_string(&invitation).map_err(json_err)?;
            tx.execute(
                "UPDATE invitations SET body = ?2, send_wake = ?3 WHERE code = ?1",
                params![code.as_str(), body, wake_key(invitation.sending.as_ref())],
            )
            .map_err(sql_err)?;
            if let Some(change) = Change::sending(Some(before), invitation) {
                webhooks::announce(tx, &change)?;
            }
            Ok(())
        })
        .await
    }

    async fn suppress(&self, hash: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        let hash = hash.to_owned();
        self.write(move |tx| {
            // A second opt-out keeps the first's time.
            tx.execute(
                "INSERT OR IGNORE INTO suppressions (hash, at) VALUES (?1, ?2)",
                params![hash, at.to_rfc3339()],
            )
            .map_err(sql_err)?;
            Ok(())
        })
        .await
    }

    async fn is_suppressed(&self, hash: &str) -> Result<bool, StoreError> {
        let hash = hash.to_owned();
        self.read(move |conn| {
            conn.query_row(
                "SELECT 1 FROM suppressions WHERE hash = ?1",
                params![hash],
                |_| Ok(()),
            )
            .optional()
            .map(|found| found.is_some())
            .map_err(sql_err)
        })
        .await
    }
}
