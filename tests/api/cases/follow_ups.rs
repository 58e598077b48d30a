//! Following up unhappy customers.

use crate::*;

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

/// The scores split the follow-ups awaiting first contact into those still
/// inside their SLA and those past it, per day: an unhappy answer from two
/// days ago is overdue (24 h SLA), this morning's is not yet due, and one
/// contacted is neither.
pub async fn waiting_follow_ups_are_split_into_due_and_overdue(s: &Server) {
    let reader = s.key(&["scores:read"]).await;
    let rules = feedback_core::submission::SubmitRules {
        edit_window: Duration::hours(24),
        follow_up: feedback_core::FollowUpRules::default(),
    };
    let now = Utc::now();
    let mut opened = Vec::new();
    for (order, at) in [
        ("W-1", now - Duration::days(2)),
        ("W-2", now - Duration::days(2)),
        ("W-3", now - Duration::minutes(10)),
    ] {
        let invitation = feedback_core::model::NewInvitation {
            order_id: Some(order.into()),
            channel: Some("sms".into()),
            ..Default::default()
        }
        .validate(feedback_core::SurveyKind::Csat)
        .unwrap()
        .issue(
            feedback_core::Code::generate().unwrap(),
            at,
            Duration::days(30),
            &s.tenant.zone,
        );
        s.store.create_invitation(&invitation, None).await.unwrap();
        let answer = feedback_core::model::Answer {
            score: 1,
            answers: Default::default(),
            comment: None,
        };
        let response = feedback_core::Response::first(&invitation, answer, at, &s.tenant.zone);
        s.store
            .record_response(&response, at, &rules, &[])
            .await
            .unwrap();
        opened.push(response);
    }
    // One of the two old ones was called back.
    let first = s.store.get_follow_up(&opened[0].id).await.unwrap().unwrap();
    let contacted = first
        .patched(
            &feedback_core::followup::FollowUpPatch {
                status: Some("contacted".into()),
                ..Default::default()
            },
            now - Duration::days(1),
            None,
        )
        .unwrap();
    s.store.update_follow_up(&first, &contacted).await.unwrap();
    let today = today(s);
    let old_day = opened[0].day;
    let r = s
        .get(
            &format!(
                "/v1/scores?from={}&to={today}&granularity=day",
                today - Duration::days(3)
            ),
            &reader,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let f = &r.body["summary"]["follow_up"];
    assert_eq!(
        (
            f["opened"].as_i64(),
            f["contacted"].as_i64(),
            f["waiting"].as_i64(),
            f["overdue_now"].as_i64()
        ),
        (Some(3), Some(1), Some(1), Some(1)),
        "{}",
        r.body
    );
    let day = |d: NaiveDate| {
        r.body["series"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["start"] == d.to_string())
            .map(|b| {
                let f = &b["follow_up"];
                (f["waiting"].as_i64(), f["overdue_now"].as_i64())
            })
    };
    assert_eq!(day(old_day), Some((Some(0), Some(1))), "{}", r.body);
    assert_eq!(day(opened[2].day), Some((Some(1), Some(0))), "{}", r.body);
}
