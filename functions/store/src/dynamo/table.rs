//! The table: its key schema, index and stream, in one place so that
//! `create_table`, the SAM template and the test that compares them agree.
//! Each item's keys are made in [`super::keys`]; what they look like:
//!
//! | item       | pk                 | sk              | gsi1pk / gsi1sk           |
//! |------------|--------------------|-----------------|---------------------------|
//! | invitation | `INV#{code}`       | `INV`           | with a customer ref: `CUST#{ref}` / `INV#{code}` |
//! | retention marker | `INV#{code}` | `PII`           | (`ttl`: when its personal data expires) |
//! | order      | `ORDER#{order_id}` | `ORDER`         |                           |
//! | response   | `INV#{code}`       | `RESP#{id}`     | `RESP` / `{submitted}#{id}` |
//! | follow-up  | `FU#{id}`          | `FU`            | `FU` / `{opened}#{id}`; while open also gsi2 `FU#open` / `{opened}#{id}` |
//! | rollup     | `ROLL#{slice}`     | `{YYYY-MM-DD}`  |                           |
//! | its questions' moments | `ROLL#{slice}#q` | `{YYYY-MM-DD}` |                   |
//! | rep        | `REP`              | `{rep_id}`      |                           |
//! | API key    | `KEY`              | `{sha256 hex}`  |                           |
//! | settings   | `SETTINGS`         | `SETTINGS`      |                           |
//! | webhook    | `WEBHOOK`          | `{id}`          |                           |
//! | delivery   | `DLV#{webhook}`    | `{event time}#{id}` | while pending gsi2 `DLV#due` / `{next attempt}#{id}`; `ttl` 30 days |
//! | reusable link | `LINKS`         | `{code}`        |                           |
//! | contact throttle | `CONTACT#{keyed hash}` | `CONTACT` | (`ttl`: when the throttle ends) |
//! | address quota | `QUOTA#{key}`   | `QUOTA`         | (`ttl`: a day after it resets) |
//! | burst tally | `TALLY#{key}`     | `TALLY`         | (`ttl`: a day after its window) |
//! | tenant secret | `SECRET`        | `SECRET`        |                           |
//! | aggregator checkpoint | `AGG`   | `{stream shard id}` | (`ttl`: two days after its last batch) |
//!
//! A slice's rollups share one partition sorted by day, so any day range is
//! one `Query`. Responses and follow-ups are listed newest first through
//! `gsi1`; `gsi2` is sparse: only follow-ups awaiting first contact and
//! deliveries awaiting a retry are in it, so each queue reads only itself.

use crate::StoreError;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::client::Waiters;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, StreamSpecification, StreamViewType,
    TimeToLiveSpecification,
};

pub const PK: &str = "pk";
pub const SK: &str = "sk";
pub const GSI1: &str = "gsi1";
pub const GSI1_PK: &str = "gsi1pk";
pub const GSI1_SK: &str = "gsi1sk";
pub const GSI2: &str = "gsi2";
pub const GSI2_PK: &str = "gsi2pk";
pub const GSI2_SK: &str = "gsi2sk";
/// Epoch seconds after which DynamoDB may delete an item (personal data
/// under a retention setting).
pub const TTL_ATTRIBUTE: &str = "ttl";
/// Set (`true`) on every invitation, response and follow-up this version
/// writes: the aggregator counts a change only when its new image has it.
/// Items written by versions that updated rollups in the write's own
/// transaction lack it, so the aggregator never counts their changes twice.
pub const COUNTED_BY_STREAM: &str = "agg";

fn key(name: &str, key_type: KeyType) -> Result<KeySchemaElement, StoreError> {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(key_type)
        .build()
        .map_err(StoreError::internal)
}

fn string_attribute(name: &str) -> Result<AttributeDefinition, StoreError> {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(ScalarAttributeType::S)
        .build()
        .map_err(StoreError::internal)
}

/// A global secondary index projecting every attribute.
fn index(name: &str, pk: &str, sk: &str) -> Result<GlobalSecondaryIndex, StoreError> {
    GlobalSecondaryIndex::builder()
        .index_name(name)
        .key_schema(key(pk, KeyType::Hash)?)
        .key_schema(key(sk, KeyType::Range)?)
        .projection(
            Projection::builder()
                .projection_type(ProjectionType::All)
                .build(),
        )
        .build()
        .map_err(StoreError::internal)
}

/// Creates the table (on-demand, with `gsi1` and `gsi2`, a stream of new and old
/// images, and TTL) unless it exists. Used by tests and the local tools; the
/// SAM template declares the same table for deployments.
pub async fn create_table(client: &Client, table: &str) -> Result<(), StoreError> {
    let created = client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .set_attribute_definitions(Some(vec![
            string_attribute(PK)?,
            string_attribute(SK)?,
            string_attribute(GSI1_PK)?,
            string_attribute(GSI1_SK)?,
            string_attribute(GSI2_PK)?,
            string_attribute(GSI2_SK)?,
        ]))
        .key_schema(key(PK, KeyType::Hash)?)
        .key_schema(key(SK, KeyType::Range)?)
        .global_secondary_indexes(index(GSI1, GSI1_PK, GSI1_SK)?)
        .global_secondary_indexes(index(GSI2, GSI2_PK, GSI2_SK)?)
        .stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::NewAndOldImages)
                .build()
                .map_err(StoreError::internal)?,
        )
        .send()
        .await;
    match created {
        Ok(_) => {}
        Err(e)
            if e.as_service_error()
                .is_some_and(|e| e.is_resource_in_use_exception()) =>
        {
            return Ok(());
        }
        Err(e) => return Err(super::sdk_error(e)),
    }
    client
        .wait_until_table_exists()
        .table_name(table)
        .wait(std::time::Duration::from_secs(120))
        .await
        .map_err(StoreError::unavailable)?;
    client
        .update_time_to_live()
        .table_name(table)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .enabled(true)
                .attribute_name(TTL_ATTRIBUTE)
                .build()
                .map_err(StoreError::internal)?,
        )
        .send()
        .await
        .map_err(super::sdk_error)?;
    Ok(())
}
