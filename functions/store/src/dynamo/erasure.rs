//! Erasing personal data: a customer's refs and comments go, their scores
//! and every count stay.
//!
//! An invitation with a customer ref is findable by it through `gsi1`
//! (`CUST#{ref}` / `INV#{code}`). Under a retention setting, each such
//! invitation also gets a marker item (`INV#{code}` / `PII`) whose `ttl` is
//! the end of retention: DynamoDB's TTL deletes the marker, and the `notify`
//! function, which reads the table's stream, erases the invitation when it
//! sees that deletion. TTL deletes whole items only, and the personal parts
//! live inside items that must stay (the invitation, the response).

use super::table::{GSI1, GSI1_PK, GSI1_SK, PK, SK, TTL_ATTRIBUTE};
use super::{DynamoStore, Item, code_of, keys, n, s};
use crate::ErasureStore;
use crate::{Erased, StoreError, WebhookStore};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::ReturnConsumedCapacity;
use feedback_core::sending::Cancel;
use feedback_core::{Code, CustomerRef, Invitation};

/// Rounds of scrubbing a webhook's deliveries while senders update them.
const SCRUB_ATTEMPTS: usize = 3;

/// The `gsi1` keys that find an invitation by its customer.
pub(super) fn customer_keys(invitation: &Invitation, item: &mut Item) {
    if let Some(customer) = &invitation.customer_ref {
        item.insert(GSI1_PK.into(), s(keys::customer(customer)));
        item.insert(GSI1_SK.into(), s(keys::invitation_pk(&invitation.code)));
    }
}

impl DynamoStore {
    /// The marker an invitation with a retention deadline is stored with.
    pub(super) fn retention_marker(invitation: &Invitation) -> Option<Item> {
        let until = invitation.personal_until?;
        Some(Item::from([
            (PK.to_owned(), s(keys::invitation_pk(&invitation.code))),
            (SK.to_owned(), s(keys::RETENTION_MARKER)),
            (TTL_ATTRIBUTE.to_owned(), n(until.timestamp())),
        ]))
    }

    /// Removes `attributes` from an item when `condition` holds; true when
    /// something was removed.
    async fn remove(
        &self,
        pk: String,
        sk: String,
        attributes: &[&str],
        condition: &str,
    ) -> Result<bool, StoreError> {
        let mut update = self
            .client
            .update_item()
            .table_name(&*self.table)
            .key(PK, s(pk))
            .key(SK, s(sk))
            .condition_expression(condition)
            .return_consumed_capacity(ReturnConsumedCapacity::Total);
        let mut names = Vec::new();
        for (i, attribute) in attributes.iter().enumerate() {
            names.push(format!("#a{i}"));
            update = update.expression_attribute_names(format!("#a{i}"), *attribute);
        }
        let sent = update
            .update_expression(format!("REMOVE {}", names.join(", ")))
            .send()
            .await;
        self.landed(
            sent,
            |e| e.is_conditional_check_failed_exception(),
            |o| o.consumed_capacity(),
        )
    }

    pub(super) async fn erase_code(&self, code: &Code) -> Result<Erased, StoreError> {
        let (pk, invitation_sk) = keys::invitation(code);
        let mut erased = Erased::default();
        let invitation = self
            .remove(
                pk.clone(),
                invitation_sk,
                &["customer_ref", "personal_until", GSI1_PK, GSI1_SK],
                "attribute_exists(customer_ref) OR attribute_exists(personal_until)",
            )
            .await?;
        let unsent = crate::cancel_sending(self, code, Cancel::Erased, chrono::Utc::now()).await?;
        erased.invitations = u32::from(invitation || unsent);
        for item in self.query_all(pk.clone(), None).await? {
            let Some(sk) = item.get(SK).and_then(|v| v.as_s().ok()) else {
                continue;
            };
            if keys::is_response(&pk, sk) && item.contains_key("comment") {
                let removed = self
                    .remove(
                        pk.clone(),
                        sk.clone(),
                        &["comment"],
                        "attribute_exists(#a0)",
                    )
                    .await?;
                erased.comments += u32::from(removed);
            }
        }
        self.delete(pk, keys::RETENTION_MARKER.into()).await?;
        self.scrub_deliveries(code).await?;
        Ok(erased)
    }

    /// Takes the comment out of every stored delivery of `code`'s answers,
    /// sent or waiting: a retry then sends the event without it, and the
    /// delivery log no longer holds it. Erasure is rare: this reads each
    /// webhook's deliveries of the last 30 days.
    async fn scrub_deliveries(&self, code: &Code) -> Result<(), StoreError> {
        for webhook in self.list_webhooks().await? {
            for _ in 0..SCRUB_ATTEMPTS {
                let mut conflicted = false;
                for delivery in self.deliveries_naming(&webhook.id, code).await? {
                    if delivery.event.data["response"]["code"] != code.as_str()
                        || !delivery.has_comment()
                    {
                        continue;
                    }
                    match self
                        .update_delivery(&delivery, &delivery.without_comment())
                        .await
                    {
                        Ok(()) => {}
                        Err(StoreError::Conflict(_)) => conflicted = true,
                        Err(e) => return Err(e),
                    }
                }
                if !conflicted {
                    break;
                }
            }
        }
        Ok(())
    }

    pub(super) async fn erase_by_customer(
        &self,
        customer: &CustomerRef,
    ) -> Result<Erased, StoreError> {
        let query = self
            .client
            .query()
            .table_name(&*self.table)
            .index_name(GSI1)
            .key_condition_expression("#gpk = :gpk")
            .expression_attribute_names("#gpk", GSI1_PK)
            .expression_attribute_values(":gpk", s(keys::customer(customer)));
        let mut erased = Erased::default();
        for item in self.all_pages(query).await? {
            let code = code_of(&item, "an invitation")?;
            erased += self.erase_code(&code).await?;
        }
        Ok(erased)
    }
}

#[async_trait]
impl ErasureStore for DynamoStore {
    async fn erase_customer(
        &self,
        customer_ref: &CustomerRef,
        contact: &str,
    ) -> Result<Erased, StoreError> {
        let (pk, sk) = keys::contact(contact);
        self.delete(pk, sk).await?;
        self.erase_by_customer(customer_ref).await
    }

    async fn erase_invitation(&self, code: &Code) -> Result<Erased, StoreError> {
        self.erase_code(code).await
    }
}
