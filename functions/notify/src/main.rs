//! Lambda `notify`: reads the table's stream and sends signed webhooks;
//! every minute (a schedule) retries the deliveries that failed. It may read
//! webhooks and settings, write deliveries, and erase expired personal data.

use feedback_core::webhook::{Backoff, UrlPolicy};
use feedback_notify::Notifier;
use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::{Value, json};
use std::sync::Arc;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    feedback_telemetry::logs::init_lambda();
    let store = feedback_store::DynamoStore::from_env()?;
    let notifier = Notifier::new(Arc::new(store), UrlPolicy::PublicHttps, Backoff::DEFAULT);
    let notifier = &notifier;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        handle(notifier, event.payload).await
    }))
    .await
}

/// A stream batch (`Records`) or the schedule's tick (anything else).
async fn handle(notifier: &Notifier, payload: Value) -> Result<Value, lambda_runtime::Error> {
    if payload.get("Records").is_some() {
        let event = serde_json::from_value(payload)?;
        let response = feedback_notify::lambda::on_stream(notifier, event).await;
        return Ok(serde_json::to_value(response)?);
    }
    let attempted = notifier.retry_due(chrono::Utc::now()).await?;
    Ok(json!({ "attempted": attempted }))
}
