//! Scores, leaderboard, drivers and the dashboard.

use crate::*;

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
    put_reps(s, &writer, &[("ayesha", "Ayesha Khan"), ("bilal", "Bilal")]).await;
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
    let speed_answers = r.body["drivers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["question"] == "speed")
        .and_then(|d| d["count"].as_i64())
        .unwrap();
    assert!(speed_answers > 0);
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
    // Its drivers count the same answers as the API's.
    let speed = format!(
        "Speed</th><td><span class=\"muted\">not enough data (<bdi>{speed_answers}</bdi> answers)"
    );
    assert!(r.text.contains(&speed), "{speed}");
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
