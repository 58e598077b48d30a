//! Keys and scopes: who gets 401 and who 403.

use crate::*;

pub async fn auth_failures_are_401_and_403(s: &Server) {
    let path = format!("/v1/scores?{}", recent(s));
    let r = s.call("GET", &path, None, None).await;
    assert_eq!(
        (r.status, r.header("www-authenticate")),
        (401, Some("Bearer"))
    );
    assert_eq!(r.body["type"], "urn:feedback:problem:unauthorized");
    assert_eq!(r.header("content-type"), Some("application/problem+json"));
    assert_eq!(
        s.call(
            "GET",
            &path,
            Some("fbk_notARealKey0000000000000000000000000000"),
            None
        )
        .await
        .status,
        401
    );
    let writer = s.key(&["invitations:write"]).await;
    let r = s.call("GET", &path, Some(&writer), None).await;
    assert_eq!(
        (r.status, r.body["type"].as_str()),
        (403, Some("urn:feedback:problem:forbidden"))
    );
    assert_eq!(
        s.call(
            "POST",
            "/v1/keys",
            Some(&writer),
            Some(json!({"scopes": ["admin"]}))
        )
        .await
        .status,
        403
    );
    let reader = s.key(&["scores:read"]).await;
    assert_eq!(s.call("GET", &path, Some(&reader), None).await.status, 200);
    let keys = s.call("GET", "/v1/keys", Some(&s.admin), None).await.body;
    let reader_id = key_id(&keys, "scores:read");
    assert_eq!(
        s.call(
            "DELETE",
            &format!("/v1/keys/{reader_id}"),
            Some(&s.admin),
            None
        )
        .await
        .status,
        204
    );
    assert_eq!(
        s.call("GET", &path, Some(&reader), None).await.status,
        401,
        "a revoked key"
    );
    // The last admin key cannot be revoked.
    let admin_id = key_id(&keys, "admin");
    let r = s
        .call(
            "DELETE",
            &format!("/v1/keys/{admin_id}"),
            Some(&s.admin),
            None,
        )
        .await;
    assert_eq!(
        (r.status, r.body["type"].as_str()),
        (409, Some("urn:feedback:problem:conflict"))
    );
    assert_eq!(
        s.call("DELETE", "/v1/keys/nosuchkey", Some(&s.admin), None)
            .await
            .status,
        404
    );
}
