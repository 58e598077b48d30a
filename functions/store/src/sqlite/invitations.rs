//! Invitations, idempotent by order. On SQLite.

use super::*;
use crate::InvitationStore;
use async_trait::async_trait;

#[async_trait]
impl InvitationStore for SqliteStore {
    async fn create_invitation(
        &self,
        invitation: &Invitation,
        contact: Option<&ContactRule>,
    ) -> Result<InvitationOutcome, StoreError> {
        let invitation = invitation.clone();
        let contact = contact.cloned();
        self.write(move |tx| {
            let existing: Option<String> = tx
                .query_row(
                    "SELECT body FROM invitations WHERE order_id = ?1",
                    [invitation.order_id.as_str()],
                    |row| row.get(0),
                )
                .optional()
                .map_err(sql_err)?;
            if let Some(body) = existing {
                return Ok(InvitationOutcome::Existing(
                    serde_json::from_str(&body).map_err(json_err)?,
                ));
            }
            if let Some(rule) = &contact {
                let last: Option<(String, String)> = tx
                    .query_row(
                        "SELECT code, until FROM contacts WHERE contact = ?1 AND until > ?2",
                        params![rule.key, instant_key(invitation.created_at)],
                        |row| Ok((row.get(0)?, row.get(1)?)),
                    )
                    .optional()
                    .map_err(sql_err)?;
                if let Some((code, until)) = last.filter(|_| !rule.force) {
                    let last: Invitation = get_body(tx, GET_INVITATION, &code)?
                        .ok_or_else(|| StoreError::internal("throttle names a missing invitation"))?;
                    let until = crate::cursor::parse_instant_key(&until)?;
                    return Ok(InvitationOutcome::Throttled { last, until });
                }
                tx.execute(
                    "INSERT INTO contacts (contact, code, until) VALUES (?1, ?2, ?3)
                     ON CONFLICT (contact) DO UPDATE SET code = excluded.code, until = excluded.until",
                    params![rule.key, invitation.code.as_str(), instant_key(rule.until)],
                )
                .map_err(sql_err)?;
            }
            let body = serde_json::to_string(&invitation).map_err(json_err)?;
            tx.execute(
                "INSERT INTO invitations (code, order_id, body, customer_ref, personal_until, send_wake)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    invitation.code.as_str(),
                    invitation.order_id.as_str(),
                    body,
                    invitation.customer_ref.as_ref().map(|c| c.as_str()),
                    invitation.personal_until.map(instant_key),
                    super::sends::wake_key(invitation.sending.as_ref()),
                ],
            )
            .map_err(sql_err)?;
            apply(tx, &rollup::for_invitation(&invitation))?;
            Ok(InvitationOutcome::Created(invitation))
        })
        .await
    }

    async fn get_invitation(&self, code: &Code) -> Result<Option<Invitation>, StoreError> {
        let code = code.to_string();
        self.read(move |conn| get_body(conn, GET_INVITATION, &code))
            .await
    }
}
