//! Reusable links and their quotas.

use crate::*;

pub async fn reusable_links_take_many_answers_within_their_quotas(f: &Fixture) {
    let link = link(Some(3));
    f.store.create_link(&link).await.unwrap();
    assert_eq!(
        f.store.get_link(&link.code).await.unwrap(),
        Some(link.clone())
    );
    assert_eq!(
        f.store.list_links().await.unwrap(),
        std::slice::from_ref(&link)
    );
    let at = t(T0) + Duration::hours(1);
    let today = f.zone.day_of(at);
    let per_address =
        |client: &str| Quota::per_address(link.code.as_str(), client, today, 1, &f.zone);
    let cap = Quota::per_link(link.code.as_str(), today, 3, &f.zone);

    // Two people, one answer each; the same form sent twice is one answer.
    for key in ["a", "b"] {
        let r = through(f, &link, key, 5, at);
        let quotas = [per_address(key), cap.clone()];
        let first = f
            .store
            .record_response(&r, at, &rules(), &quotas)
            .await
            .unwrap();
        assert_eq!(first, Recorded::Created(r.clone()));
        let again = f
            .store
            .record_response(&r, at, &rules(), &quotas)
            .await
            .unwrap();
        assert_eq!(again, Recorded::Unchanged(r));
    }
    // "a" again with a new form: over its address's quota, nothing stored.
    let second = through(f, &link, "a2", 4, at);
    let refused = f
        .store
        .record_response(&second, at, &rules(), &[per_address("a"), cap.clone()])
        .await;
    assert!(
        matches!(refused, Err(StoreError::OverQuota { resets_at }) if resets_at == per_address("a").resets_at),
        "{refused:?}"
    );
    // A third person fills the daily cap; a fourth is refused by it.
    let c = through(f, &link, "c", 3, at);
    f.store
        .record_response(&c, at, &rules(), &[per_address("c"), cap.clone()])
        .await
        .unwrap();
    let d = through(f, &link, "d", 3, at);
    assert!(matches!(
        f.store
            .record_response(&d, at, &rules(), &[per_address("d"), cap.clone()])
            .await,
        Err(StoreError::OverQuota { .. })
    ));
    let total = f.rollup(&Slice::All, "2026-03-10", "2026-03-10").await;
    assert_eq!(
        (total.csat.count, total.answered, total.invitations),
        (3, 0, 0)
    );
    let rep = Slice::Rep(RepId::parse("r", "ayesha").unwrap());
    assert_eq!(
        f.rollup(&rep, "2026-03-10", "2026-03-10").await.csat.count,
        3
    );

    // Disabled: refused; expired: refused with its time.
    let disabled = Link {
        active: false,
        revision: 2,
        ..link.clone()
    };
    f.store.update_link(&link, &disabled).await.unwrap();
    assert!(matches!(
        f.store.update_link(&link, &disabled).await,
        Err(StoreError::Conflict(_))
    ));
    let e = through(f, &link, "e", 5, at);
    assert!(matches!(
        f.store.record_response(&e, at, &rules(), &[]).await,
        Err(StoreError::Disabled)
    ));
    // A stored answer comes first: sent again, or changed inside its edit
    // window, it is decided on as before the link closed.
    let a = through(f, &link, "a", 5, at);
    assert_eq!(
        f.store
            .record_response(&a, at, &rules(), &[])
            .await
            .unwrap(),
        Recorded::Unchanged(a.clone())
    );
    let changed = Response {
        score: 2,
        ..a.clone()
    };
    assert!(matches!(
        f.store
            .record_response(&changed, at + Duration::minutes(1), &rules(), &[])
            .await
            .unwrap(),
        Recorded::Replaced { .. }
    ));
    let ends = at - Duration::minutes(1);
    let expired = Link {
        active: true,
        expires_at: Some(ends),
        revision: 3,
        ..link.clone()
    };
    f.store.update_link(&disabled, &expired).await.unwrap();
    assert!(matches!(
        f.store.record_response(&e, at, &rules(), &[]).await,
        Err(StoreError::Expired(when)) if when == ends
    ));
    let unknown = through(f, &self::link(None), "x", 5, at);
    assert!(matches!(
        f.store.record_response(&unknown, at, &rules(), &[]).await,
        Err(StoreError::NotFound)
    ));
}

pub async fn a_double_tap_through_a_link_is_one_answer(f: &Fixture) {
    let link = link(Some(2));
    f.store.create_link(&link).await.unwrap();
    let at = t(T0) + Duration::hours(1);
    let today = f.zone.day_of(at);
    let quotas = |key: &str| {
        vec![
            Quota::per_address(link.code.as_str(), key, today, 1, &f.zone),
            Quota::per_link(link.code.as_str(), today, 2, &f.zone),
        ]
    };
    // The same answer sent twice at once, at its address's quota of one.
    let tap = through(f, &link, "a", 5, at);
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..2 {
        let (store, tap, quotas) = (Arc::clone(&f.store), tap.clone(), quotas("a"));
        tasks.spawn(async move { store.record_response(&tap, at, &rules(), &quotas).await });
    }
    let outcomes = tasks.join_all().await;
    let created = outcomes
        .iter()
        .filter(|o| matches!(o, Ok(Recorded::Created(_))))
        .count();
    let unchanged = outcomes
        .iter()
        .filter(|o| matches!(o, Ok(Recorded::Unchanged(_))))
        .count();
    assert_eq!((created, unchanged), (1, 1), "{outcomes:?}");
    // The daily cap counted it once: one more person fits, the next not.
    let b = through(f, &link, "b", 4, at);
    assert!(matches!(
        f.store
            .record_response(&b, at, &rules(), &quotas("b"))
            .await,
        Ok(Recorded::Created(_))
    ));
    let c = through(f, &link, "c", 4, at);
    assert!(matches!(
        f.store
            .record_response(&c, at, &rules(), &quotas("c"))
            .await,
        Err(StoreError::OverQuota { .. })
    ));
    let total = f.rollup(&Slice::All, "2026-03-10", "2026-03-10").await;
    assert_eq!(total.csat.count, 2);
}
