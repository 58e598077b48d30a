//! Webhooks: signed, retried, deduplicated, never in a rating's way.

use crate::*;

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
