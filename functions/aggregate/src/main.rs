//! Lambda `aggregate`: the table's stream to the rollups. Its event source
//! mapping has a tumbling window, only so that each batch names its shard;
//! every batch is applied as it comes (see `feedback_aggregate`).

use lambda_runtime::{LambdaEvent, service_fn};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    feedback_telemetry::logs::init_lambda();
    let store = feedback_store::DynamoStore::from_env()?;
    let store = &store;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<_>| async move {
        feedback_aggregate::on_batch(store, event.payload).await
    }))
    .await
}
