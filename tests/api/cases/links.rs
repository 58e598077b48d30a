//! Reusable links, bots and bursts.

use crate::*;

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
        tokio::time::sleep(left.to_std().unwrap_or_default() + std::time::Duration::from_secs(1))
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
