//! The invitations the product sends: the send queue, changes guarded by
//! the revision read, the suppression list, and erasure.

use crate::*;
use feedback_core::CustomerRef;
use feedback_core::sending::{
    Cancel, Phone, Recipient, Sending, Status, Suppression, TAKE_TIMEOUT,
};

/// An invitation for `order` whose first message is due at `due`.
async fn queued(f: &Fixture, order: &str, due: DateTime<Utc>) -> Invitation {
    let phone = Phone::parse("p", "+923001234567").unwrap();
    let invitation = Invitation {
        sending: Some(Sending::scheduled(Recipient::Phone(phone), "h".into(), due)),
        ..f.invitation(Invite {
            order,
            customer: Some("cust-1"),
            ..Invite::default()
        })
    };
    match f.store.create_invitation(&invitation, None).await.unwrap() {
        InvitationOutcome::Created(inv) => inv,
        other => panic!("expected a new invitation, got {other:?}"),
    }
}

fn orders(invitations: &[Invitation]) -> Vec<String> {
    invitations.iter().map(|i| i.order_id.to_string()).collect()
}

pub async fn sends_come_due_in_order_and_change_only_from_the_state_read(f: &Fixture) {
    let t0 = t(T0);
    let late = queued(f, "late", t0 + Duration::hours(2)).await;
    let soon = queued(f, "soon", t0).await;
    f.store
        .create_invitation(
            &f.invitation(Invite {
                order: "by-hand",
                ..Invite::default()
            }),
            None,
        )
        .await
        .unwrap();
    let due = |at: DateTime<Utc>| async move { f.store.due_sends(at, 10).await.unwrap() };
    assert_eq!(
        orders(&due(t0 - Duration::seconds(1)).await),
        Vec::<String>::new()
    );
    assert_eq!(orders(&due(t0).await), ["soon"]);
    assert_eq!(
        orders(&due(t0 + Duration::hours(3)).await),
        ["soon", "late"]
    );
    assert_eq!(
        f.store
            .due_sends(t0 + Duration::hours(3), 1)
            .await
            .unwrap()
            .len(),
        1
    );

    // Ten senders take the same message at once: one wins.
    let first = soon.sending.clone().unwrap();
    let attempts = (0..10).map(|_| {
        let (store, code, first) = (f.store.clone(), soon.code.clone(), first.clone());
        tokio::spawn(async move {
            let taken = first.taken(t0);
            store.update_sending(&code, &first, &taken).await
        })
    });
    let mut won = 0;
    for attempt in attempts.collect::<Vec<_>>() {
        match attempt.await.unwrap() {
            Ok(()) => won += 1,
            Err(StoreError::Conflict(_)) => {}
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(won, 1);
    let taken = first.taken(t0);
    let stored = f.store.get_invitation(&soon.code).await.unwrap().unwrap();
    assert_eq!(stored.sending.as_ref(), Some(&taken));
    // While held it waits in the queue until its sender counts as gone.
    assert_eq!(
        orders(&due(t0 + Duration::minutes(1)).await),
        Vec::<String>::new()
    );
    assert_eq!(orders(&due(t0 + TAKE_TIMEOUT).await), ["soon"]);
    // A stale state is refused; the right one moves it out of the queue.
    let sent = taken.sent(t0, None);
    assert!(matches!(
        f.store.update_sending(&soon.code, &first, &sent).await,
        Err(StoreError::Conflict(_))
    ));
    f.store
        .update_sending(&soon.code, &taken, &sent)
        .await
        .unwrap();
    let stored = f.store.get_invitation(&soon.code).await.unwrap().unwrap();
    let stored = stored.sending.unwrap();
    assert_eq!((stored.status, stored.recipient), (Status::Sent, None));
    assert_eq!(orders(&due(t0 + Duration::days(30)).await), ["late"]);
    // A retry moves it to its new time.
    let later = late.sending.clone().unwrap();
    let retry = later.not_sent(t0, "throttled", true);
    f.store
        .update_sending(&late.code, &later, &retry)
        .await
        .unwrap();
    assert_eq!(orders(&due(t0 + Duration::minutes(1)).await), ["late"]);
}

pub async fn opt_outs_are_kept_and_erasure_drops_what_was_to_be_sent(f: &Fixture) {
    let at = t(T0);
    assert!(f.store.suppression("h1").await.unwrap().is_none());
    f.store
        .suppress("h1", Suppression::OptedOut, at)
        .await
        .unwrap();
    f.store
        .suppress("h1", Suppression::Bounced, at + Duration::hours(1))
        .await
        .unwrap();
    assert!(f.store.suppression("h1").await.unwrap().is_some());
    assert!(f.store.suppression("h2").await.unwrap().is_none());
    // The first reason stays; each reason reads back as stored.
    assert_eq!(
        f.store.suppression("h1").await.unwrap(),
        Some(Suppression::OptedOut)
    );
    f.store
        .suppress("h3", Suppression::Bounced, at)
        .await
        .unwrap();
    assert_eq!(
        f.store.suppression("h3").await.unwrap(),
        Some(Suppression::Bounced)
    );

    let inv = queued(f, "erased", at + Duration::hours(1)).await;
    let customer = CustomerRef::parse("c", "cust-1").unwrap();
    let erased = f.store.erase_customer(&customer, "contact").await.unwrap();
    assert_eq!(erased.invitations, 1);
    let stored = f.store.get_invitation(&inv.code).await.unwrap().unwrap();
    let sending = stored.sending.unwrap();
    assert_eq!(
        (
            sending.status,
            sending.cancelled,
            sending.recipient,
            sending.due_at
        ),
        (Status::Cancelled, Some(Cancel::Erased), None, None)
    );
    assert!(
        f.store
            .due_sends(at + Duration::days(1), 10)
            .await
            .unwrap()
            .is_empty()
    );
    // Again: nothing left to drop.
    let again = f.store.erase_customer(&customer, "contact").await.unwrap();
    assert_eq!(again.invitations, 0);
}
