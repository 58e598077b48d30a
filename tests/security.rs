//! Fail-closed checks over real HTTP, on both stores: every route of the
//! route table with every method and every kind of key, what each scope may
//! read, cross-site posts, IPv6 clients, over-long and malformed ids, the
//! last admin key, slow clients and a store that stops answering.

use feedback_core::Scope;
use feedback_e2e::{Reply, Server};
use feedback_http::ROUTES;
use futures::StreamExt;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU32, Ordering};

const METHODS: [&str; 7] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

/// A distinct client address and code per request, so the local server's
/// rate limits never answer for the auth layer.
static SERIAL: AtomicU32 = AtomicU32::new(1);

fn serial() -> u32 {
    SERIAL.fetch_add(1, Ordering::Relaxed)
}

/// A route path with its parameters filled in; codes are well-formed and
/// new each time.
fn concrete(path: &str) -> String {
    path.split('/')
        .map(|segment| match segment {
            "{code}" => format!("M{:011}", serial()),
            "{rep_id}" => "matrix-rep".to_owned(),
            "{customer_ref}" => "matrix-customer".to_owned(),
            s if s.starts_with('{') => "matrix-id".to_owned(),
            s => s.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[derive(Debug, Clone)]
enum Caller {
    NoKey,
    MadeUp,
    Revoked,
    Only(Scope),
}

impl Caller {
    fn key<'a>(&self, keys: &'a BTreeMap<String, String>) -> Option<&'a str> {
        let name = match self {
            Caller::NoKey => return None,
            Caller::MadeUp => "made-up",
            Caller::Revoked => "revoked",
            Caller::Only(scope) => scope.as_str(),
        };
        Some(keys[name].as_str())
    }
}

async fn send(s: &Server, method: &str, path: &str, key: Option<&str>) -> Reply {
    let address = {
        let n = serial();
        format!("198.51.{}.{}", (n >> 8) & 0xff, n & 0xff)
    };
    s.send_with(
        method,
        path,
        key,
        &[("x-forwarded-for", &address)],
        "",
        Vec::new(),
    )
    .await
}

/// A post's content type, Accept, other headers and body.
type Attempt<'a> = (&'a str, &'a str, &'a [(&'a str, &'a str)], Vec<u8>);

/// The code of a new invitation made with the admin key from `body`.
async fn invited(s: &Server, body: Value) -> String {
    let r = s
        .call("POST", "/v1/invitations", Some(&s.admin), Some(body))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.body["code"].as_str().unwrap().to_owned()
}

