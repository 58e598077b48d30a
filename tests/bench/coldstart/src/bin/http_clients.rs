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
use coldstart::{get_settings as get, sdk_https_client};
use std::time::Instant;

const CALLS: u32 = 500;
const ROUNDS: u32 = 5;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let endpoint = std::env::var("DYNAMODB_ENDPOINT")?;
    let table = std::env::var("DYNAMODB_TABLE")?;
    let config = feedback_store::dynamo::local_config(&endpoint);
    let project = Client::new(&config);
    let sdk = Client::new(&config.to_builder().http_client(sdk_https_client()).build());
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
