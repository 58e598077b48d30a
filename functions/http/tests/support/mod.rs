//! What the tests of API Gateway events share: a SQLite store, a tenant,
//! and an API Gateway v2 event built from a real one.

use feedback_http::Tenant;
use feedback_store::SqliteStore;
use serde_json::{Value, json};
use std::sync::Arc;

const REQUEST: &str = include_str!("../fixtures/apigw-v2-request.json");

pub struct Harness {
    pub store: Arc<SqliteStore>,
    _dir: tempfile::TempDir,
}

pub fn harness() -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(dir.path().join("db")).unwrap());
    Harness { store, _dir: dir }
}

pub fn tenant() -> Tenant {
    Tenant {
        id: "acme".into(),
        name: "Acme".into(),
        zone: feedback_core::time::TenantZone::parse("tz", "Asia/Karachi").unwrap(),
        base_url: "https://feedback.acme.example".into(),
        default_locale: None,
        trust_forwarded_for: false,
    }
}

/// An API Gateway v2 event for `method path`, with an optional JSON body and
/// the context a Lambda authorizer would have attached.
pub fn event(
    method: &str,
    path: &str,
    body: Option<Value>,
    authorizer: Option<(&str, &str)>,
) -> String {
    let mut e: Value = serde_json::from_str(REQUEST).unwrap();
    let (raw_path, query) = path.split_once('?').unwrap_or((path, ""));
    e["routeKey"] = json!(format!("{method} {raw_path}"));
    e["rawPath"] = json!(raw_path);
    e["rawQueryString"] = json!(query);
    e["queryStringParameters"] = json!(
        query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| p.split_once('=').unwrap())
            .collect::<std::collections::HashMap<_, _>>()
    );
    e["pathParameters"] = json!({});
    e["cookies"] = json!([]);
    e["requestContext"]["http"]["method"] = json!(method);
    e["requestContext"]["http"]["path"] = json!(raw_path);
    e["requestContext"]["routeKey"] = json!(format!("{method} {raw_path}"));
    e["headers"] = json!({ "content-type": "application/json" });
    e["body"] = body.map(|b| json!(b.to_string())).unwrap_or(Value::Null);
    e["requestContext"]["authorizer"] = match authorizer {
        Some((key_id, scopes)) => json!({ "lambda": { "key_id": key_id, "scopes": scopes } }),
        None => Value::Null,
    };
    e.to_string()
}
