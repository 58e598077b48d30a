//! The customer's side: pages, links that expire, snippets, limits, double taps.

use crate::*;

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
    assert!(r.status == 400 && r.text.contains("role=\"alert\"") && r.text.contains("kept text"));
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
