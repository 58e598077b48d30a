//! The walkthrough a business follows: every route once.

use crate::*;

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
    let r = s
        .call(
            "POST",
            &format!("/r/{code}"),
            None,
            Some(json!({"score": 2, "comment": urdu, "answers": {"speed": 2, "resolved": false}})),
        )
        .await;
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
            &format!("score=5&speed=5&resolved=true&comment=Sorted+it+out&edit_token={edit_token}"),
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
