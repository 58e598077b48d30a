//! Invitations, idempotent by order. On DynamoDB.

use super::*;
use crate::InvitationStore;
use async_trait::async_trait;

#[async_trait]
impl InvitationStore for DynamoStore {
    async fn create_invitation(
        &self,
        invitation: &Invitation,
        contact: Option<&ContactRule>,
    ) -> Result<InvitationOutcome, StoreError> {
        let (order_pk, order_sk) = keys::order(invitation.order_id.as_str());
        let order = HashMap::from([
            (PK.to_owned(), s(order_pk)),
            (SK.to_owned(), s(order_sk)),
            ("code".to_owned(), s(invitation.code.to_string())),
        ]);
        // The order (0), the invitation (1), then the contact's throttle (2).
        let mut items = vec![
            TransactWriteItem::builder()
                .put(self.put(order, "attribute_not_exists(pk)"))
                .build(),
            TransactWriteItem::builder()
                .put(self.put(invitation_item(invitation)?, "attribute_not_exists(pk)"))
                .build(),
        ];
        if let Some(rule) = contact {
            items.push(self.contact_put(rule, &invitation.code, invitation.created_at)?);
        }
        items.extend(self.retention_marker(invitation)?);
        let cancelled = match self.transact(items).await? {
            Ok(()) => return Ok(InvitationOutcome::Created(invitation.clone())),
            Err(cancelled) => cancelled,
        };
        let (code, until) = if let Some(order) = cancelled.old_item(0) {
            let code: String = order
                .get("code")
                .and_then(|c| c.as_s().ok())
                .cloned()
                .unwrap_or_default();
            (
                Code::parse("code", &code).map_err(StoreError::internal)?,
                None,
            )
        } else if let Some(throttle) = cancelled.old_item(2).filter(|_| contact.is_some()) {
            let (code, until) = limits::throttled_by(&throttle)?;
            (code, Some(until))
        } else {
            return Err(StoreError::internal(
                "invitation code collision; retry with a new code",
            ));
        };
        let last = self
            .get_invitation(&code)
            .await?
            .ok_or_else(|| StoreError::internal("a record points to a missing invitation"))?;
        Ok(match until {
            None => InvitationOutcome::Existing(last),
            Some(until) => InvitationOutcome::Throttled { last, until },
        })
    }

    async fn get_invitation(&self, code: &Code) -> Result<Option<Invitation>, StoreError> {
        let (pk, sk) = keys::invitation(code);
        self.get(pk, sk).await?.map(decode).transpose()
    }
}
