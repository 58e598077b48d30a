//! SendStore on DynamoDB. An invitation with a message to send is also in
//! the sparse `gsi2` under `SEND#due` / `{wake time}#{code}`, the send
//! queue; its sending state changes by an `UpdateItem` of that one
//! attribute and the queue keys, conditioned on the revision read. A
//! contact that opted out is `SUPPRESS#{keyed hash}` / `SUPPRESS`.

use super::table::{GSI2_PK, GSI2_SK, PK, SK};
use super::{DynamoStore, Item, decode, keys, s};
use crate::cursor::instant_key;
use crate::{SendStore, StoreError};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnConsumedCapacity};
use chrono::{DateTime, Utc};
use feedback_core::sending::{Sending, Suppression};
use feedback_core::{Code, Invitation};
use serde_dynamo::aws_sdk_dynamodb_1::to_attribute_value;

pub(super) const SENDING: &str = "sending";

/// The send queue's keys for an invitation in state `sending`, if it is
/// queued at all.
pub(super) fn queue_keys(
    code: &Code,
    sending: &Sending,
) -> Option<(AttributeValue, AttributeValue)> {
    let wake = sending.wake_at()?;
    Some((
        s(keys::DUE_SENDS),
        s(format!("{}#{code}", instant_key(wake))),
    ))
}

/// Puts `invitation`'s place in the send queue into its `item`.
pub(super) fn queue(invitation: &Invitation, item: &mut Item) {
    if let Some((pk, sk)) =
        (invitation.sending.as_ref()).and_then(|st| queue_keys(&invitation.code, st))
    {
        item.insert(GSI2_PK.into(), pk);
        item.insert(GSI2_SK.into(), sk);
    }
}

#[async_trait]
impl SendStore for DynamoStore {
    async fn due_sends(
        &self,
        at: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Invitation>, StoreError> {
        let query = self.due_query(keys::DUE_SENDS, at);
        let items = self.first_items(query, limit).await?;
        items.into_iter().map(decode).collect()
    }

    async fn update_sending(
        &self,
        code: &Code,
        previous: &Sending,
        next: &Sending,
    ) -> Result<(), StoreError> {
        let (pk, sk) = keys::invitation(code);
        let value = to_attribute_value(next).map_err(StoreError::internal)?;
        let update = self
            .client
            .update_item()
            .table_name(&*self.table)
            .key(PK, s(pk))
            .key(SK, s(sk))
            .condition_expression("#sending.#rev = :rev")
            .expression_attribute_names("#sending", SENDING)
            .expression_attribute_names("#rev", "revision")
            .expression_attribute_names("#gpk", GSI2_PK)
            .expression_attribute_names("#gsk", GSI2_SK)
            .expression_attribute_values(":rev", super::n(previous.revision))
            .expression_attribute_values(":next", value);
        let update = match queue_keys(code, next) {
            Some((qpk, qsk)) => update
                .update_expression("SET #sending = :next, #gpk = :qpk, #gsk = :qsk")
                .expression_attribute_values(":qpk", qpk)
                .expression_attribute_values(":qsk", qsk),
            None => update.update_expression("SET #sending = :next REMOVE #gpk, #gsk"),
        };
        let sent = update
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await;
        match self.landed(
            sent,
            |e| e.is_conditional_check_failed_exception(),
            |o| o.consumed_capacity(),
        )? {
            true => Ok(()),
            false => Err(StoreError::Conflict(
                "the invitation's sending changed meanwhile".into(),
            )),
        }
    }

    async fn suppress(
        &self,
        hash: &str,
        why: Suppression,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let (pk, sk) = keys::suppressed(hash);
        let item = Item::from([
            (PK.to_owned(), s(pk)),
            (SK.to_owned(), s(sk)),
            ("at".to_owned(), s(at.to_rfc3339())),
            ("why".to_owned(), s(why.as_str())),
        ]);
        // A second entry keeps the first's reason and time.
        self.put_new(item).await.map(|_| ())
    }

    async fn suppression(&self, hash: &str) -> Result<Option<Suppression>, StoreError> {
        let (pk, sk) = keys::suppressed(hash);
        Ok(self.get(pk, sk).await?.map(|item| {
            Suppression::stored(
                item.get("why")
                    .and_then(|v| v.as_s().ok())
                    .map(String::as_str),
            )
        }))
    }
}
