//! Lambda `authorizer`: [`feedback_authorizer::authorize`] on the table's
//! API keys, over the Lambda runtime.

use aws_lambda_events::apigw::ApiGatewayV2CustomAuthorizerV2Request;
use lambda_runtime::{LambdaEvent, service_fn};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    feedback_telemetry::logs::init_lambda();
    let store = feedback_store::DynamoStore::from_env()?;
    feedback_authorizer::warm_up(&store).await;
    let store = &store;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<ApiGatewayV2CustomAuthorizerV2Request>| async move {
            feedback_authorizer::authorize(store, &event.payload).await
        },
    ))
    .await
}
