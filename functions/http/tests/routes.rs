//! The route table, the routers and the OpenAPI document describe the same
//! set of routes.

use feedback_http::{Function, OPENAPI, ROUTES};
use serde_json::Value;
use std::collections::BTreeSet;

/// The served document is the one the code generates. After a change to a
/// route or a body, `UPDATE_OPENAPI=1 cargo test -p feedback-http --test
/// routes` writes the new one.
#[test]
fn the_served_openapi_document_is_generated_from_the_code() {
    let generated = feedback_http::generate_openapi();
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.json");
        std::fs::write(path, &generated).unwrap();
        return;
    }
    assert!(
        generated == OPENAPI,
        "functions/http/openapi.json is not what the code generates; run \
         UPDATE_OPENAPI=1 cargo test -p feedback-http --test routes and review the diff"
    );
}

#[test]
fn openapi_describes_exactly_the_routes_served() {
    let doc: Value = serde_json::from_str(OPENAPI).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if method == "parameters" {
                continue;
            }
            documented.insert((method.to_uppercase(), path.clone()));
            let scopes: Vec<&str> = op["security"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|s| s["apiKey"].as_array().into_iter().flatten())
                .filter_map(Value::as_str)
                .collect();
            let route = ROUTES
                .iter()
                .find(|r| r.method.as_str() == method.to_uppercase() && r.path == path);
            let route =
                route.unwrap_or_else(|| panic!("{method} {path} is documented but not served"));
            assert_eq!(
                scopes,
                route.scope.map(|s| vec![s.as_str()]).unwrap_or_default(),
                "{method} {path}"
            );
        }
    }
    let served: BTreeSet<_> = ROUTES
        .iter()
        .map(|r| (r.method.to_string(), r.path.to_owned()))
        .collect();
    assert_eq!(documented, served);
}

#[test]
fn every_function_serves_some_routes_and_routes_are_unique() {
    for f in Function::ALL {
        assert!(ROUTES.iter().any(|r| r.function == f), "{}", f.name());
    }
    let unique: BTreeSet<_> = ROUTES
        .iter()
        .map(|r| (r.method.to_string(), r.path))
        .collect();
    assert_eq!(unique.len(), ROUTES.len());
    // Only the collect function's routes, the API description and the
    // dashboard (which checks its session's key itself) are public.
    for r in ROUTES.iter().filter(|r| r.scope.is_none()) {
        assert!(
            r.function == Function::Collect
                || r.path == "/v1/openapi.json"
                || r.path.starts_with("/dashboard"),
            "{} {}",
            r.method,
            r.path
        );
    }
}
