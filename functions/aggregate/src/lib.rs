//! A batch of the table's stream, from one shard, applied to the rollups
//! exactly once ([`DynamoStore::aggregate`]).
//!
//! Lambda's DynamoDB event names its shard only with a tumbling window, and
//! the exactly-once argument needs the shard: its checkpoint is what makes
//! a retried batch a no-op. The window's state is not used (each batch is
//! applied at once, so the rollups are as fresh as the stream), but Lambda
//! requires the answer to carry one. A failure fails the whole batch, and
//! Lambda offers it again: what was applied before is skipped by the
//! checkpoint, so nothing half-applies and nothing counts twice.

use aws_lambda_events::event::dynamodb::{TimeWindowEvent, TimeWindowEventResponse};
use feedback_store::DynamoStore;
use feedback_store::dynamo::StreamRecord;

/// Why a batch failed (Lambda then offers it again).
pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// Applies one batch; an error makes Lambda retry it.
pub async fn on_batch(
    store: &DynamoStore,
    event: TimeWindowEvent,
) -> Result<TimeWindowEventResponse, Error> {
    let window = event.time_window_properties;
    let Some(shard) = window.shard_id.filter(|s| !s.is_empty()) else {
        return Err(
            "a stream batch without its shard id: the event source mapping needs a tumbling window"
                .into(),
        );
    };
    let records: Vec<StreamRecord> = event
        .dynamo_db_event
        .records
        .into_iter()
        .map(StreamRecord::from)
        .collect();
    let done = store
        .aggregate(&shard, &records, chrono::Utc::now())
        .await?;
    tracing::info!(
        shard,
        offered = records.len(),
        applied = done.records,
        rows = done.rows,
        transactions = done.transactions,
        "stream batch aggregated"
    );
    Ok(TimeWindowEventResponse::default())
}
