//! What the DynamoDB baseline and the client timing (`http-clients`) share:
//! the SDK's own HTTPS client, and the baseline's one read.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::SharedHttpClient;
use aws_sdk_dynamodb::types::AttributeValue;

/// The SDK's own hyper client, on rustls with ring as the project's was
/// before it moved to reqwest (docs/decisions/0009).
pub fn sdk_https_client() -> SharedHttpClient {
    use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
    aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https()
}

/// One GetItem of the settings item; whether it was there.
pub async fn get_settings(client: &Client, table: &str) -> Result<bool, aws_sdk_dynamodb::Error> {
    let out = client
        .get_item()
        .table_name(table)
        .key("pk", AttributeValue::S("SETTINGS".into()))
        .key("sk", AttributeValue::S("SETTINGS".into()))
        .send()
        .await?;
    Ok(out.item.is_some())
}
