//! A table for the functions to work on, made through the local server
//! against DynamoDB Local: an admin key, invitations to rate and to read,
//! some ratings for the scores, and one stored response for the stream
//! batch.

use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::{Value, json};
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

/// What the events refer to.
pub struct Data {
    /// An admin key's secret (the authorizer's event carries it).
    pub key: String,
    /// Invitations nobody answered, one per rating event.
    pub unanswered: Vec<String>,
    /// Invitations with an answer, for the page's JSON.
    pub answered: Vec<String>,
    /// A stored response item, as DynamoDB Streams shows it.
    pub response_image: Value,
    /// Its key attributes.
    pub response_keys: Value,
}

fn server_env<'a>(
    command: &'a mut tokio::process::Command,
    endpoint: &str,
    table: &str,
) -> &'a mut tokio::process::Command {
    command
        .env("DYNAMODB_ENDPOINT", endpoint)
        .env("DYNAMODB_TABLE", table)
        .env("TENANT_TIME_ZONE", "Asia/Karachi")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
}

async fn post(
    http: &reqwest::Client,
    url: String,
    key: &str,
    body: Value,
) -> Result<Value, String> {
    let response = http
        .post(&url)
        .bearer_auth(key)
        .json(&body)
        .send()
        .await
        .map_err(|e| format!("{url}: {e}"))?;
    let status = response.status();
    let body: Value = response.json().await.map_err(|e| format!("{url}: {e}"))?;
    if status.is_success() {
        Ok(body)
    } else {
        Err(format!("{url}: {status} {body}"))
    }
}

pub async fn seed(
    server: &Path,
    endpoint: &str,
    table: &str,
    ratings: usize,
) -> Result<Data, String> {
    let created = server_env(&mut tokio::process::Command::new(server), endpoint, table)
        .args(["keys", "create", "--scope", "admin", "--name", "coldstart"])
        .output()
        .await
        .map_err(|e| format!("{}: {e}", server.display()))?;
    let key = String::from_utf8_lossy(&created.stdout).trim().to_owned();
    if !created.status.success() || key.is_empty() {
        return Err("the local server made no key".into());
    }
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let address = listener.local_addr().map_err(|e| e.to_string())?;
    drop(listener);
    let mut running = server_env(&mut tokio::process::Command::new(server), endpoint, table)
        .env("FEEDBACK_ADDR", address.to_string())
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| e.to_string())?;
    let base = format!("http://{address}");
    let http = reqwest::Client::new();
    let mut up = false;
    for _ in 0..100 {
        if http.get(format!("{base}/healthz")).send().await.is_ok() {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    if !up {
        return Err("the local server did not start".into());
    }
    // The rating events' invitations, and as many more to answer now.
    let answered_count = 30;
    let mut codes = Vec::new();
    let mut made = 0;
    while made < ratings + answered_count {
        let batch = (ratings + answered_count - made).min(500);
        let invitations: Vec<Value> = (made..made + batch)
            .map(|i| json!({"order_id": format!("cold-{i}"), "channel": "sms"}))
            .collect();
        let body = json!({ "invitations": invitations });
        let out = post(&http, format!("{base}/v1/invitations"), &key, body).await?;
        for invitation in out["invitations"].as_array().into_iter().flatten() {
            codes.push(invitation["code"].as_str().unwrap_or_default().to_owned());
        }
        made += batch;
    }
    let answered = codes.split_off(ratings);
    for (i, code) in answered.iter().enumerate() {
        let body = json!({"score": 1 + i % 5, "comment": "fine"});
        post(&http, format!("{base}/r/{code}"), &key, body).await?;
    }
    running.kill().await.ok();

    let client = aws_sdk_dynamodb::Client::new(&feedback_store::dynamo::local_config(endpoint));
    let item = client
        .query()
        .table_name(table)
        .key_condition_expression("pk = :pk AND begins_with(sk, :sk)")
        .expression_attribute_values(":pk", AttributeValue::S(format!("INV#{}", answered[0])))
        .expression_attribute_values(":sk", AttributeValue::S("RESP".into()))
        .send()
        .await
        .map_err(|e| format!("reading a response: {e:?}"))?
        .items
        .and_then(|items| items.into_iter().next())
        .ok_or("no stored response to stream")?;
    let keys: std::collections::HashMap<_, _> = item
        .iter()
        .filter(|(k, _)| *k == "pk" || *k == "sk")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let image =
        |item| serde_json::to_value(serde_dynamo::Item::from(item)).map_err(|e| e.to_string());
    Ok(Data {
        key,
        unanswered: codes,
        answered,
        response_image: image(item)?,
        response_keys: image(keys)?,
    })
}
