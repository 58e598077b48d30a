//! Lambda `send`: every minute (a schedule), sends the invitations that
//! have come due, by SES and SNS in the tenant's account, and records what
//! came of each; and, subscribed to the topic SES reports to, records the
//! bounces and complaints SES reports later. It may read what a message
//! needs (the invitation, its answer, the reps, the settings, the
//! suppression list) and write the invitation's sending state and the
//! suppression list.

use feedback_http::Tenant;
use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::{Value, json};
use std::time::Duration;

/// How long one invocation keeps sweeping a backlog (the function's
/// timeout leaves room for the messages in flight).
const BUDGET: Duration = Duration::from_secs(40);

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    feedback_telemetry::logs::init_lambda();
    let store = feedback_store::DynamoStore::from_env()?;
    let tenant = Tenant::from_env("")?;
    if tenant.base_url.is_empty() {
        return Err("PUBLIC_BASE_URL is not set: every message links to it".into());
    }
    let messengers = feedback_send::aws::from_env(store.sdk_config())?;
    let (store, messengers, tenant) = (&store, &messengers, &tenant);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        // SNS delivers SES's reports as records; the schedule's event has none.
        if event.payload.get("Records").is_some() {
            let reports = serde_json::from_value(event.payload)?;
            let done = feedback_send::reports::record(store, &reports, chrono::Utc::now()).await?;
            return Ok(json!({"recorded": done.recorded, "ignored": done.ignored}));
        }
        let swept = feedback_send::drain(store, messengers, tenant, BUDGET).await?;
        Ok::<_, lambda_runtime::Error>(json!({
            "sent": swept.sent,
            "not_sent": swept.not_sent,
            "cancelled": swept.cancelled,
            "skipped": swept.skipped,
        }))
    }))
    .await
}
