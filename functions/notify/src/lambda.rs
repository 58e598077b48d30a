//! The Lambda side: a batch of the table's stream in, batch item failures
//! out (Lambda then retries from the first failed record, and after its
//! retry limit sends the batch's description to the dead-letter queue).

use crate::Notifier;
use aws_lambda_events::event::dynamodb::{Event, EventRecord};
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use feedback_store::StoreError;
use feedback_store::dynamo::{Item, StreamChange, read_record};

/// What a stream record means, from the Lambda event's shape.
pub fn change_of(record: EventRecord) -> Result<StreamChange, StoreError> {
    // TTL deletions are made by the DynamoDB service itself.
    let by_ttl = record
        .user_identity
        .as_ref()
        .is_some_and(|u| u.type_ == "Service" && u.principal_id == "dynamodb.amazonaws.com");
    let image = |item: serde_dynamo::Item| -> Item { item.into() };
    read_record(
        &record.event_name,
        &image(record.change.keys),
        image(record.change.old_image),
        image(record.change.new_image),
        by_ttl,
    )
}

/// Handles one batch: the records up to the first that fails are done; that
/// one is reported, so Lambda offers it and the rest again.
pub async fn on_stream(notifier: &Notifier, event: Event) -> DynamoDbEventResponse {
    let mut sequence_numbers = Vec::new();
    let mut changes = Vec::new();
    let mut unreadable = None;
    for record in event.records {
        let sequence = record.change.sequence_number.clone().unwrap_or_default();
        match change_of(record) {
            Ok(change) => {
                sequence_numbers.push(sequence);
                changes.push(change);
            }
            Err(e) => {
                tracing::error!(sequence, error = %e, "unreadable stream record");
                unreadable = Some(sequence);
                break;
            }
        }
    }
    let failed = match notifier.dispatch(&changes).await {
        Ok(()) => unreadable,
        Err(f) => {
            tracing::error!(error = %f.error, "stream record not handled; Lambda will retry it");
            Some(sequence_numbers[f.index].clone())
        }
    };
    let mut response = DynamoDbEventResponse::default();
    if let Some(sequence) = failed {
        let mut failure = DynamoDbBatchItemFailure::default();
        failure.item_identifier = Some(sequence);
        response.batch_item_failures.push(failure);
    }
    response
}
