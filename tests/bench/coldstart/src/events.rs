//! The event each function answers, as Lambda hands it over: API Gateway
//! HTTP API (payload 2.0) requests, an HTTP API authorizer request, and a
//! DynamoDB stream batch.

use crate::Case;
use crate::seed::Data;
use serde_json::{Value, json};
use std::sync::Arc;

/// An HTTP API request; `scopes` is what the authorizer would have
/// attached (none on public routes).
fn http(method: &str, path: &str, body: Option<Value>, scopes: Option<&str>) -> String {
    let (raw_path, query) = path.split_once('?').unwrap_or((path, ""));
    let now = chrono::Utc::now();
    let mut event = json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": raw_path,
        "rawQueryString": query,
        "headers": {
            "content-type": "application/json",
            "host": "api.feedback.example",
            "user-agent": "coldstart",
        },
        "requestContext": {
            "accountId": "000000000000",
            "apiId": "coldstart",
            "domainName": "api.feedback.example",
            "domainPrefix": "api",
            "http": {
                "method": method,
                "path": raw_path,
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.7",
                "userAgent": "coldstart",
            },
            "requestId": format!("r-{}", now.timestamp_nanos_opt().unwrap_or_default()),
            "routeKey": "$default",
            "stage": "$default",
            "time": now.format("%d/%b/%Y:%H:%M:%S +0000").to_string(),
            "timeEpoch": now.timestamp_millis(),
        },
        "isBase64Encoded": false,
    });
    if let Some(body) = body {
        event["body"] = json!(body.to_string());
    }
    if let Some(scopes) = scopes {
        event["requestContext"]["authorizer"] =
            json!({ "lambda": { "key_id": "coldstart", "scopes": scopes } });
    }
    event.to_string()
}

/// The authorizer's event for a business request carrying `key`.
fn authorizer(key: &str) -> String {
    json!({
        "version": "2.0",
        "type": "REQUEST",
        "routeArn": "arn:aws:execute-api:us-east-1:000000000000:coldstart/$default/GET/v1/scores",
        "identitySource": [format!("Bearer {key}")],
        "routeKey": "GET /v1/scores",
        "rawPath": "/v1/scores",
        "rawQueryString": "",
        "headers": { "authorization": format!("Bearer {key}") },
        "requestContext": {
            "accountId": "000000000000",
            "apiId": "coldstart",
            "domainName": "api.feedback.example",
            "http": {
                "method": "GET",
                "path": "/v1/scores",
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.7",
                "userAgent": "coldstart",
            },
            "requestId": "coldstart",
            "routeKey": "GET /v1/scores",
            "stage": "$default",
        },
    })
    .to_string()
}

/// A stream batch of one new response, as the stream functions get it:
/// with the tumbling window's properties `aggregate`'s mapping adds (notify
/// reads past them), and a sequence number past every earlier one, so the
/// aggregator applies each batch rather than skipping it.
fn stream_batch(data: &Data, sequence: usize) -> String {
    let now = chrono::Utc::now();
    json!({
        "shardId": "shardId-00000001796000000000-coldstart",
        "eventSourceARN": "arn:aws:dynamodb:us-east-1:000000000000:table/coldstart/stream/2026-01-01T00:00:00.000",
        "window": {"start": now.to_rfc3339(), "end": (now + chrono::Duration::seconds(60)).to_rfc3339()},
        "state": {},
        "isFinalInvokeForWindow": false,
        "isWindowTerminatedEarly": false,
        "Records": [{
            "eventID": format!("e-{sequence}"),
            "eventName": "INSERT",
            "eventVersion": "1.1",
            "eventSource": "aws:dynamodb",
            "awsRegion": "us-east-1",
            "eventSourceARN": "arn:aws:dynamodb:us-east-1:000000000000:table/coldstart/stream/2026-01-01T00:00:00.000",
            "dynamodb": {
                "ApproximateCreationDateTime": chrono::Utc::now().timestamp(),
                "Keys": data.response_keys,
                "NewImage": data.response_image,
                "SequenceNumber": format!("{}{sequence:04}", now.timestamp_micros()),
                "SizeBytes": 512,
                "StreamViewType": "NEW_AND_OLD_IMAGES",
            },
        }],
    })
    .to_string()
}

/// A stream function's answer with no failed record.
fn no_failed_record(answer: &Value) -> bool {
    answer["batchItemFailures"]
        .as_array()
        .is_some_and(Vec::is_empty)
}

/// A 2xx HTTP answer.
fn succeeded(answer: &Value) -> bool {
    answer["statusCode"]
        .as_u64()
        .is_some_and(|s| (200..300).contains(&s))
}

/// Every function with the event it is measured on, and the two baselines.
pub fn cases(data: Arc<Data>) -> Vec<Case> {
    let today = chrono::Utc::now().date_naive();
    let scores = format!(
        "/v1/scores?from={}&to={today}&granularity=week",
        today - chrono::Days::new(364)
    );
    let (page, rating, key, batch, counted) =
        (data.clone(), data.clone(), data.clone(), data.clone(), data);
    vec![
        Case {
            label: "hello-baseline (GET /)",
            binary: "hello-baseline",
            event: Box::new(|_| http("GET", "/", None, None)),
            expect: succeeded,
        },
        Case {
            label: "dynamo-baseline (GET /, one GetItem)",
            binary: "dynamo-baseline",
            event: Box::new(|_| http("GET", "/", None, None)),
            expect: succeeded,
        },
        Case {
            label: "collect (GET /r/{code}.json)",
            binary: "collect",
            event: Box::new(move |i| {
                let code = &page.answered[i % page.answered.len()];
                http("GET", &format!("/r/{code}.json"), None, None)
            }),
            expect: succeeded,
        },
        Case {
            label: "collect (POST /r/{code}, a rating)",
            binary: "collect",
            event: Box::new(move |i| {
                let code = &rating.unanswered[i];
                let body = json!({"score": 4, "answers": {"speed": 5}, "comment": "quick"});
                http("POST", &format!("/r/{code}"), Some(body), None)
            }),
            expect: succeeded,
        },
        Case {
            label: "manage (POST /v1/invitations)",
            binary: "manage",
            event: Box::new(move |i| {
                let order = format!("cold-manage-{}-{i}", std::process::id());
                let body = json!({"order_id": order, "channel": "email", "customer_ref": order});
                http(
                    "POST",
                    "/v1/invitations",
                    Some(body),
                    Some("invitations:write"),
                )
            }),
            expect: succeeded,
        },
        Case {
            label: "scores (GET /v1/scores, a year by week)",
            binary: "scores",
            event: Box::new(move |_| http("GET", &scores, None, Some("scores:read"))),
            expect: succeeded,
        },
        Case {
            label: "authorizer (an API key)",
            binary: "authorizer",
            event: Box::new(move |_| authorizer(&key.key)),
            expect: |answer| answer["isAuthorized"] == true,
        },
        Case {
            label: "notify (a stream batch of one response)",
            binary: "notify",
            event: Box::new(move |i| stream_batch(&batch, i)),
            expect: no_failed_record,
        },
        Case {
            label: "aggregate (a stream batch of one response)",
            binary: "aggregate",
            event: Box::new(move |i| stream_batch(&counted, i)),
            expect: no_failed_record,
        },
    ]
}
