//! Lambda `authorizer`: API Gateway HTTP API authorizer (simple responses)
//! for every `/v1` route. It may read API keys and nothing else.

use aws_lambda_events::apigw::ApiGatewayV2CustomAuthorizerV2Request;
use lambda_runtime::{LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let store = feedback_store::DynamoStore::from_env().await;
    let store = &store;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<ApiGatewayV2CustomAuthorizerV2Request>| async move {
            feedback_http::lambda::authorize(store, &event.payload).await
        },
    ))
    .await
}
