//! SendStore on SQLite: an invitation's `send_wake` column (indexed where
//! set) is its place in the send queue; the suppression list is a table of
//! keyed hashes.

use super::*;
use crate::SendStore;
use async_trait::async_trait;
use feedback_core::sending::{Cancel, Sending, Suppression};

pub(super) const MIGRATION: &str = r#"
ALTER TABLE invitations ADD COLUMN send_wake TEXT;
CREATE INDEX invitations_send_queue ON invitations (send_wake) WHERE send_wake IS NOT NULL;
CREATE TABLE suppressions (
    hash TEXT PRIMARY KEY,
    at   TEXT NOT NULL
);
"#;

/// Why each contact is on the list; `NULL` (an entry from before): an
/// opt-out.
pub(super) const SUPPRESSION_REASONS: &str = "ALTER TABLE suppressions ADD COLUMN why TEXT;";

/// The queue key of an invitation in state `sending` (`None`: not queued).
pub(super) fn wake_key(sending: Option<&Sending>) -> Option<String> {
    sending.and_then(Sending::wake_at).map(instant_key)
}

fn read_invitation(
    tx: &rusqlite::Transaction<'_>,
    code: &str,
) -> Result<Option<Invitation>, StoreError> {
    let body: Option<String> = tx
        .query_row(GET_INVITATION, [code], |r| r.get(0))
        .optional()
        .map_err(sql_err)?;
    body.map(|b| serde_json::from_str(&b).map_err(json_err))
        .transpose()
}

/// Cancels what invitation `code` still had to send, and with it the
/// address or number (an erasure); true when there was one.
pub(super) fn drop_recipient(
    tx: &rusqlite::Transaction<'_>,
    code: &str,
) -> Result<bool, StoreError> {
    let Some(invitation) = read_invitation(tx, code)? else {
        return Ok(false);
    };
    let Some(sending) = (invitation.sending.as_ref()).filter(|st| st.recipient.is_some()) else {
        return Ok(false);
    };
    let next = sending.cancelled(Utc::now(), Cancel::Erased);
    replace_sending(tx, invitation, next)?;
    Ok(true)
}

/// Gives `invitation` its `next` sending state, with what follows from it
/// in the same transaction: its place in the send queue, the counts
/// (sent, or never to be: what the stream's aggregator does on DynamoDB),
/// and the change for the webhooks.
fn replace_sending(
    tx: &rusqlite::Transaction<'_>,
    before: Invitation,
    next: Sending,
) -> Result<(), StoreError> {
    let after = Invitation {
        sending: Some(next),
        ..before.clone()
    };
    let body = serde_json::to_string(&after).map_err(json_err)?;
    tx.execute(
        "UPDATE invitations SET body = ?2, send_wake = ?3 WHERE code = ?1",
        params![after.code.as_str(), body, wake_key(after.sending.as_ref())],
    )
    .map_err(sql_err)?;
    apply(
        tx,
        &rollup::moved(
            &rollup::for_invitation(&before),
            &rollup::for_invitation(&after),
        ),
    )?;
    if let Some(change) = Change::sending(Some(before), after) {
        webhooks::announce(tx, &change)?;
    }
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
            let invitation = read_invitation(tx, code.as_str())?.ok_or(StoreError::NotFound)?;
            if invitation.sending.as_ref().map(|st| st.revision) != Some(expected) {
                return Err(StoreError::Conflict(
                    "the invitation's sending changed meanwhile".into(),
                ));
            }
            replace_sending(tx, invitation, next)
        })
        .await
    }

    async fn suppress(
        &self,
        hash: &str,
        why: Suppression,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let hash = hash.to_owned();
        self.write(move |tx| {
            // A second entry keeps the first's reason and time.
            tx.execute(
                "INSERT OR IGNORE INTO suppressions (hash, at, why) VALUES (?1, ?2, ?3)",
                params![hash, at.to_rfc3339(), why.as_str()],
            )
            .map_err(sql_err)?;
            Ok(())
        })
        .await
    }

    async fn suppression(&self, hash: &str) -> Result<Option<Suppression>, StoreError> {
        let hash = hash.to_owned();
        self.read(move |conn| {
            conn.query_row(
                "SELECT why FROM suppressions WHERE hash = ?1",
                params![hash],
                |row| row.get::<_, Option<String>>(0),
            )
            .optional()
            .map(|found| found.map(|why| Suppression::stored(why.as_deref())))
            .map_err(sql_err)
        })
        .await
    }
}
