//! Invitations, idempotent by order. On DynamoDB.

use super::*;
use crate::InvitationStore;
use async_trait::async_trait;
use std::borrow::Cow;
use std::sync::Mutex;

/// When the invitations this process has read expire. An invitation is
/// never deleted and its expiry never changes, so what was read once stays
/// true: an answer's check need not read again what its handler just read.
#[derive(Default)]
pub(super) struct Expiries(Mutex<HashMap<Code, DateTime<Utc>>>);

/// Invitations remembered before the memory starts over (about 100 KB).
const REMEMBERED: usize = 1024;

impl Expiries {
    fn remember(&self, code: &Code, expires_at: DateTime<Utc>) {
        let mut known = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if known.len() >= REMEMBERED {
            known.clear();
        }
        known.insert(code.clone(), expires_at);
    }

    fn recall(&self, code: &Code) -> Option<DateTime<Utc>> {
        let known = self.0.lock().unwrap_or_else(|e| e.into_inner());
        known.get(code).copied()
    }
}

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
        let invitation: Option<Invitation> = self.get(pk, sk).await?.map(decode).transpose()?;
        if let Some(found) = &invitation {
            self.expiries.remember(code, found.expires_at);
        }
        Ok(invitation)
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
        match self.put_new(claim).await? {
            None => Ok(None),
            Some(claimed) => code_of(&claimed, "an order claim").map(Some),
        }
    }

    /// Whether `code`'s invitation takes answers at `now`: `NotFound` or
    /// `Expired` when it does not. An invitation this process has read
    /// (the answer's handler reads it first) is not read again.
    pub(super) async fn open_invitation(
        &self,
        code: &Code,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let expires_at = match self.expiries.recall(code) {
            Some(at) => at,
            None => match self.get_invitation(code).await? {
                Some(found) => found.expires_at,
                None => return Err(StoreError::NotFound),
            },
        };
        if now >= expires_at {
            return Err(StoreError::Expired(expires_at));
        }
        Ok(())
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
        let throttled = InvitationOutcome::Throttled {
            last: first.clone(),
            until: rule().until,
        };
        let outcome = store.create_invitation(&other, Some(&rule())).await;
        assert_eq!(outcome.unwrap(), throttled);
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
        let outcome = store.create_invitation(&other, Some(&rule())).await;
        assert_eq!(outcome.unwrap(), throttled);
    }

    #[tokio::test]
    async fn dynamo_an_answer_to_an_invitation_just_read_is_one_request() {
        use crate::ResponseStore;
        use feedback_core::model::{Answer, Answers};
        use feedback_core::submission::SubmitRules;
        let store = store().await;
        let invited = invitation("o-1");
        store.create_invitation(&invited, None).await.unwrap();
        // The handler reads the invitation to build the answer.
        store.get_invitation(&invited.code).await.unwrap();
        let answer = Answer {
            score: 5,
            answers: Answers::default(),
            comment: None,
        };
        let zone = TenantZone::parse("time_zone", "Asia/Karachi").unwrap();
        let response = Response::first(&invited, answer, at(), &zone);
        let rules = SubmitRules {
            edit_window: Duration::hours(24),
            follow_up: Default::default(),
        };
        let before = store.requests_sent();
        store
            .record_response(&response, at(), &rules, &[])
            .await
            .unwrap();
        assert_eq!(store.requests_sent() - before, 1, "the put alone");
        // Past its expiry the remembered invitation is refused all the same.
        let late = invited.expires_at;
        let again = Response {
            id: "another".into(),
            ..response
        };
        let refused = store.record_response(&again, late, &rules, &[]).await;
        assert!(matches!(refused, Err(StoreError::Expired(at)) if at == late));
    }
}
