//! Reps, keys, settings, the secret and tallies.

use crate::*;

pub async fn reps_are_upserted_and_listed(f: &Fixture) {
    let rep = |id: &str, name: &str| Rep {
        id: RepId::parse("rep_id", id).unwrap(),
        display_name: name.into(),
        team: Some("front".into()),
        active: true,
        archived_at: None,
    };
    assert!(f.store.put_rep(&rep("bilal", "Bilal")).await.unwrap());
    assert!(f.store.put_rep(&rep("ayesha", "Ayesha")).await.unwrap());
    let renamed = Rep {
        active: false,
        team: None,
        ..rep("bilal", "Bilal Ahmed")
    };
    assert!(!f.store.put_rep(&renamed).await.unwrap());
    assert_eq!(
        f.store.get_rep(&renamed.id).await.unwrap(),
        Some(renamed.clone())
    );
    assert_eq!(
        f.store
            .get_rep(&RepId::parse("r", "nobody").unwrap())
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        f.store.list_reps().await.unwrap(),
        [rep("ayesha", "Ayesha"), renamed]
    );
}

pub async fn keys_are_found_by_hash_listed_and_revoked(f: &Fixture) {
    let (admin, _) = ApiKey::generate(vec![Scope::Admin], Some("owner".into()), t(T0)).unwrap();
    let (reader, secret) =
        ApiKey::generate(vec![Scope::ScoresRead], None, t(T0) + Duration::seconds(1)).unwrap();
    f.store.create_key(&admin).await.unwrap();
    f.store.create_key(&reader).await.unwrap();
    let hash = feedback_core::auth::hash_key(&secret);
    assert_eq!(f.store.find_key(&hash).await.unwrap(), Some(reader.clone()));
    assert_eq!(f.store.find_key(&"0".repeat(64)).await.unwrap(), None);
    let used = t(T0) + Duration::minutes(5);
    f.store.touch_key(&hash, used).await.unwrap();
    f.store.touch_key(&"0".repeat(64), used).await.unwrap();
    assert_eq!(
        f.store.find_key(&hash).await.unwrap().unwrap().last_used_at,
        Some(used)
    );
    let revoked_at = t(T0) + Duration::hours(1);
    let revoked = |r: Revocation| match r {
        Revocation::Revoked(key) => key,
        other => panic!("{other:?}"),
    };
    let first = revoked(f.store.revoke_key(&reader.id, revoked_at).await.unwrap());
    assert_eq!(first.revoked_at, Some(revoked_at));
    // Revoking again keeps the first time.
    let again = f
        .store
        .revoke_key(&reader.id, revoked_at + Duration::hours(1))
        .await
        .unwrap();
    assert_eq!(revoked(again).revoked_at, Some(revoked_at));
    assert_eq!(
        f.store.revoke_key("nosuchkey", revoked_at).await.unwrap(),
        Revocation::NoSuchKey
    );
    // The last active admin key stays.
    assert_eq!(
        f.store.revoke_key(&admin.id, revoked_at).await.unwrap(),
        Revocation::LastAdmin
    );
    let ids: Vec<_> = f
        .store
        .list_keys()
        .await
        .unwrap()
        .into_iter()
        .map(|k| (k.is_active(), k.id))
        .collect();
    assert_eq!(ids, [(true, admin.id), (false, reader.id)]);
}

pub async fn concurrent_revokes_never_leave_no_admin(f: &Fixture) {
    for round in 0..5 {
        for i in 0..3 {
            let at = t(T0) + Duration::minutes(round * 10 + i);
            let (key, _) = ApiKey::generate(vec![Scope::Admin], None, at).unwrap();
            f.store.create_key(&key).await.unwrap();
        }
        let active_admins = || async {
            f.store
                .list_keys()
                .await
                .unwrap()
                .into_iter()
                .filter(|k| k.is_active() && k.scopes.contains(&Scope::Admin))
                .collect::<Vec<_>>()
        };
        // Every active admin key revoked at once.
        let mut tasks = tokio::task::JoinSet::new();
        for key in active_admins().await {
            let store = Arc::clone(&f.store);
            tasks.spawn(async move { store.revoke_key(&key.id, t(T0)).await.unwrap() });
        }
        let outcomes = tasks.join_all().await;
        let kept = outcomes
            .iter()
            .filter(|o| **o == Revocation::LastAdmin)
            .count();
        assert_eq!(
            (outcomes.len(), kept, active_admins().await.len()),
            (if round == 0 { 3 } else { 4 }, 1, 1),
            "round {round}: {outcomes:?}"
        );
    }
}

pub async fn settings_round_trip(f: &Fixture) {
    assert_eq!(f.store.get_settings().await.unwrap(), None);
    let mut settings = Settings::defaults("چائے کارنر");
    settings
        .thank_you
        .insert("ur".into(), "آپ کا شکریہ!".into());
    settings.coupon = Some("CHAI10".into());
    f.store.put_settings(&settings).await.unwrap();
    assert_eq!(
        f.store.get_settings().await.unwrap(),
        Some(settings.clone())
    );
    settings.edit_window_hours = 2;
    settings.coupon = None;
    f.store.put_settings(&settings).await.unwrap();
    assert_eq!(f.store.get_settings().await.unwrap(), Some(settings));
}

pub async fn tallies_count_and_the_secret_stays(f: &Fixture) {
    let until = t(T0) + Duration::minutes(10);
    let keys = ["A#x#1".to_owned(), "L#y#1".to_owned()];
    assert_eq!(f.store.tally(&keys, until).await.unwrap(), [1, 1]);
    assert_eq!(f.store.tally(&keys[..1], until).await.unwrap(), [2]);
    assert_eq!(f.store.tally(&keys, until).await.unwrap(), [3, 2]);
    let (a, b) = tokio::join!(f.store.secret(), f.store.secret());
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.bytes(), b.bytes(), "one secret, however many ask at once");
    assert_eq!(f.store.secret().await.unwrap().bytes(), a.bytes());
}
