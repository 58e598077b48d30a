//! Baseline: SDK config from the environment, a DynamoDB client (on the
//! SDK's own HTTPS client), one `GetItem` during init (as the project's
//! functions warm their connection) and one per request.

use aws_sdk_dynamodb::Client;
use coldstart::{get_settings as get, sdk_https_client};
use lambda_http::{Body, Error, Request, Response, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let mut loader =
        aws_config::defaults(aws_config::BehaviorVersion::latest()).http_client(sdk_https_client());
    if let Ok(endpoint) = std::env::var("DYNAMODB_ENDPOINT") {
        loader = loader.endpoint_url(endpoint);
    }
    let client = Client::new(&loader.load().await);
    let table = std::env::var("DYNAMODB_TABLE")?;
    get(&client, &table).await?;
    let (client, table) = (&client, table.as_str());
    lambda_http::run(service_fn(move |_: Request| async move {
        let found = get(client, table).await?;
        Ok::<_, Error>(Response::new(Body::from(found.to_string())))
    }))
    .await
}
