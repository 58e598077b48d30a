//! Baseline: SDK config from the environment, a DynamoDB client (on the
//! project's HTTPS client), one `GetItem` during init (as the project's
//! functions warm their connection) and one per request.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use lambda_http::{Body, Error, Request, Response, service_fn};

async fn get(client: &Client, table: &str) -> Result<bool, Error> {
    let out = client
        .get_item()
        .table_name(table)
        .key("pk", AttributeValue::S("SETTINGS".into()))
        .key("sk", AttributeValue::S("SETTINGS".into()))
        .send()
        .await?;
    Ok(out.item.is_some())
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
    let https = aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https();
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest()).http_client(https);
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
