//! Each HTTP function's router fed real API Gateway v2 events (as Lambda
//! receives them, parsed by `lambda_http`), and the authorizer fed real
//! authorizer events. The store is SQLite here: what these tests check is the
//! event handling; the stores have their own contract suite.

mod support;

use axum::body::to_bytes;
use chrono::Utc;
use feedback_core::{ApiKey, Scope};
use feedback_http::{AppState, AuthMode, Function, router};
use feedback_store::{KeyStore, LinkStore, ResponseStore, SqliteStore, Store};
use serde_json::{Value, json};
use std::sync::Arc;
use support::{event, harness, tenant};
use tower::ServiceExt;

const AUTHORIZER_REQUEST: &str = include_str!("fixtures/apigw-v2-authorizer-request.json");

async fn call(store: Arc<SqliteStore>, function: Function, event: String) -> (u16, Value) {
    let request = lambda_http::request::from_str(&event).expect("a valid API Gateway v2 event");
    let app = router(
        &[function],
        AppState::new(store, tenant(), AuthMode::Gateway),
    );
    let response = app.oneshot(request).await.unwrap();
    let status = response.status().as_u16();
    let bytes = to_bytes(response.into_body(), 1 << 20).await.unwrap();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn manage_collect_and_scores_answer_gateway_events() {
    let h = harness();
    let writer = Some(("k1", "invitations:write,reps:write"));
    let (status, rep) = call(
        h.store.clone(),
        Function::Manage,
        event(
            "PUT",
            "/v1/reps/ayesha",
            Some(json!({"display_name": "Ayesha"})),
            writer,
        ),
    )
    .await;
    assert_eq!(
        (status, rep["display_name"].as_str()),
        (201, Some("Ayesha"))
    );
    let body = json!({"order_id": "A-1", "rep_id": "ayesha", "channel": "sms"});
    let (status, inv) = call(
        h.store.clone(),
        Function::Manage,
        event("POST", "/v1/invitations", Some(body), writer),
    )
    .await;
    assert_eq!(status, 201, "{inv}");
    let code = inv["code"].as_str().unwrap().to_owned();
    assert_eq!(
        inv["url"],
        format!("https://feedback.acme.example/r/{code}")
    );

    // The public function needs no authorizer context.
    let (status, page) = call(
        h.store.clone(),
        Function::Collect,
        event("GET", &format!("/r/{code}.json"), None, None),
    )
    .await;
    assert_eq!(
        (status, page["rep"]["display_name"].as_str()),
        (200, Some("Ayesha"))
    );
    let (status, rating) = call(
        h.store.clone(),
        Function::Collect,
        event(
            "POST",
            &format!("/r/{code}"),
            Some(json!({"score": 5})),
            None,
        ),
    )
    .await;
    assert_eq!((status, rating["score"].as_u64()), (201, Some(5)));

    let today = tenant().zone.day_of(Utc::now());
    let path = format!("/v1/scores?from={}&to={today}", today.pred_opt().unwrap());
    let (status, scores) = call(
        h.store.clone(),
        Function::Scores,
        event("GET", &path, None, Some(("k2", "scores:read"))),
    )
    .await;
    assert_eq!(status, 200, "{scores}");
    assert_eq!(scores["summary"]["csat"]["count"], 1);
    assert_eq!(scores["time_zone"], "Asia/Karachi");
}

#[tokio::test]
async fn functions_check_the_scope_from_the_authorizer_context() {
    let h = harness();
    let path = "/v1/scores?from=2026-01-01&to=2026-01-31";
    let (status, problem) = call(
        h.store.clone(),
        Function::Scores,
        event("GET", path, None, Some(("k", "responses:read"))),
    )
    .await;
    assert_eq!(
        (status, problem["type"].as_str()),
        (403, Some("urn:feedback:problem:forbidden"))
    );
    // Without the authorizer's context (a misconfigured route) nothing passes.
    let (status, _) = call(
        h.store.clone(),
        Function::Scores,
        event("GET", path, None, None),
    )
    .await;
    assert_eq!(status, 401);
    let (status, _) = call(
        h.store.clone(),
        Function::Scores,
        event("GET", path, None, Some(("k", "admin"))),
    )
    .await;
    assert_eq!(status, 200);
    // A function does not serve another function's routes.
    let (status, _) = call(
        h.store.clone(),
        Function::Collect,
        event("GET", path, None, Some(("k", "admin"))),
    )
    .await;
    assert_eq!(status, 404);
}

fn authorizer_event(
    authorization: Option<&str>,
) -> aws_lambda_events::apigw::ApiGatewayV2CustomAuthorizerV2Request {
    let mut e: Value = serde_json::from_str(AUTHORIZER_REQUEST).unwrap();
    e["routeKey"] = json!("GET /v1/scores");
    e["headers"] = match authorization {
        Some(a) => json!({ "authorization": a }),
        None => json!({}),
    };
    serde_json::from_value(e).unwrap()
}

#[tokio::test]
async fn the_authorizer_admits_live_keys_with_their_scopes() {
    let h = harness();
    let (key, secret) = ApiKey::generate(
        vec![Scope::ScoresRead, Scope::ResponsesRead],
        None,
        Utc::now(),
    )
    .unwrap();
    h.store.create_key(&key).await.unwrap();
    let store: &dyn Store = h.store.as_ref();

    let yes =
        feedback_authorizer::authorize(store, &authorizer_event(Some(&format!("Bearer {secret}"))))
            .await
            .unwrap();
    assert!(yes.is_authorized);
    assert_eq!(
        yes.context,
        json!({ "key_id": key.id, "scopes": "scores:read,responses:read" })
    );
    assert!(
        h.store
            .find_key(&key.hash)
            .await
            .unwrap()
            .unwrap()
            .last_used_at
            .is_some()
    );

    for bad in [
        None,
        Some("Bearer fbk_unknown"),
        Some("Basic abc"),
        Some(secret.as_str()),
    ] {
        let no = feedback_authorizer::authorize(store, &authorizer_event(bad))
            .await
            .unwrap();
        assert!(!no.is_authorized, "{bad:?}");
        assert_eq!(no.context, Value::Null);
    }
    h.store.revoke_key(&key.id, Utc::now()).await.unwrap();
    let revoked =
        feedback_authorizer::authorize(store, &authorizer_event(Some(&format!("Bearer {secret}"))))
            .await
            .unwrap();
    assert!(!revoked.is_authorized);
}

/// Behind API Gateway the client is the request context's source address:
/// the second answer from one address through a reusable link is refused,
/// an answer from another address is not, and neither address is stored.
#[tokio::test]
async fn the_gateway_source_address_is_the_client() {
    let h = harness();
    let link = feedback_core::links::NewLink::default()
        .validate(
            feedback_core::Code::generate().unwrap(),
            feedback_core::SurveyKind::Csat,
            Utc::now(),
        )
        .unwrap();
    h.store.create_link(&link).await.unwrap();
    let from = |ip: &str| {
        let mut e: Value = serde_json::from_str(&event(
            "POST",
            &format!("/r/{}", link.code),
            Some(json!({"score": 4})),
            None,
        ))
        .unwrap();
        e["requestContext"]["http"]["sourceIp"] = json!(ip);
        e.to_string()
    };
    let collect = |ip: &str| call(h.store.clone(), Function::Collect, from(ip));
    assert_eq!(collect("203.0.113.7").await.0, 201);
    let (status, body) = collect("203.0.113.7").await;
    assert_eq!(
        (status, body["type"].as_str()),
        (429, Some("urn:feedback:problem:rate-limited"))
    );
    assert_eq!(collect("203.0.113.8").await.0, 201);
    let listed = h
        .store
        .list_responses(&Default::default(), 10, None)
        .await
        .unwrap();
    let clients: std::collections::HashSet<_> = listed
        .items
        .iter()
        .map(|r| r.client.clone().unwrap())
        .collect();
    assert_eq!(clients.len(), 2);
    assert!(clients.iter().all(|c| !c.contains("203.0.113")));
}

#[test]
fn each_function_has_a_handler_for_every_route_it_is_listed_for() {
    let h = harness();
    for function in Function::ALL {
        // Building the router takes each of the function's routes' handlers,
        // and panics on one it lacks.
        let state = AppState::new(h.store.clone(), tenant(), AuthMode::Gateway);
        let _router = feedback_http::router(&[function], state);
    }
}
