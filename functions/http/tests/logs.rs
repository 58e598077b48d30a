//! A request's log lines, in a test binary of their own: tracing caches
//! whether each call site is enabled process-wide, and a test on another
//! thread hitting the same call sites without a subscriber races that.

mod support;

use feedback_http::{AppState, AuthMode, Function, router};
use serde_json::{Value, json};
use std::sync::Arc;
use support::{event, harness, tenant};
use tower::ServiceExt;

/// Log lines written into a shared buffer.
#[derive(Clone, Default)]
struct Captured(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Every log line of a request carries its id (API Gateway's `requestId`,
/// which the access log records too, and which the answer returns in
/// `x-request-id`) and its route, and none carries a key, a customer's
/// code, words of a comment or the client's address.
#[tokio::test(flavor = "current_thread")]
async fn a_requests_log_lines_carry_its_id_and_no_secret() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_current_span(true)
        .with_span_list(true)
        .with_max_level(tracing::Level::DEBUG)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let h = harness();
    let code = "c0de0c0de0c0";
    let mut rating: Value = serde_json::from_str(&event(
        "POST",
        &format!("/r/{code}"),
        Some(json!({"score": 2, "comment": "private words"})),
        None,
    ))
    .unwrap();
    rating["requestContext"]["requestId"] = json!("req-rating-1");
    rating["requestContext"]["http"]["sourceIp"] = json!("198.51.100.7");
    rating["headers"]["authorization"] = json!("Bearer fbk_notarealkey");
    let request = lambda_http::request::from_str(&rating.to_string()).unwrap();
    let app = router(
        &[Function::Collect],
        AppState::new(h.store.clone(), tenant(), AuthMode::Gateway),
    );
    let response = app.oneshot(request).await.unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(response.headers()["x-request-id"], "req-rating-1");

    let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(
        lines
            .iter()
            .any(|l| l["fields"]["message"] == "request answered"),
        "{text}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l["fields"]["metric"] == "RatingsRefused"),
        "the refusal is counted: {text}"
    );
    for line in &lines {
        let span = &line["span"];
        assert_eq!(span["request_id"], "req-rating-1", "{line}");
        assert_eq!(span["function"], "collect", "{line}");
        assert_eq!(span["route"], "/r/{code}", "{line}");
    }
    for secret in [code, "fbk_", "private words", "198.51.100.7"] {
        assert!(!text.contains(secret), "{secret} in the logs: {text}");
    }
}
