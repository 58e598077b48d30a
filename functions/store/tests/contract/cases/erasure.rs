//! Erasure: personal data goes, counts stay, deliveries are scrubbed.

use crate::*;

pub async fn erasure_keeps_the_counts_and_is_idempotent(f: &Fixture) {
    let at = t(T0) + Duration::hours(1);
    let mut codes = Vec::new();
    for (i, (customer, comment)) in [
        ("+923001234567", Some("کمرہ ٹھنڈا تھا")),
        ("+923001234567", None),
        ("cust-2", Some("fine")),
    ]
    .into_iter()
    .enumerate()
    {
        let inv = f
            .invite(Invite {
                order: &format!("order-{i}"),
                customer: Some(customer),
                ..Invite::default()
            })
            .await;
        let r = f.answer(&inv, 2, comment, at);
        f.store
            .record_response(&r, at, &rules(), &[])
            .await
            .unwrap();
        codes.push(inv.code);
    }
    let before = f.rollup(&Slice::All, "2026-03-10", "2026-03-10").await;
    let customer = feedback_core::CustomerRef::parse("c", "+923001234567").unwrap();
    let erased = f.store.erase_customer(&customer, "contact").await.unwrap();
    assert_eq!((erased.invitations, erased.comments), (2, 1));
    for code in &codes[..2] {
        let inv = f.store.get_invitation(code).await.unwrap().unwrap();
        assert_eq!(inv.customer_ref, None);
        let r = f.store.get_response(code).await.unwrap().unwrap();
        assert_eq!((r.comment, r.score), (None, 2));
    }
    // Someone else's data and every count stay.
    let other = f.store.get_response(&codes[2]).await.unwrap().unwrap();
    assert_eq!(other.comment.as_deref(), Some("fine"));
    assert_eq!(
        f.rollup(&Slice::All, "2026-03-10", "2026-03-10").await,
        before
    );
    let commented = f
        .all_responses(
            &ResponseFilter {
                has_comment: Some(true),
                ..Default::default()
            },
            10,
        )
        .await;
    assert_eq!(commented.len(), 1);
    let again = f.store.erase_customer(&customer, "contact").await.unwrap();
    assert_eq!((again.invitations, again.comments), (0, 0));
    // Retention erases one invitation's data the same way.
    let erased = f.store.erase_invitation(&codes[2]).await.unwrap();
    assert_eq!((erased.invitations, erased.comments), (1, 1));
    assert_eq!(
        f.store.erase_invitation(&codes[2]).await.unwrap(),
        feedback_store::Erased::default()
    );
}

pub async fn an_erasure_racing_a_release_stays_erased(f: &Fixture) {
    let at = t(T0) + Duration::hours(1);
    let flag = Flag {
        reason: FlagReason::AddressBurst,
        at,
    };
    for round in 0..12 {
        let customer = format!("racer-{round}");
        let inv = f
            .invite(Invite {
                order: &format!("race-{round}"),
                customer: Some(&customer),
                ..Invite::default()
            })
            .await;
        let held = Response {
            flagged: Some(flag),
            ..f.answer(&inv, 1, Some("private words"), at)
        };
        f.store
            .record_response(&held, at, &rules(), &[])
            .await
            .unwrap();
        let (release, erase) = {
            let (a, b) = (Arc::clone(&f.store), Arc::clone(&f.store));
            let (code, id) = (inv.code.clone(), held.id.clone());
            let customer = feedback_core::CustomerRef::parse("c", &customer).unwrap();
            tokio::join!(
                tokio::spawn(async move { a.release_response(&code, &id, &rules()).await }),
                tokio::spawn(async move { b.erase_customer(&customer, "contact").await }),
            )
        };
        release.unwrap().unwrap();
        erase.unwrap().unwrap();
        let stored = f.store.get_response(&inv.code).await.unwrap().unwrap();
        assert_eq!(
            (stored.comment, stored.flagged),
            (None, None),
            "round {round}: the release wrote the erased comment back"
        );
    }
}

pub async fn erasure_reaches_stored_deliveries(f: &Fixture) {
    use feedback_core::followup::FollowUpRules;
    use feedback_core::webhook::{Change, Delivery, EventType, Webhook};
    let at = t(T0) + Duration::hours(1);
    let webhook = Webhook::generate(
        "https://hooks.example.com/".into(),
        vec![EventType::ResponseCreated],
        at,
    )
    .unwrap();
    f.store.create_webhook(&webhook).await.unwrap();
    let mut answered = Vec::new();
    for (order, customer) in [("d-1", "to-erase"), ("d-2", "to-keep")] {
        let inv = f
            .invite(Invite {
                order,
                customer: Some(customer),
                ..Invite::default()
            })
            .await;
        let r = f.answer(&inv, 4, Some("words of one customer"), at);
        f.store
            .record_response(&r, at, &rules(), &[])
            .await
            .unwrap();
        let change = Change::Response {
            before: None,
            after: Box::new(r.clone()),
        };
        let event = change.events(&FollowUpRules::default()).remove(0);
        let delivery = Delivery::new(&webhook, event, at);
        assert!(f.store.add_delivery(&delivery).await.unwrap());
        answered.push((inv.code, delivery));
    }
    let customer = feedback_core::CustomerRef::parse("c", "to-erase").unwrap();
    f.store.erase_customer(&customer, "contact").await.unwrap();
    let stored = f.store.list_deliveries(&webhook.id, 10).await.unwrap();
    let of = |code: &Code| {
        stored
            .iter()
            .find(|d| d.event.data["response"]["code"] == code.as_str())
            .unwrap()
            .clone()
    };
    let (erased, before) = (&answered[0].0, &answered[0].1);
    let scrubbed = of(erased);
    assert!(scrubbed.event.data["response"]["comment"].is_null());
    assert_eq!(scrubbed.revision, before.revision + 1);
    // A sender holding the delivery as it was cannot write it back.
    let mut stale = before.clone();
    stale.revision += 1;
    assert!(matches!(
        f.store.update_delivery(before, &stale).await,
        Err(StoreError::Conflict(_))
    ));
    let kept = of(&answered[1].0);
    assert_eq!(
        kept.event.data["response"]["comment"],
        "words of one customer"
    );
    assert_eq!(kept.revision, answered[1].1.revision);
}
