//! One interaction served by several reps: each is credited in full, the
//! business once.

use crate::*;

/// The counts per rep, from the leaderboard's ranked and unranked lists.
fn board_counts(body: &Value) -> Vec<(String, u64)> {
    let mut counts: Vec<(String, u64)> = ["reps", "too_wide_to_rank"]
        .iter()
        .flat_map(|list| body[list].as_array().unwrap())
        .map(|e| {
            (
                e["rep_id"].as_str().unwrap().to_owned(),
                e["count"].as_u64().unwrap(),
            )
        })
        .collect();
    counts.sort();
    counts
}

pub async fn an_answer_shared_by_two_reps_counts_for_each(s: &Server) {
    let writer = s.key(&["invitations:write", "reps:write"]).await;
    let reader = s.key(&["scores:read", "responses:read"]).await;
    let reps = [("ayesha", "Ayesha"), ("bilal", "Bilal"), ("chen", "Chen")];
    put_reps(s, &writer, &reps).await;
    // Each other rep is named with its own field; all errors at once.
    let writer_key = writer.as_str();
    let refused = |body: Value| async move {
        let r = s
            .call("POST", "/v1/invitations", Some(writer_key), Some(body))
            .await;
        (r.status, r.fields())
    };
    let fields = |names: &[&str]| names.iter().map(|f| f.to_string()).collect::<Vec<_>>();
    assert_eq!(
        refused(json!({"order_id": "S-0", "channel": "sms", "also_rep_ids": ["bilal", "a b"]}))
            .await,
        (400, fields(&["also_rep_ids", "also_rep_ids[1]"]))
    );
    assert_eq!(
        refused(json!({"order_id": "S-0", "channel": "sms", "rep_id": "ayesha", "also_rep_ids": ["bilal", "ayesha"]})).await,
        (400, fields(&["also_rep_ids[1]"]))
    );
    assert_eq!(
        refused(json!({"order_id": "S-0", "channel": "sms", "rep_id": "ayesha", "also_rep_ids": ["bilal", "chen", "dana"]})).await,
        (400, fields(&["also_rep_ids"]))
    );
    assert_eq!(
        refused(json!({"order_id": "S-0", "channel": "sms", "rep_id": "ayesha", "also_rep_ids": ["nobody"]})).await,
        (422, fields(&["also_rep_ids[0]"]))
    );

    // A cashier and a tailor, on a page in each language.
    let mut codes = Vec::new();
    for (i, locale) in ["en", "ur", "hi"].iter().enumerate() {
        let inv = invite(
            s,
            &writer,
            json!({"order_id": format!("S-{}", i + 1), "channel": "sms", "rep_id": "ayesha", "also_rep_ids": ["bilal"], "locale": locale}),
        )
        .await;
        assert_eq!(inv["also_rep_ids"], json!(["bilal"]), "{inv}");
        codes.push(inv["code"].as_str().unwrap().to_owned());
    }
    let and = [" and ", " اور ", " और "];
    for (code, and) in codes.iter().zip(and) {
        let page = s
            .send_with("GET", &format!("/r/{code}"), None, &[], "", Vec::new())
            .await;
        let names = format!("<bdi>Ayesha</bdi>{and}<bdi>Bilal</bdi>");
        assert!(page.text.contains(&names), "{names} in {}", page.text);
    }
    let page = s
        .send_with(
            "GET",
            &format!("/r/{}.json", codes[0]),
            None,
            &[],
            "",
            Vec::new(),
        )
        .await;
    assert_eq!(
        (&page.body["rep"]["id"], &page.body["reps"]),
        (
            &json!("ayesha"),
            &json!([{"id": "ayesha", "display_name": "Ayesha"}, {"id": "bilal", "display_name": "Bilal"}])
        )
    );

    // The shared answer is unhappy; Bilal alone serves a happy one.
    let alone = invite(
        s,
        &writer,
        json!({"order_id": "S-4", "channel": "receipt", "rep_id": "bilal"}),
    )
    .await;
    for (code, score) in [(codes[0].as_str(), 2), (alone["code"].as_str().unwrap(), 5)] {
        let r = s
            .call(
                "POST",
                &format!("/r/{code}"),
                None,
                Some(json!({"score": score, "comment": "Too slow"})),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
    }
    for (slice, count) in [
        ("", 2),
        ("rep_id=ayesha", 1),
        ("rep_id=bilal", 2),
        ("rep_id=chen", 0),
    ] {
        assert_eq!(counted(s, slice).await, (count, 0), "{slice}");
    }
    let r = s
        .get(
            &format!("/v1/leaderboard?{}&min_count=1", recent(s)),
            &reader,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        board_counts(&r.body),
        [("ayesha".to_owned(), 1), ("bilal".to_owned(), 2)]
    );
    let r = s
        .get(
            &format!("/v1/responses?{}&rep_id=bilal", recent(s)),
            &reader,
        )
        .await;
    let listed = r.body["responses"].as_array().unwrap();
    assert_eq!(listed.len(), 2, "{}", r.body);
    assert_eq!(
        (&listed[1]["rep_id"], &listed[1]["also_rep_ids"]),
        (&json!("ayesha"), &json!(["bilal"]))
    );
    let r = s.get("/v1/follow-ups?rep_id=bilal", &reader).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.body["follow_ups"].as_array().unwrap().len(),
        1,
        "{}",
        r.body
    );
    let r = s
        .get(&format!("/v1/responses/export.csv?{}", recent(s)), &reader)
        .await;
    assert!(r.text.contains(",ayesha,bilal,sms,"), "{}", r.text);
    // The dashboard names both, in the waiting queue and by the comment.
    let same = [("sec-fetch-site", "same-origin")];
    let r = s
        .browser(
            "POST",
            "/dashboard/sign-in",
            &format!("key={reader}"),
            &same,
        )
        .await;
    assert_eq!(r.status, 303);
    let cookie = r.headers["set-cookie"].to_str().unwrap();
    let session = cookie.split(';').next().unwrap().to_owned();
    let r = s
        .browser("GET", "/dashboard", "", &[("cookie", session.as_str())])
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let names = "<bdi>Ayesha</bdi> and <bdi>Bilal</bdi>";
    assert_eq!(r.text.matches(names).count(), 2, "{}", r.text);

    // A reusable link credits its reps with every answer.
    let admin = s.admin.clone();
    let r = s
        .call(
            "POST",
            "/v1/links",
            Some(&admin),
            Some(json!({"rep_id": "chen", "also_rep_ids": ["ayesha"], "channel": "in_store"})),
        )
        .await;
    assert_eq!(
        (r.status, &r.body["also_rep_ids"]),
        (201, &json!(["ayesha"])),
        "{}",
        r.body
    );
}