/// A new admin key made through the API: its view, with `id` and the
/// secret `key`.
async fn new_admin_key(s: &Server) -> Value {
    let r = s
        .call(
            "POST",
            "/v1/keys",
            Some(&s.admin),
            Some(json!({"scopes": ["admin"]})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.body
}

/// A customer's JSON answer to `code`.
async fn answered(s: &Server, code: &str, body: Value) -> Reply {
    s.call("POST", &format!("/r/{code}"), None, Some(body))
        .await
}

fn problem_type(r: &Reply) -> &str {
    r.body["type"].as_str().unwrap_or_default()
}

mod cases {
    use super::*;

    pub async fn every_route_and_method_fails_closed(s: &Server) {
        let mut keys = BTreeMap::new();
        keys.insert(
            "made-up".to_owned(),
            "fbk_ThisKeyWasNeverIssuedByAnyone000000".to_owned(),
        );
        for scope in Scope::ALL {
            keys.insert(scope.as_str().to_owned(), s.key(&[scope.as_str()]).await);
        }
        let revoked = new_admin_key(s).await;
        let r = s
            .call(
                "DELETE",
                &format!("/v1/keys/{}", revoked["id"].as_str().unwrap()),
                Some(&s.admin),
                None,
            )
            .await;
        assert_eq!(r.status, 204);
        keys.insert(
            "revoked".to_owned(),
            revoked["key"].as_str().unwrap().to_owned(),
        );

        let mut callers = vec![Caller::NoKey, Caller::MadeUp, Caller::Revoked];
        callers.extend(Scope::ALL.map(Caller::Only));
        let paths: BTreeSet<&str> = ROUTES.iter().map(|r| r.path).collect();
        let mut cases = Vec::new();
        for path in &paths {
            for method in METHODS {
                for caller in &callers {
                    cases.push((*path, method, caller.clone()));
                }
            }
        }
        let keys = &keys;
        let outcomes: Vec<_> = futures::stream::iter(cases)
            .map(|(path, method, caller)| async move {
                let concrete = concrete(path);
                let reply = send(s, method, &concrete, caller.key(keys)).await;
                // What a GET with the same key shows, to hold HEAD to it.
                let get = match method {
                    "HEAD" => Some(send(s, "GET", &concrete, caller.key(keys)).await),
                    _ => None,
                };
                (path, method, caller, reply, get)
            })
            .buffer_unordered(16)
            .collect()
            .await;

        let mut checked = 0;
        let mut public = BTreeMap::new();
        for (path, method, caller, reply, get) in outcomes {
            let what = format!(
                "{method} {path} with {caller:?}: {} {}",
                reply.status, reply.text
            );
            assert!(reply.status < 500, "{what}");
            let as_get = if method == "HEAD" { "GET" } else { method };
            let route = ROUTES
                .iter()
                .find(|r| r.path == path && r.method.as_str() == as_get);
            if method == "HEAD" {
                let get = get.expect("HEAD is sent with a GET beside it");
                assert!(reply.text.is_empty(), "{what}");
                assert_eq!(reply.status, get.status, "{what}");
                // A refused HEAD tells no more than the refused GET: no
                // length of a body it was never allowed to see.
                if reply.status >= 400 {
                    assert_eq!(
                        reply.header("content-length"),
                        get.header("content-length"),
                        "{what}"
                    );
                    assert_eq!(
                        reply.header("content-type"),
                        get.header("content-type"),
                        "{what}"
                    );
                }
            }
            let Some(route) = route else {
                assert_eq!(reply.status, 405, "{what}");
                if method != "HEAD" {
                    assert_eq!(
                        problem_type(&reply),
                        "urn:feedback:problem:method-not-allowed"
                    );
                }
                checked += 1;
                continue;
            };
            let Some(scope) = route.scope else {
                // A public route answers the same whatever key is sent
                // (the dashboard's sign-in answers 401 to a missing key
                // of its own form, not to the Authorization header).
                assert_ne!(reply.status, 405, "{what}");
                public
                    .entry((path, method))
                    .or_insert_with(BTreeSet::new)
                    .insert(reply.status);
                checked += 1;
                continue;
            };
            let expected = match &caller {
                Caller::NoKey | Caller::MadeUp | Caller::Revoked => Some(401),
                Caller::Only(granted) if !scope.granted_by(&[*granted]) => Some(403),
                Caller::Only(_) => None,
            };
            match expected {
                Some(status) => {
                    assert_eq!(reply.status, status, "{what}");
                    if method != "HEAD" {
                        let kind = if status == 401 {
                            "unauthorized"
                        } else {
                            "forbidden"
                        };
                        assert_eq!(
                            problem_type(&reply),
                            format!("urn:feedback:problem:{kind}"),
                            "{what}"
                        );
                        // The problem and nothing else.
                        let fields: BTreeSet<&str> = reply
                            .body
                            .as_object()
                            .unwrap()
                            .keys()
                            .map(String::as_str)
                            .collect();
                        assert_eq!(
                            fields,
                            BTreeSet::from(["detail", "status", "title", "type"]),
                            "{what}"
                        );
                    }
                }
                None => assert!(
                    ![401, 403, 405].contains(&reply.status),
                    "a granted key was refused: {what}"
                ),
            }
            checked += 1;
        }
        assert_eq!(checked, paths.len() * METHODS.len() * callers.len());
        for ((path, method), statuses) in public {
            assert_eq!(statuses.len(), 1, "{method} {path} answered {statuses:?}");
        }

        // Paths outside the table, with or without a key.
        for path in [
            "/v1/keys/",
            "/v1",
            "/v2/keys",
            "/r",
            "/r/",
            "/admin",
            "/v1/keys/a/b",
        ] {
            for key in [None, Some(s.admin.as_str())] {
                let r = send(s, "GET", path, key).await;
                assert_eq!(
                    (r.status, problem_type(&r)),
                    (404, "urn:feedback:problem:not-found"),
                    "GET {path}"
                );
            }
        }
    }

    pub async fn a_key_reads_only_what_its_scopes_allow(s: &Server) {
        let till = s.key(&["invitations:write"]).await;
        let reader = s.key(&["responses:read"]).await;
        let r = s
            .call(
                "POST",
                "/v1/invitations",
                Some(&till),
                Some(json!({"order_id": "SEC-1", "channel": "sms", "customer_ref": "crm-77"})),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        // The till sees the ref it just sent.
        assert_eq!(r.body["customer_ref"], "crm-77");
        let code = r.body["code"].as_str().unwrap().to_owned();
        let first = answered(s, &code, json!({"score": 2, "comment": "cold tea"})).await;
        assert_eq!(first.status, 201);

        // Another till re-posting the order learns its link, not its customer.
        let r = s
            .call(
                "POST",
                "/v1/invitations",
                Some(&till),
                Some(
                    json!({"order_id": "SEC-1", "channel": "sms", "customer_ref": "someone-else"}),
                ),
            )
            .await;
        assert_eq!(
            (r.status, r.body["status"].as_str()),
            (200, Some("existing"))
        );
        assert!(r.body.get("customer_ref").is_none(), "{}", r.body);
        let r = s
            .call(
                "POST",
                "/v1/invitations",
                Some(&till),
                Some(json!({"order_id": "SEC-1", "channel": "sms"})),
            )
            .await;
        assert!(r.body.get("customer_ref").is_none(), "{}", r.body);

        let path = format!("/v1/invitations/{code}");
        let r = s.get(&path, &till).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.body["answered"], true);
        assert!(r.body.get("response").is_none(), "{}", r.body);
        assert!(r.body.get("customer_ref").is_none(), "{}", r.body);
        assert!(!r.text.contains("cold tea") && !r.text.contains("crm-77"));

        // A key that may read responses sees the answer and the ref.
        for key in [
            &s.admin,
            &s.key(&["invitations:write", "responses:read"]).await,
        ] {
            let r = s.get(&path, key).await;
            assert_eq!(
                (
                    r.body["customer_ref"].as_str(),
                    r.body["response"]["comment"].as_str()
                ),
                (Some("crm-77"), Some("cold tea"))
            );
        }
        // responses:read reads responses but cannot use the till's routes.
        let r = s.get(&path, &reader).await;
        assert_eq!(r.status, 403);
    }

    pub async fn a_code_alone_neither_reads_nor_rewrites_an_answer(s: &Server) {
        let reader = s.key(&["responses:read"]).await;
        let code = invited(s, json!({"order_id": "EDIT-1", "channel": "sms"})).await;
        let path = format!("/r/{code}");
        let first = answered(s, &code, json!({"score": 1, "comment": "rude"})).await;
        assert_eq!(first.status, 201);
        let token = first.body["edit_token"].as_str().unwrap().to_owned();
        // A responses:read key sees the response, and its id is the code.
        let listed = s.get("/v1/responses", &reader).await;
        assert_eq!(listed.body["responses"][0]["id"], code.as_str());
        // With the code alone: no answer to read, none to rewrite.
        let page = s.call("GET", &format!("{path}.json"), None, None).await;
        assert_eq!(
            (page.body["answered"].as_bool(), &page.body["response"]),
            (Some(true), &Value::Null)
        );
        let html = s.browser("GET", &path, "", &[]).await;
        assert!(!html.text.contains("rude") && !html.text.contains("<form"));
        for forged in [None, Some("0".repeat(32)), Some(token[..31].to_owned())] {
            let r = answered(
                s,
                &code,
                json!({"score": 5, "comment": "great", "edit_token": forged}),
            )
            .await;
            assert_eq!(r.status, 409, "{forged:?}: {}", r.body);
            assert!(r.body.get("edit_token").is_none());
        }
        // The same answer again is still a harmless double tap, and hands
        // out no token.
        let again = answered(s, &code, json!({"score": 1, "comment": "rude"})).await;
        assert_eq!(again.status, 200);
        assert!(again.body.get("edit_token").is_none());
        // The customer, holding the token, reads and changes the answer.
        let page = s
            .call("GET", &format!("{path}.json?edit={token}"), None, None)
            .await;
        assert_eq!(page.body["response"]["comment"], "rude");
        let changed = answered(
            s,
            &code,
            json!({"score": 4, "comment": "sorted", "edit_token": token}),
        )
        .await;
        assert_eq!(
            (changed.status, changed.body["score"].as_u64()),
            (200, Some(4))
        );
        assert_eq!(changed.body["edit_token"], token.as_str());
        let stored = s.get(&format!("/v1/invitations/{code}"), &s.admin).await;
        assert_eq!(stored.body["response"]["comment"], "sorted");
    }

    pub async fn nothing_is_taken_after_retention_ends(s: &Server) {
        // A link that outlives its retention closes when retention ends.
        let r = s
            .call(
                "PUT",
                "/v1/settings",
                Some(&s.admin),
                Some(json!({"retention_months": 1, "invitation_lifetime_days": 90})),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let r = s
            .call(
                "POST",
                "/v1/invitations",
                Some(&s.admin),
                Some(json!({"order_id": "RET-1", "channel": "sms", "customer_ref": "c-1"})),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        assert_eq!(r.body["expires_at"], r.body["personal_until"]);
        // One made before that rule, retention over, not yet expired: no
        // answer and no edit lands after its personal data's time is up.
        let now = chrono::Utc::now();
        let old = feedback_core::Invitation {
            personal_until: Some(now - chrono::Duration::hours(1)),
            ..feedback_core::model::NewInvitation {
                order_id: Some("RET-OLD".into()),
                channel: Some("sms".into()),
                customer_ref: Some("c-2".into()),
                ..Default::default()
            }
            .validate(feedback_core::SurveyKind::Csat)
            .unwrap()
            .issue(
                feedback_core::Code::generate().unwrap(),
                now - chrono::Duration::days(40),
                chrono::Duration::days(90),
                &s.tenant.zone,
            )
        };
        s.store.create_invitation(&old, None).await.unwrap();
        let r = s
            .call(
                "POST",
                &format!("/r/{}", old.code),
                None,
                Some(json!({"score": 2, "comment": "kept forever?"})),
            )
            .await;
        assert_eq!(
            (r.status, problem_type(&r)),
            (410, "urn:feedback:problem:expired"),
            "{}",
            r.body
        );
        assert_eq!(s.store.get_response(&old.code).await.unwrap(), None);
    }

    pub async fn cross_site_posts_never_count(s: &Server) {
        let code = invited(s, json!({"order_id": "XSITE-1", "channel": "sms"})).await;
        let path = format!("/r/{code}");
        let form = s.as_shown(&path, "score=1").await;
        let attempts: [Attempt; 4] = [
            // A no-cors fetch from another site with a form body.
            (
                "application/x-www-form-urlencoded",
                "*/*",
                &[
                    ("sec-fetch-site", "cross-site"),
                    ("origin", "https://evil.example"),
                ],
                form.clone().into_bytes(),
            ),
            // The same without Sec-Fetch-Site (an older browser).
            (
                "application/x-www-form-urlencoded",
                "*/*",
                &[("origin", "https://evil.example")],
                form.clone().into_bytes(),
            ),
            // JSON, as text/plain (no preflight) or as JSON.
            (
                "text/plain",
                "application/json",
                &[("sec-fetch-site", "same-site")],
                br#"{"score":1}"#.to_vec(),
            ),
            (
                "application/json",
                "text/html",
                &[("sec-fetch-site", "cross-site")],
                br#"{"score":1}"#.to_vec(),
            ),
        ];
        for (content_type, accept, extra, body) in attempts {
            let mut headers = vec![("accept", accept)];
            headers.extend_from_slice(extra);
            let r = s
                .send_with("POST", &path, None, &headers, content_type, body)
                .await;
            assert_eq!(
                r.status, 403,
                "{content_type} {accept} {extra:?}: {}",
                r.text
            );
        }
        let r = s.get(&format!("/v1/invitations/{code}"), &s.admin).await;
        assert_eq!(
            (r.body["answered"].as_bool(), &r.body["response"]),
            (Some(false), &Value::Null)
        );
        // The customer's own page still counts.
        let r = s
            .browser(
                "POST",
                &path,
                "score=5",
                &[("sec-fetch-site", "same-origin")],
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
    }

    pub async fn ipv6_clients_are_limited_by_their_64(s: &Server) {
        let r = s
            .call(
                "POST",
                "/v1/links",
                Some(&s.admin),
                Some(json!({"channel": "qr", "label": "Counter"})),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let code = r.body["code"].as_str().unwrap().to_owned();
        let answer = |address: &'static str, key: &'static str| {
            let path = format!("/r/{code}");
            async move {
                s.send_with(
                    "POST",
                    &path,
                    None,
                    &[("x-forwarded-for", address), ("idempotency-key", key)],
                    "application/json",
                    br#"{"score":5}"#.to_vec(),
                )
                .await
            }
        };
        // One answer per address per link per day: two addresses of one
        // host's /64 are one address.
        assert_eq!(answer("2001:db8:77:1::10", "k1").await.status, 201);
        let again = answer("2001:db8:77:1:ffff:ffff:ffff:ffff", "k2").await;
        assert_eq!(again.status, 429, "{}", again.text);
        assert!(again.header("retry-after").is_some());
        assert_eq!(answer("2001:db8:77:2::10", "k3").await.status, 201);
        assert_eq!(answer("::ffff:203.0.113.9", "k4").await.status, 201);
        assert_eq!(answer("203.0.113.9", "k5").await.status, 429);
    }

    pub async fn overlong_and_malformed_ids_are_refused_cleanly(s: &Server) {
        let long = "A".repeat(5000);
        let code_then_long = format!("ABCDEFGHIJKL-{}", "0".repeat(5000));
        // A control character, bytes that are not UTF-8, and `#` (which
        // separates the parts of store keys): no id of any kind has them.
        let bad_bytes = ["%00", "%FF%FE", "%23x", "x%0Ay"];
        let mut cases: Vec<(&str, String)> = Vec::new();
        for id in [long.as_str(), code_then_long.as_str()]
            .into_iter()
            .chain(bad_bytes)
        {
            for (method, template) in [
                ("GET", "/v1/follow-ups/{}"),
                ("PATCH", "/v1/follow-ups/{}"),
                ("PATCH", "/v1/responses/{}"),
                ("DELETE", "/v1/webhooks/{}"),
                ("GET", "/v1/webhooks/{}/deliveries"),
                ("GET", "/v1/reps/{}"),
                ("PUT", "/v1/reps/{}"),
                ("DELETE", "/v1/reps/{}"),
                ("DELETE", "/v1/keys/{}"),
                ("DELETE", "/v1/customers/{}"),
                ("GET", "/v1/invitations/{}"),
                ("GET", "/v1/invitations/{}/snippet"),
                ("GET", "/v1/links/{}"),
                ("PATCH", "/v1/links/{}"),
                ("GET", "/r/{}"),
                ("GET", "/r/{}.json"),
                ("POST", "/r/{}"),
            ] {
                cases.push((method, template.replace("{}", id)));
            }
        }
        let cursor = {
            use base64::Engine;
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(format!("2026-01-01T09:00:00.000000Z#{long}"))
        };
        for list in ["/v1/responses", "/v1/follow-ups", "/v1/comments"] {
            cases.push(("GET", format!("{list}?cursor={cursor}")));
            cases.push(("GET", format!("{list}?cursor={long}")));
            cases.push(("GET", format!("{list}?rep_id={long}")));
            cases.push(("GET", format!("{list}?location={long}")));
        }
        for (method, path) in cases {
            let body = match method {
                "GET" | "DELETE" => None,
                _ => Some(json!({"score": 5, "display_name": "x", "flagged": false})),
            };
            let r = s.call(method, &path, Some(&s.admin), body).await;
            let short: String = path.chars().take(60).collect();
            assert!(
                [400, 404].contains(&r.status),
                "{method} {short}…: {} {}",
                r.status,
                r.text.chars().take(300).collect::<String>()
            );
            // The rating page is a page, even when it is not found.
            // (One that is not even UTF-8 is refused before the page.)
            let page = method == "GET" && path.starts_with("/r/") && !path.ends_with(".json");
            let types: &[&str] = match page {
                true => &["text/html; charset=utf-8", "application/problem+json"],
                false => &["application/problem+json"],
            };
            assert!(
                types.contains(&r.header("content-type").unwrap_or_default()),
                "{method} {short}…: {:?}",
                r.header("content-type")
            );
        }
    }

    pub async fn concurrent_revokes_keep_an_admin_key(s: &Server) {
        let other = new_admin_key(s).await;
        let other_key = other["key"].as_str().unwrap().to_owned();
        let keys = s.get("/v1/keys", &s.admin).await;
        let first_id = keys.body["keys"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["id"] != other["id"])
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        // Each admin key revokes the other at the same moment.
        let revoke_other = format!("/v1/keys/{}", other["id"].as_str().unwrap());
        let revoke_first = format!("/v1/keys/{first_id}");
        let (a, b) = tokio::join!(
            s.call("DELETE", &revoke_other, Some(&s.admin), None),
            s.call("DELETE", &revoke_first, Some(&other_key), None),
        );
        // One wins. The other finds the last admin key (409), or its own
        // key already revoked when it authenticates (401).
        let mut statuses = [a.status, b.status];
        statuses.sort();
        assert!(
            statuses == [204, 409] || statuses == [204, 401],
            "{statuses:?}: {} / {}",
            a.body,
            b.body
        );
        let mut live = 0;
        for key in [&s.admin, &other_key] {
            live += usize::from(s.get("/v1/keys", key).await.status == 200);
        }
        assert_eq!(live, 1, "exactly one admin key is left");
    }
}

// On both stores, and on the functions as deployed with their calls held
// to the template's IAM.
feedback_e2e::suite!([sqlite, dynamo, gateway]:
    every_route_and_method_fails_closed,
    a_key_reads_only_what_its_scopes_allow,
    a_code_alone_neither_reads_nor_rewrites_an_answer,
    nothing_is_taken_after_retention_ends,
    cross_site_posts_never_count,
    ipv6_clients_are_limited_by_their_64,
    overlong_and_malformed_ids_are_refused_cleanly,
    concurrent_revokes_keep_an_admin_key,
);

/// A client that sends its headers a byte at a time, or never finishes
/// them, loses its connection; one that never finishes its body gets a 503.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_clients_cannot_hold_connections() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let s = Server::sqlite().await;
    let address = s.base.trim_start_matches("http://").to_owned();
    let started = std::time::Instant::now();
    let mut idle = tokio::net::TcpStream::connect(&address).await.unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let mut buffer = Vec::new();
    let read = tokio::time::timeout(
        feedback_local::HEADER_READ_TIMEOUT + std::time::Duration::from_secs(5),
        idle.read_to_end(&mut buffer),
    )
    .await
    .expect("the server closes a connection whose headers never end");
    // Closed with nothing sent, or with hyper's 408; never a 200.
    assert!(read.is_err() || !String::from_utf8_lossy(&buffer).contains(" 200 "));
    assert!(started.elapsed() >= feedback_local::HEADER_READ_TIMEOUT);

    let mut slow = tokio::net::TcpStream::connect(&address).await.unwrap();
    slow.write_all(
        b"POST /r/ABCDEFGHIJKL HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"score\"",
    )
    .await
    .unwrap();
    let mut answer = vec![0u8; 1024];
    let n = tokio::time::timeout(
        feedback_local::LOCAL_DEADLINE + std::time::Duration::from_secs(5),
        slow.read(&mut answer),
    )
    .await
    .expect("an answer by the deadline")
    .unwrap();
    let head = String::from_utf8_lossy(&answer[..n]);
    assert!(head.starts_with("HTTP/1.1 503"), "{head}");
    assert!(
        head.to_ascii_lowercase().contains("retry-after: 2"),
        "{head}"
    );
}

/// A DynamoDB that accepts connections and never answers: every request is
/// answered 503 with Retry-After well inside a Lambda's 10 s, and nothing
/// is acknowledged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_store_is_a_prompt_503() {
    let frozen = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", frozen.local_addr().unwrap());
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = frozen.accept().await {
            held.push(stream);
        }
    });
    let base = feedback_e2e::serve_on_a_dead_store(endpoint).await;
    let client = reqwest::Client::new();
    let requests = [
        client
            .post(format!("{base}/r/AAAAAAAAAAAA"))
            .json(&json!({"score": 5})),
        client.get(format!("{base}/r/AAAAAAAAAAAA.json")),
        client
            .get(format!("{base}/v1/scores"))
            .bearer_auth("fbk_AnyKeyAtAllForAFrozenStore0000000"),
    ];
    let answers = futures::future::join_all(requests.into_iter().map(|request| async move {
        let started = std::time::Instant::now();
        let response = request.send().await.unwrap();
        (
            response.status().as_u16(),
            response.headers().get("retry-after").is_some(),
            started.elapsed(),
        )
    }))
    .await;
    for (status, retry_after, took) in answers {
        assert_eq!((status, retry_after), (503, true));
        assert!(took < feedback_http::LAMBDA_DEADLINE, "{took:?}");
    }
}

/// The notifier as deployed: an unhappy answer's webhook is delivered, and
/// every call notify made on the way (webhooks listed, the delivery stored
/// and updated) is one its IAM policy allows. The webhook is stored
/// directly: the API refuses an http loopback URL in AWS mode, and the
/// receiver here is one.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn gateway_webhook_deliveries_stay_within_notify_policy() {
    let s = Server::gateway().await;
    let receiver = feedback_e2e::Receiver::start().await;
    let webhook = feedback_core::webhook::Webhook::generate(
        receiver.url.clone(),
        vec![feedback_core::webhook::EventType::ResponseUnhappy],
        chrono::Utc::now(),
    )
    .unwrap();
    s.store.create_webhook(&webhook).await.unwrap();
    let code = invited(
        &s,
        json!({"order_id": "HOOK-1", "channel": "sms", "customer_ref": "hook-customer"}),
    )
    .await;
    let r = answered(
        &s,
        &code,
        json!({"score": 1, "comment": "the tea was cold"}),
    )
    .await;
    assert_eq!(r.status, 201);
    let seen = receiver
        .wait_until("the unhappy answer", |seen| !seen.is_empty())
        .await;
    assert_eq!(seen[0].json()["type"], "response.unhappy");
    assert_eq!(
        seen[0].json()["data"]["response"]["comment"],
        "the tea was cold"
    );
    // Erasing the customer reaches the delivery log too (manage's calls).
    let r = s
        .call(
            "DELETE",
            "/v1/customers/hook-customer",
            Some(&s.admin),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let log = s
        .get(&format!("/v1/webhooks/{}/deliveries", webhook.id), &s.admin)
        .await;
    assert!(!log.text.contains("the tea was cold"), "{}", log.text);
    assert_eq!(log.body["deliveries"].as_array().map(Vec::len), Some(1));
    let stored_delivery = |c: &feedback_store::dynamo::Call| {
        c.action == "dynamodb:PutItem"
            && c.leading_key
                .as_deref()
                .is_some_and(|k| k.starts_with("DLV#"))
    };
    assert!(
        s.calls_of("notify").iter().any(stored_delivery),
        "{:?}",
        s.calls_of("notify")
    );
    s.finish();
}

/// Behind the emulated gateway, the paths the shared suites leave to the
/// local server, so that every grant of every function is exercised
/// (`every_iam_grant_is_used` in tests/template.rs): a fresh stack whose
/// first request is a dashboard sign-in (scores makes the tenant's secret
/// and records the key's first use), the webhook API with a public https
/// receiver (manage), and retention running out (notify erases what the
/// TTL's deletion of the marker names).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn gateway_paths_the_suites_leave_local_stay_within_policy() {
    use feedback_store::dynamo::Call;
    let s = Server::gateway().await;
    let call = |function: &str, action: &str, key: &str| {
        s.calls_of(function)
            .iter()
            .any(|c: &Call| c.action == action && c.leading_key.as_deref() == Some(key))
    };

    let same = [("sec-fetch-site", "same-origin")];
    let r = s
        .browser(
            "POST",
            "/dashboard/sign-in",
            &format!("key={}", s.admin),
            &same,
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.text);
    assert!(
        call("scores", "dynamodb:PutItem", "SECRET"),
        "the secret made"
    );
    assert!(
        call("scores", "dynamodb:UpdateItem", "KEY"),
        "the first use recorded"
    );

    let hook =
        json!({"url": "https://hooks.example.com/feedback", "events": ["follow_up.updated"]});
    let r = s
        .call("POST", "/v1/webhooks", Some(&s.admin), Some(hook))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.body["id"].as_str().unwrap().to_owned();
    let r = s.get("/v1/webhooks", &s.admin).await;
    assert_eq!(r.body["webhooks"][0]["id"], id.as_str(), "{}", r.body);
    let r = s
        .get(&format!("/v1/webhooks/{id}/deliveries"), &s.admin)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let path = format!("/v1/webhooks/{id}");
    let r = s.call("DELETE", &path, Some(&s.admin), None).await;
    assert_eq!(r.status, 204, "{}", r.body);
    let r = s.call("DELETE", &path, Some(&s.admin), None).await;
    assert_eq!(r.status, 404, "{}", r.body);

    let r = s
        .call(
            "PUT",
            "/v1/settings",
            Some(&s.admin),
            Some(json!({"retention_months": 1})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let code = invited(
        &s,
        json!({"order_id": "KEPT-1", "channel": "sms", "customer_ref": "kept-customer"}),
    )
    .await;
    let r = answered(&s, &code, json!({"score": 4, "comment": "fine"})).await;
    assert_eq!(r.status, 201, "{}", r.body);
    // DynamoDB's TTL deletes the marker; the stream hands notify the deletion.
    let record = json!({
        "eventID": "1", "eventName": "REMOVE", "eventVersion": "1.1",
        "eventSource": "aws:dynamodb", "awsRegion": "eu-west-1",
        "userIdentity": {"type": "Service", "principalId": "dynamodb.amazonaws.com"},
        "dynamodb": {
            "Keys": {"pk": {"S": format!("INV#{code}")}, "sk": {"S": "PII"}},
            "SequenceNumber": "1", "SizeBytes": 50, "StreamViewType": "NEW_AND_OLD_IMAGES",
        },
    });
    let event = serde_json::from_value(json!({ "Records": [record] })).unwrap();
    let notifier = s.notify_function();
    let answer = feedback_notify::lambda::on_stream(&notifier, event).await;
    assert!(answer.batch_item_failures.is_empty());
    let r = s.get(&format!("/v1/invitations/{code}"), &s.admin).await;
    assert_eq!(
        (
            r.body["customer_ref"].clone(),
            r.body["response"]["comment"].clone()
        ),
        (Value::Null, Value::Null),
        "{}",
        r.body
    );
    assert_eq!(r.body["response"]["score"], 4);
    s.finish();
}

/// Behind the tenant's CloudFront distribution (`EdgeProtection`), the
/// functions answer only requests that carry the distribution's secret
/// header: calling the API's own URL is no way around the WAF's per-client
/// rate rule. Public and keyed routes alike, whatever the key.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn gateway_behind_cloudfront_refuses_requests_that_bypass_it() {
    let secret = "edge-secret-0123456789abcdefghij";
    let s = Server::gateway_behind(Some(secret)).await;
    let through = [(feedback_http::middleware::origin::HEADER, secret)];
    let wrong = [(
        feedback_http::middleware::origin::HEADER,
        "edge-secret-0123456789abcdefghiJ",
    )];
    let code = "AAAAAAAAAAAA";
    let cases = [
        ("GET", "/healthz".to_owned(), None, 200),
        ("GET", format!("/r/{code}.json"), None, 404),
        ("GET", "/v1/keys".to_owned(), Some(s.admin.as_str()), 200),
    ];
    for (method, path, key, status) in cases {
        for headers in [&[][..], &wrong[..]] {
            let r = s
                .send_with(method, &path, key, headers, "", Vec::new())
                .await;
            assert_eq!(
                (r.status, problem_type(&r)),
                (403, "urn:feedback:problem:forbidden"),
                "{method} {path} {headers:?}"
            );
            assert!(r.body.get("keys").is_none());
        }
        let r = s
            .send_with(method, &path, key, &through, "", Vec::new())
            .await;
        assert_eq!(r.status, status, "{method} {path}: {}", r.text);
    }
    let r = s
        .send_with(
            "POST",
            &format!("/r/{code}"),
            None,
            &[],
            "application/json",
            br#"{"score": 5}"#.to_vec(),
        )
        .await;
    assert_eq!(r.status, 403);
    s.finish();
}

/// A loopback TCP relay to `target` that can be frozen: while frozen it
/// keeps accepting and reading, and passes nothing on until thawed, as a
/// store that stops answering in the middle of a burst.
struct Relay {
    address: String,
    frozen: tokio::sync::watch::Sender<bool>,
}

impl Relay {
    async fn start(target: String) -> Relay {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap().to_string();
        let (frozen, _) = tokio::sync::watch::channel(false);
        let gate = frozen.clone();
        tokio::spawn(async move {
            while let Ok((inbound, _)) = listener.accept().await {
                let Ok(outbound) = tokio::net::TcpStream::connect(&target).await else {
                    continue;
                };
                let (in_read, in_write) = inbound.into_split();
                let (out_read, out_write) = outbound.into_split();
                relay_one_way(in_read, out_write, gate.subscribe());
                relay_one_way(out_read, in_write, gate.subscribe());
            }
        });
        Relay { address, frozen }
    }

    fn freeze(&self, frozen: bool) {
        self.frozen.send_replace(frozen);
    }
}

/// Copies `from` to `to`, holding what it reads while the relay is frozen.
fn relay_one_way(
    mut from: impl tokio::io::AsyncRead + Send + Unpin + 'static,
    mut to: impl tokio::io::AsyncWrite + Send + Unpin + 'static,
    mut thawed: tokio::sync::watch::Receiver<bool>,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    tokio::spawn(async move {
        let mut buffer = vec![0u8; 16 * 1024];
        loop {
            let n = match from.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            if thawed.wait_for(|frozen| !*frozen).await.is_err()
                || to.write_all(&buffer[..n]).await.is_err()
            {
                return;
            }
        }
    });
}

/// DynamoDB stops answering for six seconds in the middle of a burst of
/// ratings: every request still gets an answer within the deadline (503
/// with Retry-After while frozen), nothing is acknowledged that was not
/// stored, and the customers' retries count every rating exactly once, also
/// when a write held in the frozen connection landed after its 503. The
/// freeze starts when the first answer comes back, and half the customers
/// send only then, so some ratings land before it and some meet it however
/// fast a rating is.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_dynamodb_frozen_mid_burst_loses_nothing_and_counts_once() {
    let endpoint = feedback_e2e::dynamodb_endpoint();
    let relay = Relay::start(endpoint.trim_start_matches("http://").to_owned()).await;
    let config = feedback_store::dynamo::local_config(&format!("http://{}", relay.address));
    // The production timeouts: the point is what a customer waits.
    let store =
        feedback_store::DynamoStore::new(&config, &format!("freeze-{}", uuid::Uuid::new_v4()));
    store.create_table().await.unwrap();
    let s = Server::on_dynamo(store).await;
    const CUSTOMERS: usize = 24;
    let mut codes = Vec::new();
    for i in 0..CUSTOMERS {
        codes.push(
            invited(
                &s,
                json!({"order_id": format!("FRZ-{i}"), "channel": "sms"}),
            )
            .await,
        );
    }
    let (answered, mut first_answer) = tokio::sync::watch::channel(false);
    let (frozen, _) = tokio::sync::watch::channel(false);
    let customers = codes.iter().enumerate().map(|(i, code)| {
        let (s, answered) = (&s, &answered);
        let mut frozen = frozen.subscribe();
        async move {
            if i >= CUSTOMERS / 2 {
                frozen.wait_for(|f| *f).await.unwrap();
            }
            let address = format!("203.0.113.{}", i + 1);
            let mut seen = Vec::new();
            for _ in 0..20 {
                let started = std::time::Instant::now();
                let r = s
                    .send_with(
                        "POST",
                        &format!("/r/{code}"),
                        None,
                        &[("x-forwarded-for", &address)],
                        "application/json",
                        br#"{"score": 4}"#.to_vec(),
                    )
                    .await;
                assert!(
                    started.elapsed() < feedback_http::LAMBDA_DEADLINE,
                    "an answer within a function's deadline"
                );
                seen.push(r.status);
                match r.status {
                    200 | 201 => {
                        answered.send_replace(true);
                        return seen;
                    }
                    503 => {
                        let wait: u64 = r.header("retry-after").unwrap().parse().unwrap();
                        tokio::time::sleep(std::time::Duration::from_secs(wait.min(2))).await;
                    }
                    other => panic!("customer {i}: {other} {}", r.text),
                }
            }
            panic!("customer {i} never got an answer: {seen:?}");
        }
    });
    let burst = futures::future::join_all(customers);
    let freeze = async {
        first_answer.wait_for(|a| *a).await.unwrap();
        relay.freeze(true);
        frozen.send_replace(true);
        tokio::time::sleep(std::time::Duration::from_secs(6)).await;
        relay.freeze(false);
    };
    let (outcomes, ()) = tokio::join!(burst, freeze);
    let refused: usize = outcomes
        .iter()
        .map(|seen| seen.iter().filter(|s| **s == 503).count())
        .sum();
    assert!(refused > 0, "the freeze held some requests: {outcomes:?}");
    let created = outcomes
        .iter()
        .filter(|seen| seen.last() == Some(&201))
        .count();
    let summary = s.recent_summary().await;
    assert_eq!(
        (
            summary["csat"]["count"].as_u64(),
            summary["answered"].as_u64()
        ),
        (Some(CUSTOMERS as u64), Some(CUSTOMERS as u64)),
        "every rating counted once ({created} acknowledged as new, {refused} 503s on the way)"
    );
}
