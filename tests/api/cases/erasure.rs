//! Erasure and retention of personal data.

use crate::*;

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
