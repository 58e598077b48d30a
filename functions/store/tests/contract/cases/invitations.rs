//! Invitations: idempotent by order, one per contact and period.

use crate::*;

pub async fn invitation_is_idempotent_by_order_id(f: &Fixture) {
    let first = f.invite(Invite::default()).await;
    // Same order again, with another code: the first invitation comes back.
    let again = f.invitation(Invite {
        channel: "email",
        ..Invite::default()
    });
    assert_ne!(again.code, first.code);
    let outcome = f.store.create_invitation(&again, None).await.unwrap();
    assert_eq!(outcome, InvitationOutcome::Existing(first.clone()));
    assert_eq!(
        f.store.get_invitation(&first.code).await.unwrap(),
        Some(first.clone())
    );
    assert_eq!(f.store.get_invitation(&again.code).await.unwrap(), None);
    // Counted once, on its local day (06:00 UTC is 11:00 in Karachi).
    let all = f.rollup(&Slice::All, "2026-03-10", "2026-03-10").await;
    assert_eq!(all.invitations, 1);
    let by_channel = f
        .rollup(&Slice::Channel(Channel::Email), "2026-03-01", "2026-03-31")
        .await;
    assert_eq!(by_channel.invitations, 0);
}

pub async fn concurrent_invitations_for_one_order_make_one(f: &Fixture) {
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let store = Arc::clone(&f.store);
        let inv = f.invitation(Invite {
            order: "same-order",
            ..Invite::default()
        });
        tasks.spawn(async move { store.create_invitation(&inv, None).await.unwrap() });
    }
    let outcomes = tasks.join_all().await;
    let codes: HashSet<_> = outcomes
        .iter()
        .map(|o| o.invitation().code.clone())
        .collect();
    assert_eq!(codes.len(), 1);
    assert_eq!(
        outcomes
            .iter()
            .filter(|o| matches!(o, InvitationOutcome::Created(_)))
            .count(),
        1
    );
    assert_eq!(
        f.rollup(&Slice::All, "2026-03-10", "2026-03-10")
            .await
            .invitations,
        1
    );
}

pub async fn unknown_and_expired_invitations_are_refused(f: &Fixture) {
    let inv = f.invite(Invite::default()).await;
    let unknown = Invitation {
        code: Code::generate().unwrap(),
        ..inv.clone()
    };
    let at = t(T0);
    let err = f
        .store
        .record_response(&f.answer(&unknown, 3, None, at), at, &rules(), &[])
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err:?}");
    let late = inv.expires_at;
    let err = f
        .store
        .record_response(&f.answer(&inv, 3, None, late), late, &rules(), &[])
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Expired(when) if when == inv.expires_at),
        "{err:?}"
    );
    assert_eq!(
        f.rollup(&Slice::All, "2026-01-01", "2026-12-31")
            .await
            .responses(),
        0
    );
    assert_eq!(f.store.get_response(&inv.code).await.unwrap(), None);
    // One second before expiry is still in time.
    let in_time = inv.expires_at - Duration::seconds(1);
    f.store
        .record_response(&f.answer(&inv, 3, None, in_time), in_time, &rules(), &[])
        .await
        .unwrap();
}

pub async fn a_contact_is_invited_once_per_period_unless_forced(f: &Fixture) {
    let rule = |at: DateTime<Utc>, force: bool| ContactRule {
        key: "contact-k".into(),
        until: at + Duration::days(30),
        force,
    };
    let invite = |order: &'static str, channel: &'static str, at: DateTime<Utc>| {
        f.invitation(Invite {
            order,
            channel,
            customer: Some("+923001234567"),
            at,
            ..Invite::default()
        })
    };
    let at = t(T0);
    let sms = invite("o-sms", "sms", at);
    let first = f
        .store
        .create_invitation(&sms, Some(&rule(at, false)))
        .await
        .unwrap();
    assert_eq!(first, InvitationOutcome::Created(sms.clone()));

    // The same contact by e-mail an hour later: the SMS invitation back.
    let later = at + Duration::hours(1);
    let email = invite("o-email", "email", later);
    let throttled = f
        .store
        .create_invitation(&email, Some(&rule(later, false)))
        .await
        .unwrap();
    assert_eq!(
        throttled,
        InvitationOutcome::Throttled {
            last: sms.clone(),
            until: at + Duration::days(30)
        }
    );
    assert_eq!(f.store.get_invitation(&email.code).await.unwrap(), None);
    let invited = f.rollup(&Slice::All, "2026-03-10", "2026-03-10").await;
    assert_eq!(
        invited.invitations, 1,
        "a throttled invitation counts nothing"
    );

    // Forced: made, and the period starts again from it.
    let forced = invite("o-forced", "email", later);
    assert!(matches!(
        f.store
            .create_invitation(&forced, Some(&rule(later, true)))
            .await
            .unwrap(),
        InvitationOutcome::Created(_)
    ));
    let next = at + Duration::days(30) + Duration::minutes(30);
    match f
        .store
        .create_invitation(&invite("o-early", "sms", next), Some(&rule(next, false)))
        .await
        .unwrap()
    {
        InvitationOutcome::Throttled { last, .. } => assert_eq!(last, forced),
        other => panic!("expected throttled, got {other:?}"),
    }
    // After the forced one's period: a new invitation.
    let after = later + Duration::days(30);
    let fresh = invite("o-after", "sms", after);
    assert_eq!(
        f.store
            .create_invitation(&fresh, Some(&rule(after, false)))
            .await
            .unwrap(),
        InvitationOutcome::Created(fresh.clone())
    );
    // The same order again is still the same invitation, throttle or not.
    assert_eq!(
        f.store
            .create_invitation(&invite("o-sms", "sms", after), Some(&rule(after, false)))
            .await
            .unwrap(),
        InvitationOutcome::Existing(sms)
    );
}

pub async fn concurrent_invitations_for_one_contact_make_one(f: &Fixture) {
    let at = t(T0);
    let rule = ContactRule {
        key: "contact-c".into(),
        until: at + Duration::days(30),
        force: false,
    };
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..12 {
        let store = Arc::clone(&f.store);
        let inv = f.invitation(Invite {
            order: Box::leak(format!("o-{i}").into_boxed_str()),
            channel: if i % 2 == 0 { "sms" } else { "email" },
            customer: Some("cust-c"),
            at,
            ..Invite::default()
        });
        let rule = rule.clone();
        tasks.spawn(async move { store.create_invitation(&inv, Some(&rule)).await.unwrap() });
    }
    let outcomes = tasks.join_all().await;
    let created: Vec<_> = outcomes
        .iter()
        .filter(|o| matches!(o, InvitationOutcome::Created(_)))
        .collect();
    assert_eq!(created.len(), 1, "{outcomes:?}");
    for o in &outcomes {
        assert_eq!(
            o.invitation(),
            created[0].invitation(),
            "every answer names the one link"
        );
    }
    assert_eq!(
        f.rollup(&Slice::All, "2026-03-10", "2026-03-10")
            .await
            .invitations,
        1
    );
}
