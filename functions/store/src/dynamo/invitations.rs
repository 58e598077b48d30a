//! Invitations, idempotent by order. On DynamoDB.

use super::*;
use crate::InvitationStore;
use async_trait::async_trait;
use std::borrow::Cow;

/// The order claim's attribute naming its invitation.
const CODE: &str = "code";

/// `stored`, found under the code `wanted` was to be stored with: the
/// same order's invitation, or (with 71-bit random codes, never in
/// practice) another order's.
fn existing(stored: Invitation, wanted: &Invitation) -> Result<InvitationOutcome, StoreError> {
    if stored.order_id == wanted.order_id {
        Ok(InvitationOutcome::Existing(stored))
    } else {
        Err(StoreError::internal(
            "invitation code collision; retry with a new code",
        ))
    }
}

#[async_trait]
impl InvitationStore for DynamoStore {
    async fn create_invitation(
        &self,
        invitation: &Invitation,
        contact: Option<&ContactRule>,
    ) -> Result<InvitationOutcome, StoreError> {
        let mut invitation = Cow::Borrowed(invitation);
        if let Some(code) = self.claim_order(&invitation).await? {
            if let Some(stored) = self.get_invitation(&code).await? {
                return existing(stored, &invitation);
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
            Some(stored) => existing(decode(stored)?, &invitation),
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

/// A request cut short between its puts, on DynamoDB Local
/// (`DYNAMODB_ENDPOINT`; `tests/run.sh` starts one).
#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;
    use feedback_core::model::NewInvitation;
    use feedback_core::time::TenantZone;

    async fn store() -> DynamoStore {
        let endpoint = std::env::var("DYNAMODB_ENDPOINT")
            .expect("DYNAMODB_ENDPOINT is not set: run tests/run.sh, which starts DynamoDB Local");
        let table = format!("invitations-{}", uuid::Uuid::new_v4());
        let store = DynamoStore::new(&local_config(&endpoint), &table);
        store.create_table().await.expect("create the table");
        store
    }

    fn at() -> DateTime<Utc> {
        "2026-03-10T06:00:00Z".parse().unwrap()
    }

    fn invitation(order: &str) -> Invitation {
        let zone = TenantZone::parse("time_zone", "Asia/Karachi").unwrap();
        NewInvitation {
            order_id: Some(order.into()),
            channel: Some("sms".into()),
            customer_ref: Some("cust-1".into()),
            ..Default::default()
        }
        .validate(feedback_core::SurveyKind::Csat)
        .unwrap()
        .issue(Code::generate().unwrap(), at(), Duration::days(30), &zone)
    }

    fn rule() -> ContactRule {
        ContactRule {
            key: "contact-1".into(),
            until: at() + Duration::days(30),
            force: false,
        }
    }

    #[tokio::test]
    async fn dynamo_a_claimed_order_without_its_invitation_is_finished_under_the_claimed_code() {
        let store = store().await;
        let first = invitation("o-1");
        assert_eq!(store.claim_order(&first).await.unwrap(), None);
        // The request stopped there; its retry comes with another code.
        let retry = invitation("o-1");
        let outcome = store
            .create_invitation(&retry, Some(&rule()))
            .await
            .unwrap();
        let finished = Invitation {
            code: first.code.clone(),
            ..retry.clone()
        };
        assert_eq!(outcome, InvitationOutcome::Created(finished.clone()));
        assert_eq!(
            store.get_invitation(&first.code).await.unwrap(),
            Some(finished.clone())
        );
        assert_eq!(store.get_invitation(&retry.code).await.unwrap(), None);
        // And from then on the order is that invitation.
        assert_eq!(
            store
                .create_invitation(&invitation("o-1"), None)
                .await
                .unwrap(),
            InvitationOutcome::Existing(finished)
        );
    }

    #[tokio::test]
    async fn dynamo_a_contact_held_by_an_invitation_not_yet_stored_names_it() {
        let store = store().await;
        let first = invitation("o-1");
        assert_eq!(store.claim_order(&first).await.unwrap(), None);
        assert_eq!(store.hold_contact(&rule(), &first).await.unwrap(), None);
        // Another order for the same contact, before the first is stored.
        let other = invitation("o-2");
        assert_eq!(
            store
                .create_invitation(&other, Some(&rule()))
                .await
                .unwrap(),
            InvitationOutcome::Throttled {
                last: first.clone(),
                until: rule().until
            }
        );
        assert_eq!(store.get_invitation(&other.code).await.unwrap(), None);
        // The first request's retry finishes it: the contact is its own.
        let retry = Invitation {
            code: Code::generate().unwrap(),
            ..first.clone()
        };
        assert_eq!(
            store
                .create_invitation(&retry, Some(&rule()))
                .await
                .unwrap(),
            InvitationOutcome::Created(first.clone())
        );
        // Now the stored invitation is named.
        assert_eq!(
            store
                .create_invitation(&other, Some(&rule()))
                .await
                .unwrap(),
            InvitationOutcome::Throttled {
                last: first,
                until: rule().until
            }
        );
    }
}
