//! Every route end to end over real HTTP against the local server, on both
//! stores: the walkthrough a business follows, auth failures, and each bad
//! input answered with its problem.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use feedback_e2e::Server;
use serde_json::{Value, json};

fn today(s: &Server) -> NaiveDate {
    s.tenant.zone.day_of(Utc::now())
}

/// `from=…&to=…` covering yesterday to today in the tenant's zone.
fn recent(s: &Server) -> String {
    let t = today(s);
    format!("from={}&to={t}", t - Duration::days(1))
}

async fn invite(s: &Server, key: &str, body: Value) -> Value {
    let r = s
        .call("POST", "/v1/invitations", Some(key), Some(body))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.body
}

/// An SMS invitation for `order` (and `customer`), made 31 days ago for 30
/// days as an old one would have been: it expired yesterday.
fn month_old_invitation(
    s: &Server,
    order: &str,
    customer: Option<&str>,
) -> feedback_core::Invitation {
    feedback_core::model::NewInvitation {
        order_id: Some(order.into()),
        channel: Some("sms".into()),
        customer_ref: customer.map(Into::into),
        ..Default::default()
    }
    .validate(feedback_core::SurveyKind::Csat)
    .unwrap()
    .issue(
        feedback_core::Code::generate().unwrap(),
        Utc::now() - Duration::days(31),
        Duration::days(30),
        &s.tenant.zone,
    )
}

/// A customer's JSON answer to `code` from `address` (the harness's server
/// believes `X-Forwarded-For`, as behind a reverse proxy).
async fn answer_from(
    s: &Server,
    code: &str,
    address: &str,
    body: Value,
    key: Option<&str>,
) -> feedback_e2e::Reply {
    let mut headers = vec![("x-forwarded-for", address)];
    if let Some(key) = key {
        headers.push(("idempotency-key", key));
    }
    s.send_with(
        "POST",
        &format!("/r/{code}"),
        None,
        &headers,
        "application/json",
        body.to_string().into_bytes(),
    )
    .await
}

/// The period's CSAT count and the answers held back for review, for
/// `slice` (`rep_id=…`, or empty for the whole business).
async fn counted(s: &Server, slice: &str) -> (i64, i64) {
    let r = s
        .get(&format!("/v1/scores?{}&{slice}", recent(s)), &s.admin)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let summary = &r.body["summary"];
    (
        summary["csat"]["count"].as_i64().unwrap_or(0),
        summary["flagged"].as_i64().unwrap(),
    )
}

mod cases {
    use super::*;

