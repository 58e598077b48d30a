//! Responses and their CSV export.

use crate::*;

pub async fn responses_export_as_csv(s: &Server) {
    let writer = s.key(&["invitations:write"]).await;
    let reader = s.key(&["responses:read"]).await;
    let comments = [
        "بہت اچھی سروس، شکریہ",
        "बहुत अच्छा, धन्यवाद",
        "=HYPERLINK(\"http://evil\",\"click\")",
        "said \"fine\"\nthen left",
    ];
    for (i, comment) in comments.iter().enumerate() {
        let inv = invite(
            s,
            &writer,
            json!({"order_id": format!("X-{i}"), "channel": "web", "location": "-gulberg"}),
        )
        .await;
        let code = inv["code"].as_str().unwrap();
        let r = s
            .call(
                "POST",
                &format!("/r/{code}"),
                None,
                Some(json!({"score": 4, "comment": comment})),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
    }
    let r = s
        .call(
            "GET",
            &format!("/v1/responses/export.csv?{}&bom=true", recent(s)),
            Some(&reader),
            None,
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.headers["content-type"], "text/csv; charset=utf-8");
    let text = &r.text;
    assert!(text.starts_with("\u{feff}id,code,submitted_at,"), "{text}");
    // Oldest last; every record ends with CRLF; scripts intact.
    assert!(
        text.contains(",بہت اچھی سروس، شکریہ\r\n")
            || text.contains(",\"بہت اچھی سروس، شکریہ\"\r\n"),
        "{text}"
    );
    assert!(text.contains(",\"बहुत अच्छा, धन्यवाद\"\r\n"), "{text}");
    assert!(
        text.contains(",\"'=HYPERLINK(\"\"http://evil\"\",\"\"click\"\")\"\r\n"),
        "{text}"
    );
    assert!(
        text.contains(",\"said \"\"fine\"\"\nthen left\"\r\n"),
        "{text}"
    );
    assert!(text.contains(",'-gulberg,"), "{text}");
    assert_eq!(text.matches("\r\n").count(), 1 + comments.len());
    assert!(!r.headers.contains_key("link"));
    // The list's filters apply; bad ones are named.
    let r = s
        .call(
            "GET",
            "/v1/responses/export.csv?min_score=5",
            Some(&reader),
            None,
        )
        .await;
    assert_eq!(r.text.matches("\r\n").count(), 1, "only the header");
    let r = s
        .call(
            "GET",
            "/v1/responses/export.csv?bom=maybe&limit=3",
            Some(&reader),
            None,
        )
        .await;
    assert_eq!(r.status, 400);
}
