//! Invitation policies: one invitation per contact and period.

use crate::*;

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
        ask(json!({"order_id": "T-2", "channel": "email", "customer_ref": "+923001111111"})).await;
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
    let r =
        ask(json!({"order_id": "T-4", "channel": "sms", "customer_ref": "+923001111111"})).await;
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
    let r = ask(json!({"order_id": "C-after", "channel": "sms", "customer_ref": "cust-c"})).await;
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
