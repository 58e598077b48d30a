//! The SDK on the project's HTTP client (`feedback_store::dynamo::https_client`,
//! reqwest with HTTP/1.1) against the SDK on its own hyper client, as the
//! DynamoDB baseline uses it: the time per `GetItem` on DynamoDB Local,
//! in alternating rounds so both see the same machine.
//!
//!   DYNAMODB_ENDPOINT=http://127.0.0.1:8000 DYNAMODB_TABLE=t target/release/http-clients
//!
//! The table needs a `pk` and `sk` string key (any table the local server
//! or the cold-start harness made); the item read need not exist.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use std::time::Instant;

const CALLS: u32 = 500;
const ROUNDS: u32 = 5;

async fn get(client: &Client, table: &str) -> Result<(), aws_sdk_dynamodb::Error> {
    client
        .get_item()
        .table_name(table)
        .key("pk", AttributeValue::S("SETTINGS".into()))
        .key("sk", AttributeValue::S("SETTINGS".into()))
        .send()
        .await?;
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let endpoint = std::env::var("DYNAMODB_ENDPOINT")?;
    let table = std::env::var("DYNAMODB_TABLE")?;
    let config = feedback_store::dynamo::local_config(&endpoint);
    let project = Client::new(&config);
    use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
    let stock = aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https();
    let sdk = Client::new(&config.to_builder().http_client(stock).build());
    for _ in 0..100 {
        get(&project, &table).await?;
        get(&sdk, &table).await?;
    }
    println!("| round | project's client (reqwest) ms/call | SDK's client (hyper) ms/call |");
    println!("|---:|---:|---:|");
    for round in 1..=ROUNDS {
        let mut times = [0.0; 2];
        for (time, client) in times.iter_mut().zip([&project, &sdk]) {
            let start = Instant::now();
            for _ in 0..CALLS {
                get(client, &table).await?;
            }
            *time = start.elapsed().as_secs_f64() * 1000.0 / f64::from(CALLS);
        }
        println!("| {round} | {:.3} | {:.3} |", times[0], times[1]);
    }
    Ok(())
}
