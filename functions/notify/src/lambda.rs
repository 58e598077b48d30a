//! The Lambda side: a batch of the table's stream in, batch item failures
//! out (Lambda then retries from the first failed record, and after its
//! retry limit sends the batch's description to the dead-letter queue).

use crate::Notifier;
use aws_lambda_events::event::dynamodb::{Event, EventRecord};
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use feedback_store::dynamo::{StreamRecord, read_record};
use feedback_store::{StoreError, StreamChange};

/// What a stream record means, from the Lambda event's shape.
pub fn change_of(record: EventRecord) -> Result<StreamChange, StoreError> {
    read_record(&StreamRecord::from(record))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::response;
    use feedback_core::Response;
    use feedback_core::webhook::{Backoff, Change, UrlPolicy};
    use serde_json::{Value, json};
    use std::sync::Arc;

    /// A stream record as Lambda delivers it (DynamoDB JSON images).
    fn record(name: &str, seq: &str, keys: Value, new: Option<Value>, ttl: bool) -> Value {
        let mut dynamodb = json!({
            "ApproximateCreationDateTime": 1_795_000_000.0,
            "Keys": keys,
            "SequenceNumber": seq,
            "SizeBytes": 100,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        });
        if let Some(new) = new {
            dynamodb["NewImage"] = new;
        }
        let mut r = json!({
            "eventID": seq, "eventName": name, "eventVersion": "1.1",
            "eventSource": "aws:dynamodb", "awsRegion": "eu-west-1",
            "dynamodb": dynamodb,
        });
        if ttl {
            r["userIdentity"] = json!({"type": "Service", "principalId": "dynamodb.amazonaws.com"});
        }
        r
    }

    fn s(v: &str) -> Value {
        json!({ "S": v })
    }

    fn image(r: &Response) -> Value {
        let item: serde_dynamo::Item = serde_dynamo::to_item(r).unwrap();
        let mut v = serde_json::to_value(item).unwrap();
        v["pk"] = s(&format!("INV#{}", r.code));
        v["sk"] = s(&format!("RESP#{}", r.id));
        v
    }

    #[test]
    fn records_mean_changes_expiries_or_nothing() {
        let r = response();
        let keys = json!({"pk": s(&format!("INV#{}", r.code)), "sk": s(&format!("RESP#{}", r.id))});
        let marker = json!({"pk": s(&format!("INV#{}", r.code)), "sk": s("PII")});
        let rollup = json!({"pk": s("ROLL#all"), "sk": s("2026-11-23")});
        let event: Event = serde_json::from_value(json!({"Records": [
            record("INSERT", "1", keys, Some(image(&r)), false),
            record("REMOVE", "2", marker.clone(), None, true),
            record("REMOVE", "3", marker, None, false),
            record("MODIFY", "4", rollup.clone(), Some(rollup), false),
        ]}))
        .unwrap();
        let changes: Vec<StreamChange> = event
            .records
            .into_iter()
            .map(|r| change_of(r).unwrap())
            .collect();
        assert_eq!(
            changes,
            [
                StreamChange::Changed(Change::Response {
                    before: None,
                    after: Box::new(r.clone())
                }),
                StreamChange::Expired(r.code.clone()),
                StreamChange::Ignored,
                StreamChange::Ignored,
            ]
        );
    }

    #[tokio::test]
    async fn an_unreadable_record_is_reported_so_lambda_retries_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = feedback_store::SqliteStore::open(dir.path().join("f.db")).unwrap();
        let notifier = Notifier::new(Arc::new(store), UrlPolicy::PublicHttps, Backoff::DEFAULT);
        let r = response();
        let keys = json!({"pk": s(&format!("INV#{}", r.code)), "sk": s(&format!("RESP#{}", r.id))});
        let mut corrupt = image(&r);
        corrupt["score"] = s("not a number");
        let event: Event = serde_json::from_value(json!({"Records": [
            record("INSERT", "7", keys.clone(), Some(image(&r)), false),
            record("INSERT", "8", keys.clone(), Some(corrupt), false),
            record("INSERT", "9", keys, Some(image(&r)), false),
        ]}))
        .unwrap();
        let response = on_stream(&notifier, event).await;
        let failed: Vec<_> = response
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier.clone())
            .collect();
        assert_eq!(failed, [Some("8".to_owned())]);
    }
}
