//! Each bad input answered with its problem.

use crate::*;

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
        submit(json!({"score": 5, "answers": {"speed": 7, "mood": "ok"}, "coment": "typo"})).await;
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
            "/v1/settings",
            Some(&admin),
            Some(json!({"sending": {"delay_minutes": 43201, "quiet_hours": {"start": "9pm"}, "reminder_days": 0, "when": 1}})),
        )
        .await;
    assert_eq!(
        (r.status, r.sorted_fields()),
        (
            400,
            vec![
                "sending.delay_minutes".to_owned(),
                "sending.quiet_hours.end".to_owned(),
                "sending.reminder_days".to_owned(),
                "sending.when".to_owned()
            ]
        )
    );
    // The sending rules in the tenant's zone: changed field by field,
    // quiet hours and the reminder turned off with null.
    let r = s
        .call(
            "PUT",
            "/v1/settings",
            Some(&admin),
            Some(json!({"sending": {"quiet_hours": {"start": "22:30", "end": "08:00"}, "reminder_days": 3}})),
        )
        .await;
    assert_eq!(
        (r.status, &r.body["sending"]),
        (
            200,
            &json!({"delay_minutes": 60, "quiet_hours": {"start": "22:30", "end": "08:00"}, "reminder_days": 3})
        )
    );
    let r = s
        .call(
            "PUT",
            "/v1/settings",
            Some(&admin),
            Some(json!({"sending": {"quiet_hours": null, "reminder_days": null}})),
        )
        .await;
    assert_eq!(
        &r.body["sending"],
        &json!({"delay_minutes": 60, "quiet_hours": null, "reminder_days": null})
    );
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