    pub async fn walkthrough_of_every_route(s: &Server) {
        let admin = s.admin.clone();
        let r = s.call("GET", "/healthz", None, None).await;
        assert_eq!((r.status, r.body["status"].as_str()), (200, Some("ok")));
        let r = s.call("GET", "/v1/openapi.json", None, None).await;
        assert_eq!((r.status, r.body["openapi"].as_str()), (200, Some("3.1.0")));

        // Keys for each job.
        let writer = s
            .key(&["invitations:write", "reps:write", "settings:write"])
            .await;
        let reader = s.key(&["scores:read", "responses:read"]).await;
        let r = s.call("GET", "/v1/keys", Some(&admin), None).await;
        assert_eq!(r.body["keys"].as_array().unwrap().len(), 3);
        assert!(
            !r.body.to_string().contains(&writer),
            "secrets are never listed"
        );

        // Settings.
        let r = s.call("GET", "/v1/settings", Some(&writer), None).await;
        assert_eq!(
            (
                r.status,
                r.body["time_zone"].as_str(),
                r.body["edit_window_hours"].as_u64()
            ),
            (200, Some("Asia/Karachi"), Some(24))
        );
        let patch = json!({"display_name": "Chai Corner Gulberg", "questions": ["speed", "resolved"], "coupon": "CHAI10"});
        let r = s
            .call("PUT", "/v1/settings", Some(&writer), Some(patch))
            .await;
        assert_eq!((r.status, r.body["coupon"].as_str()), (200, Some("CHAI10")));

        // Reps.
        let r = s
            .call(
                "PUT",
                "/v1/reps/ayesha",
                Some(&writer),
                Some(json!({"display_name": "Ayesha Khan", "team": "front"})),
            )
            .await;
        assert_eq!(r.status, 201);
        let r = s
            .call(
                "PUT",
                "/v1/reps/ayesha",
                Some(&writer),
                Some(json!({"display_name": "Ayesha K."})),
            )
            .await;
        assert_eq!(
            (r.status, r.body["display_name"].as_str()),
            (200, Some("Ayesha K."))
        );
        s.call(
            "PUT",
            "/v1/reps/bilal",
            Some(&writer),
            Some(json!({"display_name": "Bilal"})),
        )
        .await;
        let r = s.call("GET", "/v1/reps/ayesha", Some(&reader), None).await;
        assert_eq!(r.body["display_name"], "Ayesha K.");
        let r = s.call("GET", "/v1/reps", Some(&reader), None).await;
        assert_eq!(r.body["reps"].as_array().unwrap().len(), 2);

        // Invitations: one, the same order again, then a batch.
        let inv = invite(s, &writer, json!({"order_id": "A-1001", "rep_id": "ayesha", "channel": "sms", "location": "gulberg", "customer_ref": "+923001234567"})).await;
        let code = inv["code"].as_str().unwrap().to_owned();
        assert_eq!(inv["url"], format!("{}/r/{code}", s.base));
        let sms = inv["sms_text"].as_str().unwrap();
        assert!(
            sms.contains("Chai Corner Gulberg")
                && sms.ends_with(&format!("/r/{code}"))
                && sms.len() <= 160,
            "{sms}"
        );
        let again = s
            .call(
                "POST",
                "/v1/invitations",
                Some(&writer),
                Some(json!({"order_id": "A-1001", "channel": "email"})),
            )
            .await;
        assert_eq!(
            (
                again.status,
                again.body["code"].as_str(),
                again.body["status"].as_str()
            ),
            (200, Some(code.as_str()), Some("existing"))
        );
        let batch = json!({"invitations": [
            {"order_id": "A-1002", "rep_id": "bilal", "channel": "receipt"},
            {"order_id": "A-1003", "channel": "email", "survey": "nps", "locale": "ur"},
            {"order_id": "A-1001", "channel": "sms"}
        ]});
        let r = s
            .call("POST", "/v1/invitations", Some(&writer), Some(batch))
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let statuses: Vec<_> = r.body["invitations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["status"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(statuses, ["created", "created", "existing"]);
        let nps_code = r.body["invitations"][1]["code"]
            .as_str()
            .unwrap()
            .to_owned();
        let r = s
            .call(
                "GET",
                &format!("/v1/invitations/{code}"),
                Some(&writer),
                None,
            )
            .await;
        assert_eq!(
            (r.status, r.body["order_id"].as_str(), &r.body["response"]),
            (200, Some("A-1001"), &Value::Null)
        );

        // The customer's side.
        let page = s.call("GET", &format!("/r/{code}.json"), None, None).await;
        assert_eq!(page.status, 200);
        assert_eq!(
            (
                page.body["business"].as_str(),
                page.body["rep"]["display_name"].as_str()
            ),
            (Some("Chai Corner Gulberg"), Some("Ayesha K."))
        );
        assert_eq!(
            (
                page.body["survey"]["max"].as_u64(),
                page.body["answered"].as_bool()
            ),
            (Some(5), Some(false))
        );
        assert_eq!(page.body["questions"], json!(["speed", "resolved"]));
        let urdu = "بہت اچھی سروس 👍";
        let r = s.call("POST", &format!("/r/{code}"), None, Some(json!({"score": 2, "comment": urdu, "answers": {"speed": 2, "resolved": false}}))).await;
        assert_eq!(
            (r.status, r.body["score"].as_u64()),
            (201, Some(2)),
            "{}",
            r.body
        );
        let edit_token = r.body["edit_token"].as_str().unwrap().to_owned();
        // Without the answer's edit token, the code alone changes nothing.
        let r = s
            .form(
                &format!("/r/{code}"),
                "score=5&speed=5&resolved=true&comment=Sorted+it+out",
            )
            .await;
        assert_eq!(r.status, 409, "{}", r.body);
        // Changed inside the window through a form post: 200, counted once.
        let r = s
            .form(
                &format!("/r/{code}"),
                &format!(
                    "score=5&speed=5&resolved=true&comment=Sorted+it+out&edit_token={edit_token}"
                ),
            )
            .await;
        assert_eq!(
            (r.status, r.body["score"].as_u64()),
            (200, Some(5)),
            "{}",
            r.body
        );
        let r = s
            .form(
                &format!("/r/{code}"),
                "score=5&speed=5&resolved=true&comment=Sorted+it+out",
            )
            .await;
        assert_eq!(r.status, 200);
        let r = s
            .call(
                "POST",
                &format!("/r/{nps_code}"),
                None,
                Some(json!({"score": 9, "comment": urdu})),
            )
            .await;
        assert_eq!(r.status, 201);
        let page = s
            .call("GET", &format!("/r/{nps_code}.json"), None, None)
            .await;
        assert_eq!(
            (
                page.body["answered"].as_bool(),
                page.body["locale"].as_str()
            ),
            (Some(true), Some("ur"))
        );

        // The business's reads.
        let r = s
            .call(
                "GET",
                &format!(
                    "/v1/scores?{}&granularity=day&compare=previous_period",
                    recent(s)
                ),
                Some(&reader),
                None,
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let summary = &r.body["summary"];
        assert_eq!(
            (
                summary["csat"]["count"].as_u64(),
                summary["csat"]["histogram"].clone()
            ),
            (Some(1), json!([0, 0, 0, 0, 1]))
        );
        assert_eq!(
            (
                summary["nps"]["count"].as_u64(),
                summary["nps"]["score"].as_f64()
            ),
            (Some(1), Some(100.0))
        );
        assert_eq!(
            (
                summary["invitations"].as_u64(),
                summary["answered"].as_u64()
            ),
            (Some(3), Some(2))
        );
        assert_eq!(r.body["series"].as_array().unwrap().len(), 2);
        assert_eq!(r.body["compare"]["responses"], 0);
        let r = s
            .call(
                "GET",
                &format!("/v1/scores?{}&rep_id=ayesha", recent(s)),
                Some(&reader),
                None,
            )
            .await;
        assert_eq!(
            (
                r.body["summary"]["csat"]["top_box"].as_f64(),
                r.body["slice"]["rep_id"].as_str()
            ),
            (Some(100.0), Some("ayesha"))
        );
        let r = s
            .call(
                "GET",
                &format!("/v1/leaderboard?{}&min_count=1", recent(s)),
                Some(&reader),
                None,
            )
            .await;
        // One rating has no interval: listed, not ranked.
        assert_eq!(
            (
                r.status,
                r.body["reps"].as_array().map(Vec::len),
                r.body["too_wide_to_rank"][0]["rep_id"].as_str(),
                r.body["too_wide_to_rank"][0]["count"].as_u64()
            ),
            (200, Some(0), Some("ayesha"), Some(1))
        );
        let r = s
            .call(
                "GET",
                &format!("/v1/responses?{}&has_comment=true&limit=1", recent(s)),
                Some(&reader),
                None,
            )
            .await;
        assert_eq!(r.status, 200);
        assert_eq!(r.body["responses"].as_array().unwrap().len(), 1);
        let cursor = r.body["next_cursor"]
            .as_str()
            .expect("a second page")
            .to_owned();
        let r2 = s
            .call(
                "GET",
                &format!(
                    "/v1/responses?{}&has_comment=true&limit=1&cursor={cursor}",
                    recent(s)
                ),
                Some(&reader),
                None,
            )
            .await;
        let ids: Vec<_> = [&r, &r2]
            .iter()
            .map(|r| r.body["responses"][0]["code"].as_str().unwrap().to_owned())
            .collect();
        assert!(ids.contains(&code) && ids.contains(&nps_code));
        assert_eq!(r2.body["next_cursor"], Value::Null);
        let r = s
            .call("GET", "/v1/responses?survey=nps", Some(&reader), None)
            .await;
        assert_eq!(r.body["responses"][0]["comment"], urdu);

        // Revoking a key.
        let id = key_id(
            &s.call("GET", "/v1/keys", Some(&admin), None).await.body,
            "scores:read",
        );
        let r = s
            .call("DELETE", &format!("/v1/keys/{id}"), Some(&admin), None)
            .await;
        assert_eq!(r.status, 204);
        assert_eq!(
            s.call("GET", "/v1/reps", Some(&reader), None).await.status,
            401
        );
    }

    pub async fn auth_failures_are_401_and_403(s: &Server) {
        let path = format!("/v1/scores?{}", recent(s));
        let r = s.call("GET", &path, None, None).await;
        assert_eq!(
            (r.status, r.header("www-authenticate")),
            (401, Some("Bearer"))
        );
        assert_eq!(r.body["type"], "urn:feedback:problem:unauthorized");
        assert_eq!(r.header("content-type"), Some("application/problem+json"));
        assert_eq!(
            s.call(
                "GET",
                &path,
                Some("fbk_notARealKey0000000000000000000000000000"),
                None
            )
            .await
            .status,
            401
        );
        let writer = s.key(&["invitations:write"]).await;
        let r = s.call("GET", &path, Some(&writer), None).await;
        assert_eq!(
            (r.status, r.body["type"].as_str()),
            (403, Some("urn:feedback:problem:forbidden"))
        );
        assert_eq!(
            s.call(
                "POST",
                "/v1/keys",
                Some(&writer),
                Some(json!({"scopes": ["admin"]}))
            )
            .await
            .status,
            403
        );
        let reader = s.key(&["scores:read"]).await;
        assert_eq!(s.call("GET", &path, Some(&reader), None).await.status, 200);
        let keys = s.call("GET", "/v1/keys", Some(&s.admin), None).await.body;
        let reader_id = key_id(&keys, "scores:read");
        assert_eq!(
            s.call(
                "DELETE",
                &format!("/v1/keys/{reader_id}"),
                Some(&s.admin),
                None
            )
            .await
            .status,
            204
        );
        assert_eq!(
            s.call("GET", &path, Some(&reader), None).await.status,
            401,
            "a revoked key"
        );
        // The last admin key cannot be revoked.
        let admin_id = key_id(&keys, "admin");
        let r = s
            .call(
                "DELETE",
                &format!("/v1/keys/{admin_id}"),
                Some(&s.admin),
                None,
            )
            .await;
        assert_eq!(
            (r.status, r.body["type"].as_str()),
            (409, Some("urn:feedback:problem:conflict"))
        );
        assert_eq!(
            s.call("DELETE", "/v1/keys/nosuchkey", Some(&s.admin), None)
                .await
                .status,
            404
        );
    }

    pub async fn bad_input_gets_its_problem(s: &Server) {
        let admin = s.admin.clone();
        s.call(
            "PUT",
            "/v1/reps/ayesha",
            Some(&admin),
            Some(json!({"display_name": "Ayesha"})),
        )
        .await;
        let code = invite(s, &admin, json!({"order_id": "B-1", "channel": "sms"})).await["code"]
            .as_str()
            .unwrap()
            .to_owned();
        let submit = |body: Value| {
            let path = format!("/r/{code}");
            async move { s.call("POST", &path, None, Some(body)).await }
        };

        let r = submit(json!({"score": 9})).await;
        assert_eq!((r.status, r.fields()), (400, vec!["score".to_owned()]));
        assert_eq!(r.body["errors"][0]["rule"], "out_of_range");
        let r =
            submit(json!({"score": 5, "answers": {"speed": 7, "mood": "ok"}, "coment": "typo"}))
                .await;
        assert_eq!(r.status, 400);
        assert_eq!(
            r.sorted_fields(),
            ["answers.mood", "answers.speed", "coment"]
        );
        let r = submit(json!({"score": "five"})).await;
        assert_eq!((r.status, r.fields()), (400, vec!["score".to_owned()]));
        let r = submit(json!({"score": 4, "comment": "x".repeat(2001)})).await;
        assert_eq!(
            (r.status, r.body["errors"][0]["rule"].as_str()),
            (400, Some("too_long"))
        );
        let r = submit(json!({"score": 4, "comment": "a\u{0}b"})).await;
        assert_eq!(r.body["errors"][0]["rule"], "control_characters");
        let r = s.form(&format!("/r/{code}"), "score=abc").await;
        assert_eq!((r.status, r.fields()), (400, vec!["score".to_owned()]));
        let r = s
            .send(
                "POST",
                &format!("/r/{code}"),
                None,
                "application/json",
                b"{not json".to_vec(),
            )
            .await;
        assert_eq!(
            (r.status, r.body["type"].as_str()),
            (400, Some("urn:feedback:problem:malformed-body"))
        );
        let r = s
            .send(
                "POST",
                &format!("/r/{code}"),
                None,
                "text/plain",
                b"score=5".to_vec(),
            )
            .await;
        assert_eq!(r.status, 415);
        let big = json!({"score": 5, "comment": "x".repeat(17 * 1024)});
        assert_eq!(submit(big).await.status, 413);
        let r = s
            .call("POST", "/r/AAAAAAAAAAAA", None, Some(json!({"score": 5})))
            .await;
        assert_eq!(
            (r.status, r.body["type"].as_str()),
            (404, Some("urn:feedback:problem:not-found"))
        );
        assert_eq!(
            s.call("GET", "/r/not-a-code.json", None, None).await.status,
            404
        );
        assert_eq!(
            s.call("GET", "/no/such/route", None, None).await.status,
            404
        );

        // Invitations.
        let r = s
            .call(
                "POST",
                "/v1/invitations",
                Some(&admin),
                Some(json!({"order_id": "B-2", "channel": "fax"})),
            )
            .await;
        assert_eq!((r.status, r.fields()), (400, vec!["channel".to_owned()]));
        let batch = json!({"invitations": [{"order_id": "B-3", "channel": "sms"}, {"channel": "sms", "survey": "stars"}]});
        let r = s
            .call("POST", "/v1/invitations", Some(&admin), Some(batch))
            .await;
        assert_eq!(
            (r.status, r.fields()),
            (
                400,
                vec![
                    "invitations[1].order_id".to_owned(),
                    "invitations[1].survey".to_owned()
                ]
            )
        );
        let r = s
            .call(
                "POST",
                "/v1/invitations",
                Some(&admin),
                Some(json!({"order_id": "B-4", "channel": "sms", "rep_id": "nobody"})),
            )
            .await;
        assert_eq!((r.status, r.fields()), (422, vec!["rep_id".to_owned()]));
        let too_many: Vec<Value> = (0..501)
            .map(|i| json!({"order_id": format!("M-{i}"), "channel": "sms"}))
            .collect();
        let r = s
            .call(
                "POST",
                "/v1/invitations",
                Some(&admin),
                Some(json!({"invitations": too_many})),
            )
            .await;
        assert_eq!(
            (r.status, r.fields()),
            (400, vec!["invitations".to_owned()])
        );
        let huge = vec![b' '; 1024 * 1024 + 1];
        assert_eq!(
            s.send(
                "POST",
                "/v1/invitations",
                Some(&admin),
                "application/json",
                huge
            )
            .await
            .status,
            413
        );

        // Reads.
        let r = s
            .call(
                "GET",
                "/v1/scores?from=2026-13-01&to=2026-01-31",
                Some(&admin),
                None,
            )
            .await;
        assert_eq!((r.status, r.fields()), (400, vec!["from".to_owned()]));
        let r = s
            .call("GET", "/v1/scores?from=2026-01-01", Some(&admin), None)
            .await;
        assert_eq!(r.fields(), ["to"]);
        let r = s
            .call(
                "GET",
                "/v1/scores?from=2026-01-01&to=2026-01-31&rep_id=a&channel=sms",
                Some(&admin),
                None,
            )
            .await;
        assert_eq!((r.status, r.fields()), (400, vec!["channel".to_owned()]));
        let r = s
            .call(
                "GET",
                "/v1/scores?from=2026-01-01&to=2026-01-31&granularity=hour&frm=x",
                Some(&admin),
                None,
            )
            .await;
        assert_eq!(r.sorted_fields(), ["frm"]);
        let r = s
            .call(
                "GET",
                "/v1/scores?from=2026-01-01&to=2026-01-31&granularity=hour",
                Some(&admin),
                None,
            )
            .await;
        assert_eq!(r.fields(), ["granularity"]);
        let r = s
            .call(
                "GET",
                "/v1/responses?limit=0&cursor=%21%21",
                Some(&admin),
                None,
            )
            .await;
        assert_eq!(r.sorted_fields(), ["cursor", "limit"]);
        let r = s
            .call(
                "PUT",
                "/v1/settings",
                Some(&admin),
                Some(json!({"time_zone": "UTC", "edit_window_hours": -1})),
            )
            .await;
        assert_eq!(r.sorted_fields(), ["edit_window_hours", "time_zone"]);
        let r = s
            .call(
                "PUT",
                "/v1/reps/bad%20id",
                Some(&admin),
                Some(json!({"display_name": "x"})),
            )
            .await;
        assert_eq!((r.status, r.fields()), (400, vec!["rep_id".to_owned()]));
        let r = s
            .call(
                "POST",
                "/v1/keys",
                Some(&admin),
                Some(json!({"scopes": ["root"]})),
            )
            .await;
        assert_eq!(r.fields(), ["scopes[0]"]);
        assert!(
            r.body["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("scores:read")
        );
    }

    pub async fn expired_links_and_closed_windows(s: &Server) {
        let admin = s.admin.clone();
        // An invitation that expired yesterday, written as an old one would be.
        let old = month_old_invitation(s, "OLD-1", None);
        s.store.create_invitation(&old, None).await.unwrap();
        let r = s
            .call(
                "POST",
                &format!("/r/{}", old.code),
                None,
                Some(json!({"score": 5})),
            )
            .await;
        assert_eq!(
            (r.status, r.body["type"].as_str()),
            (410, Some("urn:feedback:problem:expired"))
        );
        let page = s
            .call("GET", &format!("/r/{}.json", old.code), None, None)
            .await;
        assert_eq!(page.body["expired"], true);

        // With no edit window, a second different answer is refused.
        s.call(
            "PUT",
            "/v1/settings",
            Some(&admin),
            Some(json!({"edit_window_hours": 0})),
        )
        .await;
        let code = invite(s, &admin, json!({"order_id": "W-1", "channel": "web"})).await["code"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(
            s.call(
                "POST",
                &format!("/r/{code}"),
                None,
                Some(json!({"score": 3}))
            )
            .await
            .status,
            201
        );
        let r = s
            .call(
                "POST",
                &format!("/r/{code}"),
                None,
                Some(json!({"score": 1})),
            )
            .await;
        assert_eq!(
            (r.status, r.body["type"].as_str()),
            (409, Some("urn:feedback:problem:conflict"))
        );
        // The same answer again (a double tap) is still fine.
        assert_eq!(
            s.call(
                "POST",
                &format!("/r/{code}"),
                None,
                Some(json!({"score": 3}))
            )
            .await
            .status,
            200
        );
        let scores = s
            .call(
                "GET",
                &format!("/v1/scores?{}", recent(s)),
                Some(&admin),
                None,
            )
            .await;
        assert_eq!(
            scores.body["summary"]["csat"]["histogram"],
            json!([0, 0, 1, 0, 0])
        );
    }

    pub async fn customer_pages_answer_with_the_right_status(s: &Server) {
        let admin = s.admin.clone();
        let html =
            |r: &feedback_e2e::Reply| r.header("content-type") == Some("text/html; charset=utf-8");
        let r = s.browser("GET", "/r/AAAAAAAAAAAA", "", &[]).await;
        assert!(
            r.status == 404 && html(&r) && r.text.contains("<h1>We could not find this link</h1>"),
            "{}",
            r.text
        );

        let old = month_old_invitation(s, "OLD-2", None);
        s.store.create_invitation(&old, None).await.unwrap();
        let r = s.browser("GET", &format!("/r/{}", old.code), "", &[]).await;
        assert!(r.status == 410 && html(&r) && r.text.contains("This link has expired"));
        let r = s
            .browser(
                "POST",
                &format!("/r/{}", old.code),
                "score=5",
                &[("sec-fetch-site", "same-origin")],
            )
            .await;
        assert_eq!(r.status, 410);

        let code = invite(
            s,
            &admin,
            json!({"order_id": "H-1", "channel": "email", "survey": "nps"}),
        )
        .await["code"]
            .as_str()
            .unwrap()
            .to_owned();
        let path = format!("/r/{code}");
        let r = s.browser("GET", &path, "", &[]).await;
        assert!(
            r.status == 200 && r.text.matches("name=\"score\"").count() == 11,
            "NPS has 0 to 10"
        );
        assert!(
            r.header("content-security-policy")
                .is_some_and(|c| c.contains("default-src 'none'"))
        );
        // A form from another site is refused, and records nothing.
        let r = s
            .browser(
                "POST",
                &path,
                "score=0",
                &[("sec-fetch-site", "cross-site")],
            )
            .await;
        assert_eq!(r.status, 403);
        let r = s
            .browser(
                "POST",
                &path,
                "score=0",
                &[("origin", "https://evil.example")],
            )
            .await;
        assert_eq!(r.status, 403);
        assert_eq!(
            s.call(
                "GET",
                &format!("/v1/invitations/{code}"),
                Some(&admin),
                None
            )
            .await
            .body["response"],
            Value::Null
        );
        // No score: the form again, with the error and the comment kept.
        let r = s
            .browser(
                "POST",
                &path,
                "comment=kept+text",
                &[("sec-fetch-site", "same-origin")],
            )
            .await;
        assert!(
            r.status == 400 && r.text.contains("role=\"alert\"") && r.text.contains("kept text")
        );
        let r = s
            .browser(
                "POST",
                &path,
                "score=9&comment=%3Cb%3Ehi%3C%2Fb%3E",
                &[("origin", "null")],
            )
            .await;
        // The thank-you page's change link carries the answer's edit token.
        let change = format!("href=\"/r/{code}?edit=");
        assert!(r.status == 201 && r.text.contains("Thank you!") && r.text.contains(&change));
        let edit_token: String = r
            .text
            .split(&change)
            .nth(1)
            .unwrap()
            .chars()
            .take_while(|c| c.is_ascii_hexdigit())
            .collect();
        // Answered, inside the window: through the change link, the form
        // with the answer, to change it; the code alone shows neither.
        let r = s
            .browser("GET", &format!("{path}?edit={edit_token}"), "", &[])
            .await;
        assert!(
            r.status == 200
                && r.text.contains("value=\"9\" checked")
                && r.text.contains("&lt;b&gt;hi&lt;/b&gt;")
                && r.text
                    .contains(&format!("name=\"edit_token\" value=\"{edit_token}\""))
        );
        let r = s.browser("GET", &path, "", &[]).await;
        assert!(
            r.status == 200
                && r.text.contains("You have already answered")
                && !r.text.contains("<form")
                && !r.text.contains("hi&lt;")
                && !r.text.contains("<bdi>9</bdi>")
        );
        // After the window: the answer, read-only; a change is a 409 page.
        s.call(
            "PUT",
            "/v1/settings",
            Some(&admin),
            Some(json!({"edit_window_hours": 0})),
        )
        .await;
        let r = s.browser("GET", &path, "", &[]).await;
        assert!(
            r.status == 200
                && r.text.contains("You have already answered")
                && !r.text.contains("<form")
        );
        let r = s
            .browser(
                "POST",
                &path,
                &format!("score=3&edit_token={edit_token}"),
                &[("sec-fetch-site", "same-origin")],
            )
            .await;
        assert!(r.status == 409 && r.text.contains("Your rating: <bdi>9</bdi>"));
        let r = s
            .browser(
                "POST",
                &path,
                "score=3",
                &[("sec-fetch-site", "same-origin")],
            )
            .await;
        assert!(r.status == 409 && !r.text.contains("<bdi>9</bdi>"));
    }

    pub async fn follow_up_workflow(s: &Server) {
        let writer = s.key(&["invitations:write", "settings:write"]).await;
        let reader = s.key(&["responses:read", "scores:read"]).await;
        let agent = s.key(&["responses:read", "follow_ups:write"]).await;
        let code = |inv: &Value| inv["code"].as_str().unwrap().to_owned();
        let unhappy = code(
            &invite(
                s,
                &writer,
                json!({"order_id": "F-1", "channel": "sms", "location": "gulberg"}),
            )
            .await,
        );
        let r = s
            .call(
                "POST",
                &format!("/r/{unhappy}"),
                None,
                Some(json!({"score": 1, "comment": "cold"})),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        // Opened with the response, in the queue, not yet due.
        let r = s
            .call("GET", "/v1/follow-ups?status=open", Some(&reader), None)
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let listed = r.body["follow_ups"].as_array().unwrap();
        assert_eq!(listed.len(), 1);
        let fu = &listed[0];
        assert_eq!(
            (
                fu["id"].as_str(),
                fu["status"].as_str(),
                fu["overdue"].as_bool(),
                fu["score"].as_u64()
            ),
            (Some(unhappy.as_str()), Some("open"), Some(false), Some(1))
        );
        let path = format!("/v1/follow-ups/{unhappy}");
        // Reading is not enough to change it.
        let r = s
            .call(
                "PATCH",
                &path,
                Some(&reader),
                Some(json!({"status": "contacted"})),
            )
            .await;
        assert_eq!(r.status, 403);
        let r = s
            .call("PATCH", &path, Some(&agent), Some(json!({"status": "contacted", "assignee": "Bilal", "note": "Called, offered a refund"})))
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(
            (r.body["status"].as_str(), r.body["assignee"].as_str()),
            (Some("contacted"), Some("Bilal"))
        );
        assert!(r.body["contacted_at"].is_string());
        assert_eq!(r.body["notes"][0]["text"], "Called, offered a refund");
        // Only allowed moves; bad fields are named.
        let r = s
            .call(
                "PATCH",
                &path,
                Some(&agent),
                Some(json!({"status": "open"})),
            )
            .await;
        assert_eq!(r.status, 409, "{}", r.body);
        assert!(
            r.body["detail"]
                .as_str()
                .unwrap()
                .contains("contacted to open"),
            "{}",
            r.body
        );
        let r = s
            .call(
                "PATCH",
                &path,
                Some(&agent),
                Some(json!({"status": "done", "colour": 1})),
            )
            .await;
        assert_eq!(r.status, 400);
        let fields: Vec<_> = r.body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(fields, ["colour", "status"]);
        let r = s
            .call(
                "PATCH",
                &path,
                Some(&agent),
                Some(json!({"status": "resolved"})),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let r = s.call("GET", &path, Some(&reader), None).await;
        assert_eq!(
            (r.status, r.body["status"].as_str()),
            (200, Some("resolved"))
        );
        let r = s
            .call("GET", "/v1/follow-ups/nosuchfollowup", Some(&reader), None)
            .await;
        assert_eq!(r.status, 404);

        // A second unhappy customer who then changes the answer to a 5.
        let changed = code(&invite(s, &writer, json!({"order_id": "F-2", "channel": "web"})).await);
        let mut edit_token = Value::Null;
        for score in [2, 5] {
            let r = s
                .call(
                    "POST",
                    &format!("/r/{changed}"),
                    None,
                    Some(json!({"score": score, "edit_token": edit_token})),
                )
                .await;
            assert!(r.status == 201 || r.status == 200, "{}", r.body);
            edit_token = r.body["edit_token"].clone();
        }
        let r = s
            .call(
                "GET",
                &format!("/v1/follow-ups/{changed}"),
                Some(&reader),
                None,
            )
            .await;
        assert_eq!(r.body["status"].as_str(), Some("closed"));
        let r = s
            .call("GET", "/v1/follow-ups?status=open", Some(&reader), None)
            .await;
        assert_eq!(r.body["follow_ups"].as_array().unwrap().len(), 0);
        let r = s
            .call("GET", "/v1/follow-ups?overdue=true", Some(&reader), None)
            .await;
        assert_eq!(
            (r.status, r.body["follow_ups"].as_array().map(Vec::len)),
            (200, Some(0))
        );

        // The service level in the scores, overall and for the location.
        for slice in ["", "&location=gulberg"] {
            let r = s
                .call(
                    "GET",
                    &format!("/v1/scores?{}{slice}&compare=previous_year", recent(s)),
                    Some(&reader),
                    None,
                )
                .await;
            assert_eq!(r.status, 200, "{}", r.body);
            let f = &r.body["summary"]["follow_up"];
            assert_eq!(
                (
                    f["opened"].as_i64(),
                    f["contacted"].as_i64(),
                    f["resolved"].as_i64(),
                    f["overdue_now"].as_i64()
                ),
                (Some(1), Some(1), Some(1), Some(0)),
                "{}",
                r.body
            );
            assert_eq!(f["within_sla"]["percent"].as_f64(), Some(100.0));
            assert_eq!(f["time_to_first_contact"]["count"].as_i64(), Some(1));
            assert!(f["time_to_first_contact"]["median_hours"].as_f64().unwrap() < 0.25);
            assert!(r.body["compare"].is_object());
        }

        // Thresholds and SLA are settings, checked like the rest.
        let r = s
            .call(
                "PUT",
                "/v1/settings",
                Some(&writer),
                Some(json!({"follow_up": {"sla_hours": 4, "nps_at_most": 5}})),
            )
            .await;
        assert_eq!(
            (
                r.status,
                r.body["follow_up"]["sla_hours"].as_u64(),
                r.body["follow_up"]["csat_at_most"].as_u64()
            ),
            (200, Some(4), Some(2))
        );
        let r = s
            .call(
                "PUT",
                "/v1/settings",
                Some(&writer),
                Some(json!({"follow_up": {"csat_at_most": 9, "speed": 1}})),
            )
            .await;
        assert_eq!(r.status, 400);
        let fields: Vec<_> = r.body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(fields, ["follow_up.speed", "follow_up.csat_at_most"]);
        // A 3 is unhappy once the business says so.
        let r = s
            .call(
                "PUT",
                "/v1/settings",
                Some(&writer),
                Some(json!({"follow_up": {"csat_at_most": 3}})),
            )
            .await;
        assert_eq!(r.status, 200);
        let third = code(&invite(s, &writer, json!({"order_id": "F-3", "channel": "sms"})).await);
        s.call(
            "POST",
            &format!("/r/{third}"),
            None,
            Some(json!({"score": 3})),
        )
        .await;
        let r = s
            .call(
                "GET",
                &format!("/v1/follow-ups/{third}"),
                Some(&reader),
                None,
            )
            .await;
        assert_eq!((r.status, r.body["sla_hours"].as_u64()), (200, Some(4)));
    }

    pub async fn responses_export_as_csv(s: &Server) {
        let writer = s.key(&["invitations:write"]).await;
        let reader = s.key(&["responses:read"]).await;
        let comments = [
            "بہت اچھی سروس، شکریہ",
            "बहुत अच्छा, धन्यवाद",
            "=HYPERLINK(\"http://evil\",\"click\")",
            "said \"fine\"\nthen left",
        ];
        for (i, comment) in comments.iter().enumerate() {
            let inv = invite(
                s,
                &writer,
                json!({"order_id": format!("X-{i}"), "channel": "web", "location": "-gulberg"}),
            )
            .await;
            let code = inv["code"].as_str().unwrap();
            let r = s
                .call(
                    "POST",
                    &format!("/r/{code}"),
                    None,
                    Some(json!({"score": 4, "comment": comment})),
                )
                .await;
            assert_eq!(r.status, 201, "{}", r.body);
        }
        let r = s
            .call(
                "GET",
                &format!("/v1/responses/export.csv?{}&bom=true", recent(s)),
                Some(&reader),
                None,
            )
            .await;
        assert_eq!(r.status, 200);
        assert_eq!(r.headers["content-type"], "text/csv; charset=utf-8");
        let text = &r.text;
        assert!(text.starts_with("\u{feff}id,code,submitted_at,"), "{text}");
        // Oldest last; every record ends with CRLF; scripts intact.
        assert!(
            text.contains(",بہت اچھی سروس، شکریہ\r\n")
                || text.contains(",\"بہت اچھی سروس، شکریہ\"\r\n"),
            "{text}"
        );
        assert!(text.contains(",\"बहुत अच्छा, धन्यवाद\"\r\n"), "{text}");
        assert!(
            text.contains(",\"'=HYPERLINK(\"\"http://evil\"\",\"\"click\"\")\"\r\n"),
            "{text}"
        );
        assert!(
            text.contains(",\"said \"\"fine\"\"\nthen left\"\r\n"),
            "{text}"
        );
        assert!(text.contains(",'-gulberg,"), "{text}");
        assert_eq!(text.matches("\r\n").count(), 1 + comments.len());
        assert!(!r.headers.contains_key("link"));
        // The list's filters apply; bad ones are named.
        let r = s
            .call(
                "GET",
                "/v1/responses/export.csv?min_score=5",
                Some(&reader),
                None,
            )
            .await;
        assert_eq!(r.text.matches("\r\n").count(), 1, "only the header");
        let r = s
            .call(
                "GET",
                "/v1/responses/export.csv?bom=maybe&limit=3",
                Some(&reader),
                None,
            )
            .await;
        assert_eq!(r.status, 400);
    }

    pub async fn erasure_and_retention(s: &Server) {
        let writer = s.key(&["invitations:write", "settings:write"]).await;
        let reader = s.key(&["responses:read", "scores:read"]).await;
        let r = s
            .call(
                "PUT",
                "/v1/settings",
                Some(&writer),
                Some(json!({"retention_months": 24})),
            )
            .await;
        assert_eq!(
            (r.status, r.body["retention_months"].as_u64()),
            (200, Some(24)),
            "{}",
            r.body
        );
        let inv = invite(
            s,
            &writer,
            json!({"order_id": "E-1", "channel": "sms", "customer_ref": "+92 300 1234567"}),
        )
        .await;
        let until = inv["personal_until"]
            .as_str()
            .expect("retention sets a deadline");
        let created: chrono::DateTime<Utc> = inv["created_at"].as_str().unwrap().parse().unwrap();
        let until: chrono::DateTime<Utc> = until.parse().unwrap();
        assert!((until - created).num_days() >= 730, "{until} vs {created}");
        let code = inv["code"].as_str().unwrap();
        let r = s
            .call(
                "POST",
                &format!("/r/{code}"),
                None,
                Some(json!({"score": 1, "comment": "میرا نمبر 0300"})),
            )
            .await;
        assert_eq!(r.status, 201);
        let before = s
            .call(
                "GET",
                &format!("/v1/scores?{}", recent(s)),
                Some(&reader),
                None,
            )
            .await;

        // Only an admin key erases; the ref goes in the path, encoded.
        let path = "/v1/customers/%2B92%20300%201234567";
        assert_eq!(
            s.call("DELETE", path, Some(&reader), None).await.status,
            403
        );
        let r = s.call("DELETE", path, Some(&s.admin), None).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["erased"], json!({"invitations": 1, "comments": 1}));
        let r = s.call("DELETE", path, Some(&s.admin), None).await;
        assert_eq!(r.body["erased"], json!({"invitations": 0, "comments": 0}));
        let r = s
            .call(
                "GET",
                &format!("/v1/invitations/{code}"),
                Some(&writer),
                None,
            )
            .await;
        assert_eq!(
            (
                r.body["customer_ref"].clone(),
                r.body["response"]["comment"].clone()
            ),
            (Value::Null, Value::Null),
            "{}",
            r.body
        );
        let r = s.call("GET", "/v1/responses", Some(&reader), None).await;
        assert_eq!(r.body["responses"][0]["comment"], Value::Null);
        assert_eq!(r.body["responses"][0]["score"], 1);
        // The anonymous counts are as they were.
        let after = s
            .call(
                "GET",
                &format!("/v1/scores?{}", recent(s)),
                Some(&reader),
                None,
            )
            .await;
        assert_eq!(after.body["summary"], before.body["summary"]);
        let r = s
            .call("DELETE", "/v1/customers/%20padded", Some(&s.admin), None)
            .await;
        assert_eq!(
            (r.status, r.body["errors"][0]["field"].as_str()),
            (400, Some("customer_ref"))
        );
        let r = s
            .call(
                "PUT",
                "/v1/settings",
                Some(&writer),
                Some(json!({"retention_months": 0})),
            )
            .await;
        assert_eq!(
            (r.status, r.body["errors"][0]["field"].as_str()),
            (400, Some("retention_months"))
        );
        let r = s
            .call(
                "PUT",
                "/v1/settings",
                Some(&writer),
                Some(json!({"retention_months": null})),
            )
            .await;
        assert_eq!((r.status, r.body.get("retention_months")), (200, None));
    }

    pub async fn snippets_for_email_receipts_sms_and_qr(s: &Server) {
        let admin = s.admin.clone();
        let inv = invite(s, &admin, json!({"order_id": "S-1", "channel": "email"})).await;
        let code = inv["code"].as_str().unwrap();
        let url = inv["url"].as_str().unwrap();
        let get = |format: &str| {
            let path = format!("/v1/invitations/{code}/snippet?format={format}");
            let admin = admin.clone();
            async move { s.send("GET", &path, Some(&admin), "", Vec::new()).await }
        };
        let r = get("html").await;
        assert_eq!(
            (r.status, r.header("content-type")),
            (200, Some("text/html; charset=utf-8"))
        );
        for n in 1..=5 {
            assert!(r.text.contains(&format!("{url}?score={n}\"")), "{}", r.text);
        }
        let r = get("text").await;
        assert!(r.text.contains(url));
        let r = get("sms").await;
        assert_eq!(r.text, inv["sms_text"].as_str().unwrap());
        let r = get("qr").await;
        assert_eq!(r.header("content-type"), Some("image/svg+xml"));
        assert!(r.text.contains("<svg"));
        let r = get("pdf").await;
        assert_eq!((r.status, r.fields()), (400, vec!["format".to_owned()]));
        // Opening a one-click link records nothing.
        let r = s
            .browser("GET", &format!("/r/{code}?score=5"), "", &[])
            .await;
        assert!(r.status == 200 && r.text.contains("value=\"5\" checked required"));
        assert_eq!(
            s.call(
                "GET",
                &format!("/v1/invitations/{code}"),
                Some(&admin),
                None
            )
            .await
            .body["response"],
            Value::Null
        );
    }

    pub async fn public_routes_are_rate_limited_per_code(s: &Server) {
        let code = invite(s, &s.admin, json!({"order_id": "R-1", "channel": "qr"})).await["code"]
            .as_str()
            .unwrap()
            .to_owned();
        for _ in 0..60 {
            assert_eq!(
                s.call("GET", &format!("/r/{code}.json"), None, None)
                    .await
                    .status,
                200
            );
        }
        let r = s.call("GET", &format!("/r/{code}.json"), None, None).await;
        assert_eq!(
            (r.status, r.body["type"].as_str()),
            (429, Some("urn:feedback:problem:rate-limited"))
        );
        assert!(
            r.header("retry-after")
                .and_then(|v| v.parse::<u64>().ok())
                .is_some_and(|s| (1..=60).contains(&s))
        );
        let r = s.browser("GET", &format!("/r/{code}"), "", &[]).await;
        assert!(r.status == 429 && r.text.contains("<h1>"));
        // Other codes are not held back by this one.
        let other = invite(s, &s.admin, json!({"order_id": "R-2", "channel": "qr"})).await["code"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(
            s.call("GET", &format!("/r/{other}.json"), None, None)
                .await
                .status,
            200
        );
    }

    pub async fn concurrent_submits_over_http_count_once(s: &Server) {
        let code = invite(s, &s.admin, json!({"order_id": "C-1", "channel": "qr"})).await["code"]
            .as_str()
            .unwrap()
            .to_owned();
        let path = format!("/r/{code}");
        let replies = futures_join(20, |_| {
            s.call("POST", &path, None, Some(json!({"score": 4})))
        })
        .await;
        let created = replies.iter().filter(|r| r.status == 201).count();
        assert_eq!(created, 1);
        assert!(
            replies.iter().all(|r| r.status == 201 || r.status == 200),
            "{:?}",
            replies.iter().map(|r| r.status).collect::<Vec<_>>()
        );
        let scores = s
            .call(
                "GET",
                &format!("/v1/scores?{}", recent(s)),
                Some(&s.admin),
                None,
            )
            .await;
        assert_eq!(
            (
                scores.body["summary"]["csat"]["count"].as_u64(),
                scores.body["summary"]["answered"].as_u64()
            ),
            (Some(1), Some(1))
        );
    }

    pub async fn webhooks_are_signed_retried_and_deduplicated(s: &Server) {
        use feedback_core::webhook::{REPLAY_TOLERANCE_SECONDS, verify};
        let admin = s.admin.clone();
        let receiver = feedback_e2e::Receiver::start().await;
        // Refusals, each naming its field.
        let r = s
            .call("POST", "/v1/webhooks", Some(&admin), Some(json!({"url": "http://hooks.example.com/x", "events": ["response.created", "response.nope"]})))
            .await;
        assert_eq!(r.status, 400, "{}", r.body);
        assert_eq!(r.sorted_fields(), ["events[1]", "url"]);
        let r = s
            .call(
                "POST",
                "/v1/webhooks",
                Some(&admin),
                Some(json!({"url": receiver.url})),
            )
            .await;
        assert_eq!((r.status, r.fields()), (400, vec!["events".to_owned()]));
        let reader = s.key(&["responses:read"]).await;
        let all = [
            "response.created",
            "response.updated",
            "response.unhappy",
            "follow_up.updated",
        ];
        let r = s
            .call(
                "POST",
                "/v1/webhooks",
                Some(&reader),
                Some(json!({"url": receiver.url, "events": all})),
            )
            .await;
        assert_eq!(r.status, 403);

        let r = s
            .call(
                "POST",
                "/v1/webhooks",
                Some(&admin),
                Some(json!({"url": receiver.url, "events": all})),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let id = r.body["id"].as_str().unwrap().to_owned();
        let secret = r.body["secret"].as_str().unwrap().to_owned();
        assert!(secret.starts_with("whsec_"));
        let r = s.call("GET", "/v1/webhooks", Some(&admin), None).await;
        assert_eq!(r.body["webhooks"][0]["id"], id.as_str());
        assert!(!r.text.contains(&secret), "the secret is shown once");

        // The first request fails; the delivery is retried with the same ids.
        receiver.answer_next(&[500]);
        let writer = s.key(&["invitations:write", "follow_ups:write"]).await;
        let inv = invite(s, &writer, json!({"order_id": "W-1", "channel": "sms"})).await;
        let code = inv["code"].as_str().unwrap().to_owned();
        let r = s
            .call(
                "POST",
                &format!("/r/{code}"),
                None,
                Some(json!({"score": 1, "comment": "چائے ٹھنڈی تھی"})),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let seen = receiver
            .wait_until("two events, one of them twice", |seen| seen.len() >= 3)
            .await;
        let now = Utc::now().timestamp();
        for request in &seen {
            let signature = request.header("feedback-signature");
            assert_eq!(
                verify(
                    &secret,
                    signature,
                    &request.body,
                    now,
                    REPLAY_TOLERANCE_SECONDS
                ),
                Ok(()),
                "{signature}"
            );
            assert_eq!(
                verify(
                    "whsec_wrong",
                    signature,
                    &request.body,
                    now,
                    REPLAY_TOLERANCE_SECONDS
                ),
                Err(feedback_core::webhook::SignatureError::Mismatch)
            );
            let event = request.json();
            assert_eq!(
                request.header("feedback-event-id"),
                event["id"].as_str().unwrap()
            );
            assert_eq!(
                request.header("feedback-event"),
                event["type"].as_str().unwrap()
            );
        }
        let mut by_delivery: std::collections::BTreeMap<String, Vec<Value>> = Default::default();
        for request in &seen {
            by_delivery
                .entry(request.header("feedback-delivery").to_owned())
                .or_default()
                .push(request.json());
        }
        assert_eq!(by_delivery.len(), 2, "one delivery per event");
        let mut types: Vec<&str> = by_delivery
            .values()
            .map(|events| {
                assert!(
                    events.iter().all(|e| e == &events[0]),
                    "a retry resends the same event"
                );
                events[0]["type"].as_str().unwrap()
            })
            .collect();
        types.sort();
        assert_eq!(types, ["response.created", "response.unhappy"]);
        let created = &by_delivery
            .values()
            .find(|e| e[0]["type"] == "response.created")
            .unwrap()[0];
        assert_eq!(created["data"]["response"]["comment"], "چائے ٹھنڈی تھی");
        assert_eq!(created["data"]["response"]["code"], code.as_str());

        // A follow-up update is an event too.
        let r = s
            .call(
                "PATCH",
                &format!("/v1/follow-ups/{code}"),
                Some(&writer),
                Some(json!({"status": "contacted"})),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let seen = receiver
            .wait_until("follow_up.updated", |seen| {
                seen.iter()
                    .any(|r| r.header("feedback-event") == "follow_up.updated")
            })
            .await;
        let update = seen
            .iter()
            .find(|r| r.header("feedback-event") == "follow_up.updated")
            .unwrap()
            .json();
        assert_eq!(update["data"]["follow_up"]["status"], "contacted");

        // What the business sees of it: every attempt, its status and time.
        let path = format!("/v1/webhooks/{id}/deliveries");
        let mut deliveries = Value::Null;
        for _ in 0..100 {
            deliveries = s.call("GET", &path, Some(&admin), None).await.body;
            let list = deliveries["deliveries"].as_array().unwrap();
            if list.len() == 3 && list.iter().all(|d| d["state"] == "delivered") {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let list = deliveries["deliveries"].as_array().unwrap();
        assert_eq!(list.len(), 3, "{deliveries}");
        let statuses: Vec<Vec<u64>> = list
            .iter()
            .map(|d| {
                d["attempts"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|a| a["status"].as_u64().unwrap())
                    .collect()
            })
            .collect();
        assert!(statuses.contains(&vec![500, 204]), "{statuses:?}");
        assert!(
            list.iter().all(|d| d["state"] == "delivered"),
            "{deliveries}"
        );
        assert!(list[0]["attempts"][0]["duration_ms"].is_u64());
        let r = s
            .call("GET", &format!("{path}?limit=0"), Some(&admin), None)
            .await;
        assert_eq!((r.status, r.fields()), (400, vec!["limit".to_owned()]));

        // Deleted: nothing more is sent.
        let r = s
            .call("DELETE", &format!("/v1/webhooks/{id}"), Some(&admin), None)
            .await;
        assert_eq!(r.status, 204);
        let r = s
            .call("DELETE", &format!("/v1/webhooks/{id}"), Some(&admin), None)
            .await;
        assert_eq!(r.status, 404);
        let r = s.call("GET", &path, Some(&admin), None).await;
        assert_eq!(r.status, 404);
    }

    pub async fn a_slow_receiver_never_holds_up_a_rating(s: &Server) {
        let receiver = feedback_e2e::Receiver::start().await;
        let r = s
            .call(
                "POST",
                "/v1/webhooks",
                Some(&s.admin),
                Some(json!({"url": receiver.url, "events": ["response.created"]})),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let writer = s.key(&["invitations:write"]).await;
        // The receiver does not answer while the customers rate.
        receiver.hold();
        for i in 0..5 {
            let inv = invite(
                s,
                &writer,
                json!({"order_id": format!("S-{i}"), "channel": "web"}),
            )
            .await;
            let r = s
                .call(
                    "POST",
                    &format!("/r/{}", inv["code"].as_str().unwrap()),
                    None,
                    Some(json!({"score": 5})),
                )
                .await;
            assert_eq!(r.status, 201, "{}", r.body);
        }
        assert!(
            receiver.seen().is_empty(),
            "nothing was answered while held"
        );
        receiver.release();
        let seen = receiver
            .wait_until("five ratings", |seen| {
                let ids: std::collections::HashSet<&str> =
                    seen.iter().map(|r| r.header("feedback-event-id")).collect();
                ids.len() == 5
            })
            .await;
        assert!(
            seen.iter()
                .all(|r| r.header("feedback-event") == "response.created")
        );
    }
    /// Drivers, comments by band, response rate per channel, compare
    /// deltas, the leaderboard's trend and width flags, and the dashboard's
    /// sign-in, figures and sign-out over HTTP.
    pub async fn insights_and_dashboard(s: &Server) {
        let writer = s
            .key(&["invitations:write", "reps:write", "settings:write"])
            .await;
        let reader = s.key(&["scores:read", "responses:read"]).await;
        let scores_only = s.key(&["scores:read"]).await;
        let r = s
            .call(
                "PUT",
                "/v1/settings",
                Some(&writer),
                Some(json!({"questions": ["speed", "friendliness", "knowledge"]})),
            )
            .await;
        assert_eq!(r.status, 200);
        for (id, name) in [("ayesha", "Ayesha Khan"), ("bilal", "Bilal")] {
            let r = s
                .call(
                    "PUT",
                    &format!("/v1/reps/{id}"),
                    Some(&writer),
                    Some(json!({"display_name": name})),
                )
                .await;
            assert_eq!(r.status, 201);
        }
        // 12 answered SMS invitations for Ayesha, where speed moves the score
        // one for one and knowledge not at all; 4 unanswered e-mails; 2
        // answers for Bilal. Comments on three.
        let mut answered = Vec::new();
        for i in 0..18 {
            let (rep, channel) = match i {
                0..12 => ("ayesha", "sms"),
                12..16 => ("ayesha", "email"),
                _ => ("bilal", "receipt"),
            };
            let inv = invite(
                s,
                &writer,
                json!({"order_id": format!("I-{i}"), "rep_id": rep, "channel": channel, "locale": "en"}),
            )
            .await;
            if channel == "email" {
                continue;
            }
            let speed = 1 + i % 5;
            let score = if rep == "bilal" { 1 + i % 2 } else { speed };
            let comment = match i {
                0 => Some("Slow and rude"),
                4 => Some("Lovely, quick service"),
                17 => Some("Never again"),
                _ => None,
            };
            let body = json!({"score": score, "comment": comment, "answers": {"speed": speed, "knowledge": 1 + (i * 7) % 5, "friendliness": 3}});
            let code = inv["code"].as_str().unwrap().to_owned();
            let r = s
                .call("POST", &format!("/r/{code}"), None, Some(body))
                .await;
            assert_eq!(r.status, 201, "{}", r.body);
            answered.push((i, score));
        }
        let period = recent(s);

        // Drivers: speed first with r = 1 and a slope of 1; friendliness
        // never varied; a minimum above the count gives no figure.
        let r = s
            .get(
                &format!("/v1/drivers?{period}&survey=csat&rep_id=ayesha&min_count=10"),
                &scores_only,
            )
            .await;
        assert_eq!((r.status, r.body["responses"].as_i64()), (200, Some(12)));
        let first = &r.body["drivers"][0];
        assert_eq!(
            (
                first["question"].as_str(),
                first["verdict"].as_str(),
                first["correlation"].as_f64(),
                first["slope"].as_f64(),
                first["count"].as_i64()
            ),
            (
                Some("speed"),
                Some("measured"),
                Some(1.0),
                Some(1.0),
                Some(12)
            )
        );
        let verdict = |body: &Value, q: &str| {
            body["drivers"]
                .as_array()
                .unwrap()
                .iter()
                .find(|d| d["question"] == q)
                .map(|d| d["verdict"].as_str().unwrap().to_owned())
        };
        assert_eq!(
            verdict(&r.body, "friendliness").as_deref(),
            Some("no_variation")
        );
        assert_eq!(
            verdict(&r.body, "resolved").as_deref(),
            Some("not_enough_data")
        );
        let r = s.get(&format!("/v1/drivers?{period}"), &scores_only).await;
        assert_eq!(r.body["min_count"], 30);
        assert_eq!(
            verdict(&r.body, "speed").as_deref(),
            Some("not_enough_data")
        );
        assert!(r.body["drivers"][0]["correlation"].is_null());
        let r = s
            .get(&format!("/v1/drivers?{period}&min_count=2"), &scores_only)
            .await;
        assert_eq!(
            (r.status, r.body["errors"][0]["field"].as_str()),
            (400, Some("min_count"))
        );

        // Comments: newest first, by band, and only with responses:read.
        let r = s.get(&format!("/v1/comments?{period}"), &reader).await;
        let texts: Vec<&str> = r.body["comments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["comment"].as_str().unwrap())
            .collect();
        assert_eq!(
            texts,
            ["Never again", "Lovely, quick service", "Slow and rude"]
        );
        assert_eq!(r.body["comments"][0]["band"], "unhappy");
        assert_eq!(r.body["comments"][0]["locale"], "en");
        let r = s
            .get(
                &format!("/v1/comments?{period}&band=happy&limit=1"),
                &reader,
            )
            .await;
        assert_eq!(r.body["comments"][0]["comment"], "Lovely, quick service");
        assert_eq!(r.body["comments"].as_array().unwrap().len(), 1);
        let r = s
            .get(
                &format!("/v1/comments?{period}&band=unhappy&rep_id=bilal"),
                &reader,
            )
            .await;
        assert_eq!(r.body["comments"].as_array().unwrap().len(), 1);
        let r = s
            .get(&format!("/v1/comments?{period}&band=grumpy"), &reader)
            .await;
        assert_eq!(
            (r.status, r.body["errors"][0]["field"].as_str()),
            (400, Some("band"))
        );
        let r = s.get(&format!("/v1/comments?{period}"), &scores_only).await;
        assert_eq!(r.status, 403);

        // Response rate per channel, and the change against a period
        // without data (nothing to compare: left out).
        let r = s
            .get(
                &format!("/v1/scores?{period}&compare=previous_period"),
                &reader,
            )
            .await;
        let channel = |name: &str| {
            r.body["channels"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["channel"] == name)
                .cloned()
                .unwrap()
        };
        let sms = channel("sms");
        assert_eq!(
            (sms["invitations"].as_i64(), sms["answered"].as_i64()),
            (Some(12), Some(12))
        );
        assert_eq!(sms["response_rate"]["value"].as_f64(), Some(100.0));
        let email = channel("email");
        assert_eq!(
            (
                email["invitations"].as_i64(),
                email["response_rate"]["value"].as_f64()
            ),
            (Some(4), Some(0.0))
        );
        assert!(email["response_rate"]["high"].as_f64().unwrap() > 40.0);
        assert_eq!(r.body["change"], json!({}));
        let summary_csat = r.body["summary"]["csat"].clone();

        // Leaderboard: Ayesha's 12 ratings spread 1–5 give an interval
        // wider than a quarter of the scale, so she is listed, not ranked.
        let r = s
            .get(&format!("/v1/leaderboard?{period}&min_count=2"), &reader)
            .await;
        assert_eq!(r.status, 200);
        let wide = &r.body["too_wide_to_rank"][0];
        assert_eq!(
            (wide["rep_id"].as_str(), wide["too_wide_to_rank"].as_bool()),
            (Some("ayesha"), Some(true))
        );
        assert!(wide["rank"].is_null() && wide["trend"].is_null());
        assert_eq!(wide["previous_count"], 0);
        assert!(
            wide["interval"]["high"].as_f64().unwrap() - wide["interval"]["low"].as_f64().unwrap()
                > 1.0
        );

        // The dashboard: the sign-in form; a wrong key and a key without
        // scores:read refused; a good one gets the session cookie.
        let r = s.browser("GET", "/dashboard", "", &[]).await;
        assert_eq!(r.status, 200);
        assert!(r.text.contains("name=\"key\""));
        assert!(
            r.headers["content-security-policy"]
                .to_str()
                .unwrap()
                .starts_with("default-src 'none'")
        );
        let same = [("sec-fetch-site", "same-origin")];
        let r = s
            .browser("POST", "/dashboard/sign-in", "key=fbk_nope", &same)
            .await;
        assert_eq!(r.status, 401);
        assert!(!r.headers.contains_key("set-cookie"));
        let r = s
            .browser(
                "POST",
                "/dashboard/sign-in",
                &format!("key={writer}"),
                &same,
            )
            .await;
        assert_eq!(r.status, 401);
        let r = s
            .browser(
                "POST",
                "/dashboard/sign-in",
                &format!("key={reader}"),
                &[("sec-fetch-site", "cross-site")],
            )
            .await;
        assert_eq!(r.status, 403);
        let r = s
            .browser(
                "POST",
                "/dashboard/sign-in",
                &format!("key={reader}&lang=ur"),
                &same,
            )
            .await;
        assert_eq!(r.status, 303);
        assert_eq!(r.headers["location"], "/dashboard?lang=ur");
        let cookie = r.headers["set-cookie"].to_str().unwrap().to_owned();
        for attribute in [
            "__Host-feedback_session=",
            "HttpOnly",
            "Secure",
            "SameSite=Strict",
            "Path=/",
            "Max-Age=43200",
        ] {
            assert!(cookie.contains(attribute), "{cookie}");
        }
        // The cookie holds a signed session, never the key itself.
        assert!(!cookie.contains(reader.as_str()), "{cookie}");
        let forged = cookie.split(';').next().unwrap().replacen('.', "0.", 1);
        let r = s
            .browser("GET", "/dashboard", "", &[("cookie", forged.as_str())])
            .await;
        assert_eq!(r.status, 401);
        let raw_key = format!("__Host-feedback_session={reader}");
        let r = s
            .browser("GET", "/dashboard", "", &[("cookie", raw_key.as_str())])
            .await;
        assert_eq!(r.status, 401);
        let session = cookie.split(';').next().unwrap().to_owned();
        let with = [("cookie", session.as_str())];
        let r = s
            .browser(
                "GET",
                &format!("/dashboard?lang=ur&{period}&granularity=day&rep_id=&channel=&location="),
                "",
                &with,
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert!(r.text.contains("dir=\"rtl\"") && r.text.contains("ڈیش بورڈ"));
        // The headline figure is the API's, and the comments are listed.
        let csat = format!(
            "data-figure=\"csat\">{:.1}<",
            summary_csat["percent"].as_f64().unwrap()
        );
        assert!(r.text.contains(&csat), "{csat}");
        assert!(r.text.contains("Slow and rude") && r.text.contains("<svg"));
        // Without responses:read the page says so instead of listing them.
        let r = s
            .browser(
                "POST",
                "/dashboard/sign-in",
                &format!("key={scores_only}"),
                &same,
            )
            .await;
        let only = r.headers["set-cookie"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        let r = s
            .browser(
                "GET",
                &format!("/dashboard?{period}"),
                "",
                &[("cookie", only.as_str())],
            )
            .await;
        assert!(r.text.contains("responses:read") && !r.text.contains("Slow and rude"));
        let r = s
            .browser("GET", "/dashboard?from=2026-13-01", "", &with)
            .await;
        assert_eq!(r.status, 400);
        // Signing out clears the cookie; revoking the key ends the session.
        let r = s.browser("POST", "/dashboard/sign-out", "", &with).await;
        assert_eq!(r.status, 303);
        assert!(
            r.headers["set-cookie"]
                .to_str()
                .unwrap()
                .contains("Max-Age=0")
        );
        let id = key_id(&s.get("/v1/keys", &s.admin).await.body, "responses:read");
        let r = s
            .call("DELETE", &format!("/v1/keys/{id}"), Some(&s.admin), None)
            .await;
        assert_eq!(r.status, 204);
        let r = s.browser("GET", "/dashboard", "", &with).await;
        assert_eq!(r.status, 401);
        assert!(r.text.contains("name=\"key\""));
        assert_eq!(answered.len(), 14);
    }

    pub async fn contacts_are_invited_once_per_period(s: &Server) {
        let ask = |body: Value| async move {
            s.call("POST", "/v1/invitations", Some(&s.admin), Some(body))
                .await
        };
        let sms = invite(
            s,
            &s.admin,
            json!({"order_id": "T-1", "channel": "sms", "customer_ref": "+923001111111"}),
        )
        .await;
        // The same customer by e-mail: the SMS link again, and until when.
        let r =
            ask(json!({"order_id": "T-2", "channel": "email", "customer_ref": "+923001111111"}))
                .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["status"], "throttled");
        assert_eq!(r.body["code"], sms["code"]);
        let created: DateTime<Utc> = sms["created_at"].as_str().unwrap().parse().unwrap();
        let until: DateTime<Utc> = r.body["throttled_until"].as_str().unwrap().parse().unwrap();
        assert_eq!(until, created + Duration::days(30));
        // Forced: a new link.
        let r = ask(json!({"order_id": "T-3", "channel": "email", "customer_ref": "+923001111111", "force": true})).await;
        assert_eq!(
            (r.status, r.body["status"].as_str()),
            (201, Some("created"))
        );
        assert_ne!(r.body["code"], sms["code"]);
        let forced = r.body["code"].as_str().unwrap().to_owned();
        // Answered: no link to hand back, only until when.
        let r = answer_from(s, &forced, "198.51.100.1", json!({"score": 5}), None).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let r = ask(json!({"order_id": "T-4", "channel": "sms", "customer_ref": "+923001111111"}))
            .await;
        assert_eq!(
            (r.status, r.body["status"].as_str()),
            (200, Some("throttled"))
        );
        assert_eq!(
            (r.body["code"].as_str(), r.body["url"].as_str()),
            (None, None)
        );
        assert!(r.body["throttled_until"].is_string() && r.body["last_invited_at"].is_string());
        let r = ask(json!({"order_id": "T-5", "channel": "sms", "force": "yes"})).await;
        assert_eq!(
            (r.status, r.body["errors"][0]["field"].as_str()),
            (400, Some("force"))
        );

        // A batch reports per item: one link for the contact.
        let r = ask(json!({"invitations": [
            {"order_id": "B-1", "channel": "sms", "customer_ref": "cust-b"},
            {"order_id": "B-2", "channel": "email", "customer_ref": "cust-b"},
            {"order_id": "B-3", "channel": "sms", "customer_ref": "cust-other"}
        ]}))
        .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let items = r.body["invitations"].as_array().unwrap();
        let statuses: Vec<&str> = items
            .iter()
            .map(|i| i["status"].as_str().unwrap())
            .collect();
        assert_eq!(
            statuses.iter().filter(|s| **s == "created").count(),
            2,
            "{statuses:?}"
        );
        assert_eq!(statuses.iter().filter(|s| **s == "throttled").count(), 1);
        assert_eq!(items[0]["code"], items[1]["code"], "one link for cust-b");

        // Concurrent requests for one contact: one link.
        let replies = futures_join(8, |i| {
            ask(json!({"order_id": format!("C-{i}"), "channel": if i % 2 == 0 { "sms" } else { "email" }, "customer_ref": "cust-c"}))
        })
        .await;
        let codes: std::collections::HashSet<&str> = replies
            .iter()
            .map(|r| r.body["code"].as_str().unwrap())
            .collect();
        assert_eq!(
            codes.len(),
            1,
            "{:?}",
            replies.iter().map(|r| &r.body).collect::<Vec<_>>()
        );
        assert_eq!(replies.iter().filter(|r| r.status == 201).count(), 1);

        // After the period: a new link. (The first invitation is dated 31
        // days back, with its throttle, through the store.)
        let secret = s.store.secret().await.unwrap();
        let old = month_old_invitation(s, "P-1", Some("cust-p"));
        let rule = feedback_store::ContactRule {
            key: secret.contact("cust-p"),
            until: old.created_at + Duration::days(30),
            force: false,
        };
        s.store.create_invitation(&old, Some(&rule)).await.unwrap();
        let r = ask(json!({"order_id": "P-2", "channel": "email", "customer_ref": "cust-p"})).await;
        assert_eq!(
            (r.status, r.body["status"].as_str()),
            (201, Some("created"))
        );

        // Erasing the customer forgets their throttle; 0 days turns it off.
        let r = s
            .call("DELETE", "/v1/customers/cust-c", Some(&s.admin), None)
            .await;
        assert_eq!(r.status, 200);
        let r =
            ask(json!({"order_id": "C-after", "channel": "sms", "customer_ref": "cust-c"})).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let settings = |body: Value| async move {
            s.call("PUT", "/v1/settings", Some(&s.admin), Some(body))
                .await
        };
        assert_eq!(
            settings(json!({"contact_throttle_days": 0})).await.status,
            200
        );
        let r = ask(json!({"order_id": "C-off", "channel": "sms", "customer_ref": "cust-c"})).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let r = settings(json!({"contact_throttle_days": 400})).await;
        assert_eq!(
            (r.status, r.body["errors"][0]["field"].as_str()),
            (400, Some("contact_throttle_days"))
        );
    }

    pub async fn a_reusable_link_counts_every_customer_once(s: &Server) {
        let admin = s.admin.clone();
        let r = s
            .call(
                "PUT",
                "/v1/reps/zara",
                Some(&admin),
                Some(json!({"display_name": "Zara"})),
            )
            .await;
        assert_eq!(r.status, 201);
        let r = s
            .call(
                "POST",
                "/v1/links",
                Some(&admin),
                Some(json!({"rep_id": "zara", "location": "dha", "channel": "in_store", "label": "Till 2", "daily_cap": 100})),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let code = r.body["code"].as_str().unwrap().to_owned();
        assert_eq!(r.body["url"], format!("{}/r/{code}", s.base));
        assert_eq!(
            (r.body["active"].as_bool(), r.body["label"].as_str()),
            (Some(true), Some("Till 2"))
        );
        for (body, field) in [
            (json!({"channel": "sms"}), "channel"),
            (json!({"daily_cap": 0}), "daily_cap"),
            (json!({"expires_at": "2020-01-01T00:00:00Z"}), "expires_at"),
            (json!({"colour": "red"}), "colour"),
        ] {
            let r = s.call("POST", "/v1/links", Some(&admin), Some(body)).await;
            assert_eq!(
                (r.status, r.body["errors"][0]["field"].as_str()),
                (400, Some(field)),
                "{}",
                r.body
            );
        }
        let r = s
            .call(
                "POST",
                "/v1/links",
                Some(&admin),
                Some(json!({"rep_id": "nobody"})),
            )
            .await;
        assert_eq!(r.status, 422);

        // The page reads as for an invitation, with its own hidden fields.
        let page = s.browser("GET", &format!("/r/{code}"), "", &[]).await;
        assert_eq!(page.status, 200);
        assert!(page.text.contains("How was your experience with") && page.text.contains("Zara"));
        assert!(page.text.contains("name=\"rid\"") && page.text.contains("name=\"website\""));
        let r = s.call("GET", &format!("/r/{code}.json"), None, None).await;
        assert_eq!(
            (r.body["reusable"].as_bool(), r.body["answered"].as_bool()),
            (Some(true), Some(false))
        );

        // Twenty customers from twenty addresses: twenty responses.
        for i in 0..20 {
            let r = answer_from(
                s,
                &code,
                &format!("198.51.100.{i}"),
                json!({"score": 1 + i % 5}),
                None,
            )
            .await;
            assert_eq!(r.status, 201, "{}", r.body);
        }
        assert_eq!(counted(s, "rep_id=zara").await, (20, 0));
        assert_eq!(counted(s, "location=dha").await, (20, 0));
        let r = s
            .get(
                &format!("/v1/scores?{}&channel=in_store", recent(s)),
                &admin,
            )
            .await;
        assert_eq!(
            r.body["summary"]["invitations"], 0,
            "a link is no invitation"
        );
        let r = s
            .get(&format!("/v1/responses?{}&rep_id=zara", recent(s)), &admin)
            .await;
        let first = &r.body["responses"][0];
        assert_eq!(
            (first["via"].as_str(), first["channel"].as_str()),
            (Some("link"), Some("in_store"))
        );
        assert_eq!(first["client"].as_str().map(str::len), Some(16), "a hash");
        assert!(!r.text.contains("198.51.100."), "never the address");

        // One address five times in a day: one counted, four refused.
        let mut statuses = Vec::new();
        for i in 0..5 {
            let key = format!("k{i}");
            let r = answer_from(s, &code, "203.0.113.5", json!({"score": 4}), Some(&key)).await;
            if r.status == 429 {
                assert_eq!(r.body["type"], "urn:feedback:problem:rate-limited");
                let wait: u64 = r.header("retry-after").unwrap().parse().unwrap();
                assert!((1..=86_400).contains(&wait));
            }
            statuses.push(r.status);
        }
        assert_eq!(statuses, [201, 429, 429, 429, 429]);
        // The same answer sent twice (one Idempotency-Key) is one answer.
        let again = answer_from(s, &code, "203.0.113.5", json!({"score": 4}), Some("k0")).await;
        assert_eq!(again.status, 200, "{}", again.body);
        assert_eq!(counted(s, "rep_id=zara").await, (21, 0));
        // A browser's second answer from that address gets a friendly page.
        let from = [("x-forwarded-for", "203.0.113.5")];
        let page = s.browser("GET", &format!("/r/{code}"), "", &from).await;
        let rid = page.text.split("name=\"rid\" value=\"").nth(1).unwrap();
        let rid = rid.split('"').next().unwrap().to_owned();
        let r = s
            .browser(
                "POST",
                &format!("/r/{code}"),
                &format!("score=5&rid={rid}"),
                &from,
            )
            .await;
        assert_eq!(r.status, 429);
        assert!(r.text.contains("you have already answered") && r.header("retry-after").is_some());

        // Listed, and disabled: 410 for the API and the page.
        let r = s.get("/v1/links", &admin).await;
        assert_eq!(r.body["links"][0]["code"], code.as_str());
        let patch = |body: Value| {
            let code = code.clone();
            async move {
                s.call(
                    "PATCH",
                    &format!("/v1/links/{code}"),
                    Some(&s.admin),
                    Some(body),
                )
                .await
            }
        };
        let r = patch(json!({"active": false})).await;
        assert_eq!((r.status, r.body["active"].as_bool()), (200, Some(false)));
        let r = answer_from(s, &code, "198.51.100.99", json!({"score": 5}), None).await;
        assert_eq!(
            (r.status, r.body["type"].as_str()),
            (410, Some("urn:feedback:problem:disabled"))
        );
        let page = s.browser("GET", &format!("/r/{code}"), "", &[]).await;
        assert!(page.status == 410 && page.text.contains("This link is no longer in use"));
        let r = patch(json!({"channel": "qr"})).await;
        assert_eq!(
            (r.status, r.body["errors"][0]["field"].as_str()),
            (400, Some("channel"))
        );
        let r = s
            .get(&format!("/v1/links/{code}/snippet?format=qr"), &admin)
            .await;
        assert!(r.status == 200 && r.text.contains("<svg"));

        // Renaming, deactivating and deleting the rep never moves a rating.
        for change in [
            json!({"display_name": "Zara B."}),
            json!({"display_name": "Zara B.", "active": false}),
        ] {
            let r = s
                .call("PUT", "/v1/reps/zara", Some(&admin), Some(change))
                .await;
            assert_eq!(r.status, 200);
            assert_eq!(counted(s, "rep_id=zara").await, (21, 0));
        }
        let r = s.call("DELETE", "/v1/reps/zara", Some(&admin), None).await;
        assert_eq!((r.status, r.body["active"].as_bool()), (200, Some(false)));
        assert!(r.body["archived_at"].is_string());
        assert_eq!(counted(s, "rep_id=zara").await, (21, 0));
        let r = s.get("/v1/reps/zara", &admin).await;
        assert_eq!(
            (r.status, r.body["display_name"].as_str()),
            (200, Some("Zara B."))
        );
        let r = s
            .call("DELETE", "/v1/reps/nobody", Some(&admin), None)
            .await;
        assert_eq!(r.status, 404);
    }

    pub async fn bots_are_refused_and_bursts_held_for_review(s: &Server) {
        let admin = s.admin.clone();
        let inv = invite(s, &admin, json!({"order_id": "H-1", "channel": "sms"})).await;
        let code = inv["code"].as_str().unwrap().to_owned();
        let path = format!("/r/{code}");
        // The honeypot, filled: a friendly refusal, nothing recorded.
        let r = s
            .browser("POST", &path, "score=5&website=http%3A%2F%2Fspam.test", &[])
            .await;
        assert_eq!(r.status, 400);
        assert!(
            r.text.contains("We could not accept this answer"),
            "{}",
            r.text
        );
        // Sent the moment it was shown: the form again, with a note.
        let token = s
            .store
            .secret()
            .await
            .unwrap()
            .form_token(&code, "", Utc::now());
        let r = s
            .browser("POST", &path, &format!("score=5&t={token}"), &[])
            .await;
        assert_eq!(r.status, 400);
        assert!(r.text.contains("That was quick!") && r.text.contains("name=\"t\""));
        // A form post without a genuine render time, for JSON: field t.
        let r = s
            .send(
                "POST",
                &path,
                None,
                "application/x-www-form-urlencoded",
                b"score=5&t=1.abc".to_vec(),
            )
            .await;
        assert_eq!(
            (r.status, r.body["errors"][0]["rule"].as_str()),
            (400, Some("too_fast"))
        );
        let stored = s.get(&format!("/v1/invitations/{code}"), &admin).await;
        assert!(stored.body["response"].is_null(), "nothing was recorded");
        // Taking a moment, as people do: recorded.
        let r = s.browser("POST", &path, "score=5", &[]).await;
        assert_eq!(r.status, 201, "{}", r.text);

        // A burst through one link: the answers beyond the limit are kept,
        // flagged, and left out of the scores until released.
        let r = s
            .call(
                "PUT",
                "/v1/settings",
                Some(&admin),
                Some(json!({"abuse": {"burst_per_link": 3, "per_address_daily": 0}})),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["abuse"]["burst_per_link"], 3);
        let link = s
            .call(
                "POST",
                "/v1/links",
                Some(&admin),
                Some(json!({"channel": "web"})),
            )
            .await;
        let link = link.body["code"].as_str().unwrap().to_owned();
        let before = counted(s, "").await;
        // The seven answers must fall in one burst window (fixed, ten
        // minutes): not in its last seconds.
        let rules = feedback_core::abuse::AbuseRules::default();
        let (_, ends) = rules.burst_window(chrono::Utc::now());
        let left = ends - chrono::Utc::now();
        if left < chrono::Duration::seconds(30) {
            tokio::time::sleep(
                left.to_std().unwrap_or_default() + std::time::Duration::from_secs(1),
            )
            .await;
        }
        for i in 0..7 {
            let r = answer_from(s, &link, &format!("192.0.2.{i}"), json!({"score": 1}), None).await;
            assert_eq!(r.status, 201, "{}", r.body);
        }
        assert_eq!(counted(s, "").await, (before.0 + 3, 4));
        let session = s.dashboard_session(&admin).await;
        let page = s
            .browser("GET", "/dashboard", "", &[("cookie", &session)])
            .await;
        assert_eq!(page.status, 200);
        assert!(
            page.text
                .contains("<bdi>4</bdi> answers from a burst are held back"),
            "the dashboard says what the figures leave out"
        );
        let list = s
            .get(&format!("/v1/responses?{}&flagged=true", recent(s)), &admin)
            .await;
        let flagged = list.body["responses"].as_array().unwrap();
        assert_eq!(flagged.len(), 4);
        assert!(
            flagged
                .iter()
                .all(|r| r["flagged"]["reason"] == "link_burst")
        );
        let normal = s.get(&format!("/v1/responses?{}", recent(s)), &admin).await;
        let normal = normal.body["responses"].as_array().unwrap();
        assert!(normal.iter().all(|r| r["flagged"].is_null()));
        let open = || async move {
            let r = s.get("/v1/follow-ups?status=open", &s.admin).await;
            r.body["follow_ups"].as_array().unwrap().len()
        };
        let open_before = open().await;

        // Released: counted exactly once, however often it is sent.
        let id = flagged[0]["id"].as_str().unwrap().to_owned();
        let reviewer = s.key(&["responses:write"]).await;
        let reader = s.key(&["scores:read"]).await;
        let release = |key: String, flagged: bool| {
            let path = format!("/v1/responses/{id}");
            async move {
                s.call(
                    "PATCH",
                    &path,
                    Some(&key),
                    Some(json!({ "flagged": flagged })),
                )
                .await
            }
        };
        assert_eq!(release(reader, false).await.status, 403);
        let (a, b) = tokio::join!(
            release(reviewer.clone(), false),
            release(reviewer.clone(), false)
        );
        assert_eq!((a.status, b.status), (200, 200), "{} {}", a.body, b.body);
        assert!(a.body["flagged"].is_null());
        assert_eq!(counted(s, "").await, (before.0 + 4, 3));
        assert_eq!(release(reviewer.clone(), false).await.status, 200);
        assert_eq!(counted(s, "").await, (before.0 + 4, 3));
        assert_eq!(
            open().await,
            open_before + 1,
            "unhappy, released: a call is due"
        );
        let r = release(reviewer.clone(), true).await;
        assert_eq!(
            (r.status, r.body["errors"][0]["field"].as_str()),
            (400, Some("flagged"))
        );
        let r = s
            .call(
                "PATCH",
                &format!("/v1/responses/{link}-nothere"),
                Some(&reviewer),
                Some(json!({"flagged": false})),
            )
            .await;
        assert_eq!(r.status, 404);
    }
}

/// The id of the key whose scopes include `scope`, from a `GET /v1/keys`.
fn key_id(keys: &Value, scope: &str) -> String {
    keys["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["scopes"].as_array().unwrap().iter().any(|s| s == scope))
        .and_then(|k| k["id"].as_str())
        .unwrap()
        .to_owned()
}

/// Runs `n` requests at once and collects their replies.
async fn futures_join<'a, F, Fut>(n: usize, make: F) -> Vec<feedback_e2e::Reply>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = feedback_e2e::Reply> + 'a,
{
    let mut pending: Vec<_> = (0..n).map(|i| Box::pin(make(i))).collect();
    let mut out = Vec::new();
    // Poll all together on this task: they overlap on the wire.
    while !pending.is_empty() {
        let (reply, _, rest) = select_all(pending).await;
        out.push(reply);
        pending = rest;
    }
    out
}

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// The first of `futures` to finish, with the rest.
async fn select_all<F: Future + Unpin>(mut futures: Vec<F>) -> (F::Output, usize, Vec<F>) {
    std::future::poll_fn(move |cx: &mut Context<'_>| {
        for i in 0..futures.len() {
            if let Poll::Ready(out) = Pin::new(&mut futures[i]).poll(cx) {
                let rest = std::mem::take(&mut futures)
                    .into_iter()
                    .enumerate()
                    .filter(|(j, _)| *j != i)
                    .map(|(_, f)| f)
                    .collect();
                return Poll::Ready((out, i, rest));
            }
        }
        Poll::Pending
    })
    .await
}

feedback_e2e::suite!([sqlite, dynamo]:
    walkthrough_of_every_route,
    auth_failures_are_401_and_403,
    bad_input_gets_its_problem,
    expired_links_and_closed_windows,
    concurrent_submits_over_http_count_once,
    customer_pages_answer_with_the_right_status,
    snippets_for_email_receipts_sms_and_qr,
    public_routes_are_rate_limited_per_code,
    follow_up_workflow,
    responses_export_as_csv,
    erasure_and_retention,
    webhooks_are_signed_retried_and_deduplicated,
    a_slow_receiver_never_holds_up_a_rating,
    insights_and_dashboard,
    contacts_are_invited_once_per_period,
    a_reusable_link_counts_every_customer_once,
    bots_are_refused_and_bursts_held_for_review,
);

// The cases again on the functions as deployed (each on its own client,
// behind the emulated gateway), holding every DynamoDB call to the
// function's IAM policy in the template: every case but the local server's
// own rate limits (in AWS the gateway's route throttles do that job) and
// the two whose webhook receivers listen on http loopback, which the
// functions refuse in AWS (tests/security.rs checks the notifier's
// deliveries instead).
feedback_e2e::suite!(gateway:
    walkthrough_of_every_route,
    auth_failures_are_401_and_403,
    bad_input_gets_its_problem,
    expired_links_and_closed_windows,
    concurrent_submits_over_http_count_once,
    customer_pages_answer_with_the_right_status,
    snippets_for_email_receipts_sms_and_qr,
    follow_up_workflow,
    responses_export_as_csv,
    erasure_and_retention,
    insights_and_dashboard,
    contacts_are_invited_once_per_period,
    a_reusable_link_counts_every_customer_once,
    bots_are_refused_and_bursts_held_for_review,
);

/// A store that cannot be reached is a 503 with Retry-After, never a 500.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_store_is_503_with_retry_after() {
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", dead.local_addr().unwrap());
    drop(dead);
    let base = feedback_e2e::serve_on_a_dead_store(endpoint).await;
    let response = reqwest::Client::new()
        .post(format!("{base}/r/AAAAAAAAAAAA"))
        .json(&json!({"score": 5}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 503);
    assert_eq!(
        response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("1")
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["type"], "urn:feedback:problem:unavailable");
}
