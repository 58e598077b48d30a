//! WebhookStore and their deliveries.
//!
//! A webhook is `WEBHOOK` / `{id}` (a tenant has a handful). A delivery is
//! `DLV#{webhook}` / `{event time}#{id}`, so a webhook's recent deliveries
//! are one query; while pending it is also in the sparse `gsi2` under
//! `DLV#due` / `{next attempt}#{id}`, the retry queue, which holds only what
//! is still to send. Deliveries expire through TTL 30 days after their event.

use super::meter::Side;
use super::table::{GSI2_PK, GSI2_SK, PK, SK, TTL_ATTRIBUTE};
use super::{DynamoStore, Item, decode, encode, keys, n, s, sdk_error};
use crate::cursor::{Listed, instant_key};
use crate::{StoreError, WebhookStore};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnConsumedCapacity, ReturnValue};
use chrono::{DateTime, Duration, Utc};
use feedback_core::webhook::{Delivery, DeliveryState, Webhook};
use serde_dynamo::aws_sdk_dynamodb_1::to_attribute_value;

const EVENT: &str = "event";
/// How long a delivery's record is kept after its event.
const KEEP_DELIVERIES: Duration = Duration::days(30);

/// The event goes in as JSON text: its data is kept exactly as sent, and
/// DynamoDB Local's stream renders an empty map (`"answers": {}`) in a form
/// the SDK cannot parse, which would stall the local stream reader.
fn delivery_item(d: &Delivery) -> Result<Item, StoreError> {
    let mut item = encode(d)?;
    let event = serde_json::to_string(&d.event).map_err(StoreError::internal)?;
    item.insert(EVENT.into(), s(event));
    item.insert(PK.into(), s(keys::deliveries(&d.webhook_id)));
    item.insert(SK.into(), s(d.sort_key()));
    if let (DeliveryState::Pending, Some(at)) = (d.state, d.next_attempt_at) {
        item.insert(GSI2_PK.into(), s(keys::DUE_DELIVERIES));
        item.insert(GSI2_SK.into(), s(format!("{}#{}", instant_key(at), d.id)));
    }
    let expires = d.event.created_at + KEEP_DELIVERIES;
    item.insert(TTL_ATTRIBUTE.into(), n(expires.timestamp()));
    Ok(item)
}

fn decode_delivery(mut item: Item) -> Result<Delivery, StoreError> {
    if let Some(AttributeValue::S(text)) = item.remove(EVENT) {
        let event: serde_json::Value = serde_json::from_str(&text).map_err(StoreError::internal)?;
        item.insert(
            EVENT.into(),
            to_attribute_value(event).map_err(StoreError::internal)?,
        );
    }
    decode(item)
}

impl DynamoStore {
    /// Every stored delivery of `webhook_id` whose event names `code`.
    pub(super) async fn deliveries_naming(
        &self,
        webhook_id: &str,
        code: &feedback_core::Code,
    ) -> Result<Vec<Delivery>, StoreError> {
        let query = self
            .client
            .query()
            .table_name(&*self.table)
            .key_condition_expression("#pk = :pk")
            .filter_expression("contains(#event, :code)")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#event", EVENT)
            .expression_attribute_values(":pk", s(keys::deliveries(webhook_id)))
            .expression_attribute_values(":code", s(code.as_str()))
            .consistent_read(true);
        self.all_pages(query)
            .await?
            .into_iter()
            .map(decode_delivery)
            .collect()
    }

    /// The first `limit` deliveries `query` finds.
    async fn deliveries(
        &self,
        query: aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder,
        limit: usize,
    ) -> Result<Vec<Delivery>, StoreError> {
        let items = self.first_items(query, limit).await?;
        items.into_iter().map(decode_delivery).collect()
    }

    /// Puts `item` when `condition` (with a `:rev` value, if any) holds;
    /// false when it does not.
    async fn put_if(
        &self,
        item: Item,
        condition: &str,
        revision: Option<u32>,
    ) -> Result<bool, StoreError> {
        let sent = self
            .client
            .put_item()
            .table_name(&*self.table)
            .set_item(Some(item))
            .condition_expression(condition)
            .set_expression_attribute_values(
                revision.map(|r| [(":rev".to_owned(), n(r))].into_iter().collect()),
            )
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await;
        self.landed(
            sent,
            |e| e.is_conditional_check_failed_exception(),
            |o| o.consumed_capacity(),
        )
    }
}

#[async_trait]
impl WebhookStore for DynamoStore {
    async fn create_webhook(&self, webhook: &Webhook) -> Result<(), StoreError> {
        let mut item = encode(webhook)?;
        item.insert(PK.into(), s(keys::WEBHOOKS));
        item.insert(SK.into(), s(webhook.id.clone()));
        match self.put_if(item, "attribute_not_exists(pk)", None).await? {
            true => Ok(()),
            false => Err(StoreError::Conflict(format!(
                "webhook {} exists",
                webhook.id
            ))),
        }
    }

    async fn list_webhooks(&self) -> Result<Vec<Webhook>, StoreError> {
        let items = self.query_all(keys::WEBHOOKS.into(), None).await?;
        let mut hooks = items
            .into_iter()
            .map(decode)
            .collect::<Result<Vec<Webhook>, _>>()?;
        hooks.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        Ok(hooks)
    }

    async fn delete_webhook(&self, id: &str) -> Result<bool, StoreError> {
        let out = self
            .client
            .delete_item()
            .table_name(&*self.table)
            .key(PK, s(keys::WEBHOOKS))
            .key(SK, s(id))
            .return_values(ReturnValue::AllOld)
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await
            .map_err(sdk_error)?;
        self.meter.add(Side::Write, out.consumed_capacity());
        Ok(out.attributes.is_some_and(|a| !a.is_empty()))
    }

    async fn add_delivery(&self, d: &Delivery) -> Result<bool, StoreError> {
        self.put_if(delivery_item(d)?, "attribute_not_exists(pk)", None)
            .await
    }

    async fn update_delivery(
        &self,
        previous: &Delivery,
        next: &Delivery,
    ) -> Result<(), StoreError> {
        let condition = "revision = :rev";
        match self
            .put_if(delivery_item(next)?, condition, Some(previous.revision))
            .await?
        {
            true => Ok(()),
            false => Err(StoreError::Conflict(
                "the delivery changed meanwhile".into(),
            )),
        }
    }

    async fn list_deliveries(
        &self,
        webhook_id: &str,
        limit: usize,
    ) -> Result<Vec<Delivery>, StoreError> {
        let query = self
            .client
            .query()
            .key_condition_expression("#pk = :pk")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_values(":pk", s(keys::deliveries(webhook_id)))
            .scan_index_forward(false);
        self.deliveries(query, limit).await
    }

    async fn due_deliveries(
        &self,
        at: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Delivery>, StoreError> {
        let query = self.due_query(keys::DUE_DELIVERIES, at);
        self.deliveries(query, limit).await
    }
}
