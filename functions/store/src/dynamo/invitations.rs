//! Invitations, idempotent by order. On DynamoDB.

use super::*;
use crate::InvitationStore;
use async_trait::async_trait;
use std::borrow::Cow;

/// The order claim's attribute naming its invitation.
const CODE: &str = "code";

#[async_trait]
impl InvitationStore for DynamoStore {
    async fn create_invitation(
        &self,
        invitation: &Invitation,
        contact: Option<&ContactRule>,
    ) -> Result<InvitationOutcome, StoreError> {
        let mut invitation = Cow::Borrowed(invitation);
        if let Some(code) = self.claim_order(&invitation).await? {
            if let Some(last) = self.get_invitation(&code).await? {
                return Ok(InvitationOutcome::Existing(last));
            }
            // The request that claimed the order has not stored its
            // invitation (it is doing so now, was throttled, or was cut
            // short): finish it under the claimed code. Whichever put of
            // that code lands first is the invitation.
            invitation = Cow::Owned(Invitation {
                code,
                ..invitation.into_owned()
            });
        }
        if let Some(rule) = contact
            && let Some((last, until)) = self.hold_contact(rule, &invitation).await?
        {
            return Ok(InvitationOutcome::Throttled { last, until });
        }
        // The retention marker goes first: a marker whose invitation never
        // lands erases nothing, an invitation without its marker would keep
        // its personal data.
        if let Some(marker) = Self::retention_marker(&invitation) {
            self.put_item(marker).await?;
        }
        match self.put_new(invitation_item(&invitation)?).await? {
            None => Ok(InvitationOutcome::Created(invitation.into_owned())),
            Some(stored) => {
                let stored: Invitation = decode(stored)?;
                if stored.order_id == invitation.order_id {
                    Ok(InvitationOutcome::Existing(stored))
                } else {
                    Err(StoreError::internal(
                        "invitation code collision; retry with a new code",
                    ))
                }
            }
        }
    }

    async fn get_invitation(&self, code: &Code) -> Result<Option<Invitation>, StoreError> {
        let (pk, sk) = keys::invitation(code);
        self.get(pk, sk).await?.map(decode).transpose()
    }
}

impl DynamoStore {
    /// Claims the invitation's order for its code: `None` when claimed,
    /// otherwise the code an earlier request claimed it for.
    async fn claim_order(&self, invitation: &Invitation) -> Result<Option<Code>, StoreError> {
        let (pk, sk) = keys::order(invitation.order_id.as_str());
        let claim = Item::from([
            (PK.to_owned(), s(pk)),
            (SK.to_owned(), s(sk)),
            (CODE.to_owned(), s(invitation.code.to_string())),
        ]);
        let Some(claimed) = self.put_new(claim).await? else {
            return Ok(None);
        };
        let code = claimed
            .get(CODE)
            .and_then(|c| c.as_s().ok())
            .ok_or_else(|| StoreError::internal("an order claim without its code"))?;
        Code::parse(CODE, code)
            .map(Some)
            .map_err(StoreError::internal)
    }

    /// Whether `code`'s invitation takes answers at `now`: `NotFound` or
    /// `Expired` when it does not.
    pub(super) async fn open_invitation(
        &self,
        code: &Code,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        match self.get_invitation(code).await? {
            None => Err(StoreError::NotFound),
            Some(i) if i.is_expired(now) => Err(StoreError::Expired(i.expires_at)),
            Some(_) => Ok(()),
        }
    }
}
