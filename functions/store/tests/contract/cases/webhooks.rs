//! Webhooks and their deliveries.

use crate::*;

pub async fn webhooks_and_their_deliveries(f: &Fixture) {
    use feedback_core::webhook::{
        Attempt, Backoff, Delivery, DeliveryState, Event, EventType, Webhook,
    };
    let s = &f.store;
    let now = Utc::now();
    let hook = |url: &str, at| {
        Webhook::generate(url.into(), vec![EventType::ResponseCreated], at).unwrap()
    };
    let (a, b) = (
        hook("https://a.example/h", now - Duration::minutes(2)),
        hook("https://b.example/h", now - Duration::minutes(1)),
    );
    s.create_webhook(&b).await.unwrap();
    s.create_webhook(&a).await.unwrap();
    assert_eq!(s.list_webhooks().await.unwrap(), [a.clone(), b.clone()]);

    let event = |n: i64| Event {
        id: format!("evt_{n}"),
        kind: EventType::ResponseCreated,
        created_at: now - Duration::seconds(100 - n),
        data: serde_json::json!({ "n": n }),
    };
    let first = Delivery::new(&a, event(1), now);
    assert!(s.add_delivery(&first).await.unwrap());
    assert!(
        !s.add_delivery(&Delivery::new(&a, event(1), now))
            .await
            .unwrap(),
        "the same event to the same webhook is stored once"
    );
    let second = Delivery::new(&a, event(2), now);
    assert!(s.add_delivery(&second).await.unwrap());
    assert!(
        s.add_delivery(&Delivery::new(&b, event(1), now))
            .await
            .unwrap()
    );

    // Leased for their first attempt: not yet due for the sweep.
    assert!(s.due_deliveries(now, 10).await.unwrap().is_empty());
    let failed = first.after(
        Attempt {
            at: now,
            status: Some(500),
            error: None,
            duration_ms: 12,
        },
        &Backoff::DEFAULT,
        0.0,
    );
    s.update_delivery(&first, &failed).await.unwrap();
    assert!(matches!(
        s.update_delivery(&first, &failed).await,
        Err(StoreError::Conflict(_))
    ));
    let retry_at = failed.next_attempt_at.unwrap();
    assert!(
        s.due_deliveries(retry_at - Duration::seconds(1), 10)
            .await
            .unwrap()
            .is_empty()
    );
    let due = s.due_deliveries(retry_at, 10).await.unwrap();
    assert_eq!(due, std::slice::from_ref(&failed));

    let delivered = failed.after(
        Attempt {
            at: retry_at,
            status: Some(204),
            error: None,
            duration_ms: 8,
        },
        &Backoff::DEFAULT,
        0.0,
    );
    s.update_delivery(&failed, &delivered).await.unwrap();
    assert_eq!(delivered.state, DeliveryState::Delivered);
    assert!(
        s.due_deliveries(retry_at + Duration::days(1), 10)
            .await
            .unwrap()
            .len()
            == 2
    );

    let listed = s.list_deliveries(&a.id, 10).await.unwrap();
    assert_eq!(listed, [second.clone(), delivered], "newest event first");
    assert_eq!(s.list_deliveries(&a.id, 1).await.unwrap(), [second]);

    assert!(s.delete_webhook(&a.id).await.unwrap());
    assert!(!s.delete_webhook(&a.id).await.unwrap());
    assert_eq!(s.list_webhooks().await.unwrap(), [b]);
}
